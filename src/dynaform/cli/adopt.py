"""``export`` (live tables -> a project) and ``import`` (foreign formats -> a project)."""

from __future__ import annotations

import fnmatch
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import typer
import yaml

from dynaform import api
from dynaform.aws.client import where
from dynaform.aws.live import read_tables
from dynaform.aws.overview import list_table_names
from dynaform.cli.context import state
from dynaform.cli.output import out, print_json, say
from dynaform.core.capabilities import AWS
from dynaform.core.diff import billing_text
from dynaform.core.exporters import ENV_TAG, project_from_tables, table_to_raw
from dynaform.core.importers import FORMATS, import_text
from dynaform.core.live import LiveTable
from dynaform.core.model import TableSpec
from dynaform.core.order import create_steps
from dynaform.errors import DynaformError, UsageError

EXPORT_FORMATS = ("yaml", "json", "cloudformation", "create-table-json")


def summary_markdown(tables: list[LiveTable], source: str) -> str:
    lines = [
        f"# Table summary — {source}",
        "",
        "| table | keys | indexes | billing | TTL | PITR | stream | items | size (bytes) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for table in tables:
        spec = table.spec
        keys = spec.partition_key.name + (f" / {spec.sort_key.name}" if spec.sort_key else "")
        indexes = ", ".join([g.name for g in spec.gsis] + [f"{i.name} (local)" for i in spec.lsis])
        items = "?" if table.item_count is None else table.item_count
        size = "?" if table.size_bytes is None else table.size_bytes
        cells = [
            spec.name,
            keys,
            indexes or "-",
            billing_text(spec.billing),
            spec.ttl or "-",
            "on" if spec.pitr else "off",
            (spec.stream or "off").lower(),
            items,
            size,
        ]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def cloudformation(specs: list[TableSpec]) -> dict[str, Any]:
    """A CloudFormation template with one AWS::DynamoDB::Table per spec."""
    resources: dict[str, Any] = {}
    for spec in specs:
        params = create_steps(spec, AWS)[0].params
        props: dict[str, Any] = {
            k: v for k, v in params.items() if k not in {"SSESpecification", "StreamSpecification"}
        }
        if spec.stream:
            props["StreamSpecification"] = {"StreamViewType": spec.stream}
        if spec.sse.kind != "aws_owned":
            props["SSESpecification"] = {"SSEEnabled": True, "SSEType": "KMS"} | (
                {"KMSMasterKeyId": spec.sse.kms_key} if spec.sse.kms_key else {}
            )
        if spec.ttl:
            props["TimeToLiveSpecification"] = {"AttributeName": spec.ttl, "Enabled": True}
        if spec.pitr:
            props["PointInTimeRecoverySpecification"] = {"PointInTimeRecoveryEnabled": True}
        logical = (
            "".join(
                part.capitalize()
                for part in spec.name.replace(".", "-").replace("_", "-").split("-")
            )
            or "Table"
        )
        resources[logical] = {
            "Type": "AWS::DynamoDB::Table",
            "DeletionPolicy": "Retain",
            "Properties": props,
        }
    return {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}


def export(
    ctx: typer.Context,
    tables: str = typer.Option("*", "--tables", help="Only tables whose name matches (glob)."),
    out_dir: Path = typer.Option(Path("exported"), "--out", "-o", help="Folder to write into."),
    fmt: str = typer.Option(
        "yaml", "--format", help="yaml, json, cloudformation, create-table-json."
    ),
    project_name: str | None = typer.Option(None, "--project", help="Project name to write."),
) -> None:
    """Read live tables and write a project that declares them (read-only).

    Writes DIR/dynaform.yaml (one environment for the endpoint read, physical names kept) so
    that `dynaform -f DIR/dynaform.yaml plan --detailed-exitcode` exits 0, plus
    DIR/table-summary.md.

    Example: dynaform --endpoint-url http://localhost:8000 export --tables 'app-*' --out live/
    """
    app = state(ctx)
    if fmt not in EXPORT_FORMATS:
        raise UsageError(f"unknown format {fmt!r}", hint="use " + ", ".join(EXPORT_FORMATS))
    project, env = app.optional_project()
    if project is not None and env is not None and app.env_flag:
        conn = app.connect(project, env)
    else:
        settings = app.settings()
        conn = api.connect_settings(settings, app.endpoint_url(settings))
    say("export is read-only: nothing is changed on the endpoint")
    names = [n for n in list_table_names(conn.client, conn.target) if fnmatch.fnmatch(n, tables)]
    if not names:
        raise DynaformError(
            f"no table on {conn.target} matches {tables!r}",
            hint="see `dynaform status` for the tables there",
        )
    found = [t for t in read_tables(conn.client, names, conn.caps, conn.target).values() if t]
    env_tags = Counter(t.spec.tags.get(ENV_TAG) for t in found)
    only = next(iter(env_tags)) if len(env_tags) == 1 else None
    env_name: str = only if only else "live"
    specs = [
        t.spec.model_copy(
            update={
                "logical_name": t.spec.name,
                "tags": {
                    k: v for k, v in t.spec.tags.items() if not (k == ENV_TAG and v == env_name)
                },
            }
        )
        for t in found
    ]
    target: dict[str, Any] = {"target": "aws", "region": conn.settings.region}
    if conn.endpoint_url:
        target["endpoint"] = conn.endpoint_url
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    if fmt in {"yaml", "json"}:
        data = project_from_tables(
            project_name or out_dir.resolve().name or "exported", specs, env=env_name, target=target
        )
        path = out_dir / f"dynaform.{fmt}"
        if fmt == "yaml":
            header = f"# Exported by dynaform from {where(conn.settings, conn.endpoint_url)}\n"
            path.write_text(header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
        else:
            path.write_text(json.dumps(data, indent=2) + "\n")
        written.append(path)
    elif fmt == "cloudformation":
        path = out_dir / "template.yaml"
        path.write_text(yaml.safe_dump(cloudformation(specs), sort_keys=False))
        written.append(path)
    else:
        for spec in specs:
            path = out_dir / f"{spec.name}.json"
            path.write_text(json.dumps(create_steps(spec, AWS)[0].params, indent=2) + "\n")
            written.append(path)
    summary = out_dir / "table-summary.md"
    summary.write_text(summary_markdown(found, where(conn.settings, conn.endpoint_url)))
    written.append(summary)
    if app.json:
        print_json({"tables": [s.name for s in specs], "files": [str(p) for p in written]})
        return
    out.print(f"exported {len(specs)} table(s) from {conn.target}:")
    for path in written:
        out.print(f"  {path}")


def import_(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(..., help="Templates, Terraform files, models, JSON."),
    source_format: str = typer.Option("auto", "--from", help="auto, " + ", ".join(FORMATS)),
    param: list[str] = typer.Option([], "--param", help="Template parameter K=V (repeatable)."),
    out_dir: Path = typer.Option(Path("imported"), "--out", "-o", help="Folder to write into."),
    project_name: str | None = typer.Option(None, "--project", help="Project name to write."),
    env_name: str = typer.Option("dev", "--env-name", help="The environment to declare."),
) -> None:
    """Turn CloudFormation/SAM, Serverless, Terraform, NoSQL Workbench or AWS CLI JSON into a
    project that `dynaform -f DIR/dynaform.yaml apply --yes` deploys as is.

    Example: dynaform import template.yaml --param Stage=dev --out infra/
    """
    app = state(ctx)
    params: dict[str, str] = {}
    for item in param:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--param {item!r} is not K=V")
        params[key] = value
    tables: dict[str, Any] = {}
    warnings: list[str] = []
    seeds: dict[str, list[dict[str, Any]]] = {}
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise DynaformError(f"cannot read {path}: {exc.strerror or exc}") from exc
        result = import_text(text, str(path), source_format, params)
        warnings += result.warnings
        seeds.update(result.seed_items)
        for spec in result.tables:
            logical = re.sub(r"[^A-Za-z0-9_.-]", "-", spec.logical_name) or spec.name
            raw = table_to_raw(spec)
            pattern = result.patterns.get(spec.logical_name)
            raw["physical_name"] = pattern if pattern else spec.name
            if logical in tables:
                raise DynaformError(
                    f"two tables are named {logical!r} ({path})",
                    hint="import the files into separate projects",
                )
            tables[logical] = raw
    name = project_name or params.get("AWS::StackName") or (files[0].stem or "imported")
    environment: dict[str, Any] = {"target": "local"}
    out_dir.mkdir(parents=True, exist_ok=True)
    if seeds:
        (out_dir / "seeds").mkdir(exist_ok=True)
        seed_files = []
        for table, items in seeds.items():
            seed_path = Path("seeds") / f"{table}.yaml"
            logical = re.sub(r"[^A-Za-z0-9_.-]", "-", table)
            (out_dir / seed_path).write_text(
                yaml.safe_dump(
                    {"table": logical, "format": "dynamodb", "items": items}, sort_keys=False
                )
            )
            seed_files.append(str(seed_path))
        environment["seeds"] = seed_files
    project = {
        "project": name,
        "naming": "{table}",
        "default_env": env_name,
        "environments": {env_name: environment},
        "tables": tables,
    }
    header = "# Imported by dynaform from " + ", ".join(p.name for p in files) + "\n"
    target = out_dir / "dynaform.yaml"
    target.write_text(header + yaml.safe_dump(project, sort_keys=False, allow_unicode=True))
    for warning in warnings:
        say(f"[yellow]warning:[/] {warning}")
    if app.json:
        print_json(
            {
                "project": str(target),
                "tables": list(tables),
                "warnings": warnings,
                "seeds": list(seeds),
            }
        )
        return
    out.print(f"wrote {target} with {len(tables)} table(s): {', '.join(tables)}")
    if seeds:
        out.print(
            f"sample items of {', '.join(seeds)} are in {out_dir / 'seeds'} "
            "(`dynaform seed` loads them)"
        )
