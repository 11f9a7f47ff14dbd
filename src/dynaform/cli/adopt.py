"""``export`` (live tables -> a project) and ``import`` (foreign formats -> a project)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from dynaform.cli.context import state
from dynaform.cli.output import out, print_json, say
from dynaform.errors import UsageError

EXPORT_FORMATS = ("yaml", "json", "cloudformation", "create-table-json")
FORMAT_NAMES = "cloudformation, sam, serverless, terraform, workbench, create-table, describe-table"
FORCE_HELP = "Write into a folder that is not empty (replacing the files it writes)."


def check_output_folder(out_dir: Path, force: bool) -> None:
    """Never overwrite a project file, and never write into a non-empty folder unless --force:
    ``--out`` naming an existing file, or a folder with files in it, is refused."""
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(
            f"--out {out_dir} is a file, not a folder; nothing was written",
            hint="name a new or empty folder, e.g. --out exported/",
        )
    if out_dir.is_dir() and any(out_dir.iterdir()) and not force:
        raise UsageError(
            f"{out_dir} is not empty; nothing was written",
            hint="name a new or empty folder, or pass --force to replace the files written there",
        )


def _write(path: Path, text: str, written: list[Path]) -> None:
    """Write through a temporary file, so an interrupted write never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)
    written.append(path)


def export(
    ctx: typer.Context,
    tables: str = typer.Option("*", "--tables", help="Only tables whose name matches (glob)."),
    out_dir: Path = typer.Option(Path("exported"), "--out", "-o", help="Folder to write into."),
    fmt: str = typer.Option(
        "yaml", "--format", help="yaml, json, cloudformation, create-table-json."
    ),
    project_name: str | None = typer.Option(None, "--project", help="Project name to write."),
    force: bool = typer.Option(False, "--force", help=FORCE_HELP),
) -> None:
    """Read live tables and write a project that declares them (read-only).

    Writes DIR/dynaform.yaml (one environment for the endpoint read, physical names kept) so
    that `dynaform -f DIR/dynaform.yaml plan --detailed-exitcode` exits 0, plus
    DIR/table-summary.md.

    Example: dynaform --endpoint-url http://localhost:8000 export --tables 'app-*' --out live/
    """
    from dynaform import api
    from dynaform.core.export_formats import exported_specs, summary_markdown

    app = state(ctx)
    if fmt not in EXPORT_FORMATS:
        raise UsageError(f"unknown format {fmt!r}", hint="use " + ", ".join(EXPORT_FORMATS))
    check_output_folder(out_dir, force)
    # A project's environment only when one is named: export reads whatever endpoint is given.
    binding = app.bind(project=False, bare=not app.env_flag)
    say("export is read-only: nothing is changed on the endpoint")
    found = api.live_tables(binding, tables)
    env_name, specs = exported_specs(found)
    conn = binding.connection()
    written: list[Path] = []
    _write_export(fmt, out_dir, specs, env_name, project_name, conn, written)
    _write(out_dir / "table-summary.md", summary_markdown(found, conn.target), written)
    if app.json:
        print_json({"tables": [s.name for s in specs], "files": [str(p) for p in written]})
        return
    out.print(f"exported {len(specs)} table(s) from {conn.target}:")
    for path in written:
        out.print(f"  {path}")


def _write_export(
    fmt: str,
    out_dir: Path,
    specs: list[Any],
    env_name: str,
    project_name: str | None,
    conn: Any,
    written: list[Path],
) -> None:
    import yaml

    from dynaform.core.capabilities import AWS
    from dynaform.core.export_formats import cloudformation
    from dynaform.core.exporters import project_from_tables
    from dynaform.core.operations import create_table_params

    if fmt in {"yaml", "json"}:
        target: dict[str, Any] = {"target": "aws", "region": conn.settings.region}
        if conn.endpoint_url:
            target["endpoint"] = conn.endpoint_url
        name = project_name or out_dir.resolve().name or "exported"
        data = project_from_tables(name, specs, env=env_name, target=target)
        if fmt == "yaml":
            header = f"# Exported by dynaform from {conn.target}\n"
            text = header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        else:
            text = json.dumps(data, indent=2) + "\n"
        _write(out_dir / f"dynaform.{fmt}", text, written)
    elif fmt == "cloudformation":
        text = yaml.safe_dump(cloudformation(specs), sort_keys=False)
        _write(out_dir / "template.yaml", text, written)
    else:
        for spec in specs:
            params = json.dumps(create_table_params(spec, AWS), indent=2) + "\n"
            _write(out_dir / f"{spec.name}.json", params, written)


def _params(param: list[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for item in param:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--param {item!r} is not K=V")
        params[key] = value
    return params


def import_(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(..., help="Templates, Terraform files, models, JSON."),
    source_format: str = typer.Option("auto", "--from", help="auto, " + FORMAT_NAMES),
    param: list[str] = typer.Option([], "--param", help="Template parameter K=V (repeatable)."),
    out_dir: Path = typer.Option(Path("imported"), "--out", "-o", help="Folder to write into."),
    project_name: str | None = typer.Option(None, "--project", help="Project name to write."),
    env_name: str = typer.Option("dev", "--env-name", help="The environment to declare."),
    force: bool = typer.Option(False, "--force", help=FORCE_HELP),
) -> None:
    """Turn CloudFormation/SAM, Serverless, Terraform, NoSQL Workbench or AWS CLI JSON into a
    project that `dynaform -f DIR/dynaform.yaml apply --yes` deploys as is.

    Example: dynaform import template.yaml --param Stage=dev --out infra/
    """
    import yaml

    from dynaform.core.export_formats import ImportedProject
    from dynaform.core.importers import import_file

    app = state(ctx)
    params = _params(param)
    check_output_folder(out_dir, force)
    imported = ImportedProject()
    for path in files:  # bounded reads: size, nesting, aliases, encoding, each with file:line
        imported.add(import_file(path, source_format, params), str(path))
    name = project_name or params.get("AWS::StackName") or (files[0].stem or "imported")
    written: list[Path] = []
    for relative, document in imported.seed_documents().items():
        _write(out_dir / relative, yaml.safe_dump(document, sort_keys=False), written)
    header = "# Imported by dynaform from " + ", ".join(p.name for p in files) + "\n"
    project = imported.project(name, env_name)
    target = out_dir / "dynaform.yaml"
    _write(target, header + yaml.safe_dump(project, sort_keys=False, allow_unicode=True), written)
    for warning in imported.warnings:
        say(f"[yellow]warning:[/] {warning}")
    if app.json:
        print_json(
            {
                "project": str(target),
                "tables": list(imported.tables),
                "warnings": imported.warnings,
                "seeds": list(imported.seeds),
            }
        )
        return
    out.print(f"wrote {target} with {len(imported.tables)} table(s): {', '.join(imported.tables)}")
    if imported.seeds:
        out.print(
            f"sample items of {', '.join(imported.seeds)} are in {out_dir / 'seeds'} "
            "(`dynaform seed` loads them)"
        )
