"""``dynaform seed``: fill tables with sample data, then verify it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from dynaform.cli.context import state
from dynaform.cli.data import _bar, _target
from dynaform.cli.output import out, print_json, say
from dynaform.data.codec import marshal
from dynaform.errors import UsageError
from dynaform.seed import registry
from dynaform.seed.run import (
    Located,
    generate,
    load_seed_file,
    parse_params,
    prepare,
    seed_context,
    write,
)


def _list_generators() -> None:
    from dynaform.seed import builtin  # noqa: F401 - registers the built-in generators

    for gen in sorted(registry.REGISTRY.values(), key=lambda g: g.name):
        table = f" (table {gen.table})" if gen.table else ""
        out.print(f"[bold]{gen.name}[/]{table}: {gen.description}", markup=True)
        for option in gen.options:
            flag = "--" + option.name.replace("_", "-")
            need = " (required)" if option.required else ""
            out.print(f"    {flag:<20} {option.help}{need}")


def seed(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(None, help="Seed files (YAML, JSON, JSON lines)."),
    generator_name: str | None = typer.Option(None, "--generator", "-g", help="A generator."),
    table: str | None = typer.Option(
        None, "--table", "-t", help="Target table (logical or physical)."
    ),
    count: int | None = typer.Option(
        None, "--count", "-n", min=0, help="How many items to generate."
    ),
    seed_value: int | None = typer.Option(
        None, "--seed", help="Random seed: same seed, same items."
    ),
    clear: bool = typer.Option(False, "--clear", help="Empty the table first (asks unless --yes)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask."),
    force: bool = typer.Option(False, "--force", help="Allow seeding a protected environment."),
    param: list[str] = typer.Option([], "--param", help="Generator option as K=V (repeatable)."),
    report_by: str | None = typer.Option(
        None, "--report-by", help="Count items by this attribute."
    ),
    list_them: bool = typer.Option(False, "--list", help="List generators and their options."),
) -> None:
    """Seed a table from seed files or a generator, then print a verification report.

    Generator options follow as flags (see --list), e.g.
    dynaform seed -g calendar --calendar-id 0f8fad5b-d9cb-469f-a165-70867728950e --count 200

    Example: dynaform -e dev seed --generator items --clear --yes
    """
    if list_them:
        _list_generators()
        return
    app = state(ctx)
    project, env = app.optional_project()
    if project is not None and project.raw.generators:
        registry.discover(project.raw.generators, project.directory)
    # Generator options are not declared to the parser, so it hands them over with the
    # positional arguments, in order.
    tokens = [str(f) for f in files or []] + list(ctx.args)
    extra = tokens if generator_name else [t for t in tokens if t.startswith("-")]
    files = [] if generator_name else [Path(t) for t in tokens if not t.startswith("-")]
    if project is not None and env is not None and not files and not generator_name:
        files = [project.directory / f for f in project.environment(env).seeds]
    if bool(files) == bool(generator_name):
        raise UsageError(
            "seed from files or from a generator, one of them",
            hint="pass SEED_FILE... or --generator NAME (see --list)",
        )
    context = seed_context(seed_value)
    loaded = []
    if generator_name:
        gen = registry.find(generator_name)
        options = registry.parse_options(gen, extra, parse_params(param))
        target_name = table or gen.table
        report_by = report_by or gen.report_by
    else:
        if extra:
            raise UsageError(f"unexpected arguments {' '.join(extra)}")
        loaded = [load_seed_file(path) for path in files]
        tables = {f.table for f in loaded if f.table}
        target_name = table or (tables.pop() if len(tables) == 1 else None)
    if not target_name:
        raise UsageError("which table?", hint="pass --table NAME (or `table:` in the seed file)")
    wire, physical, protected = _target(app, target_name)
    if protected and not force:
        raise UsageError(
            f"{physical} is in a protected environment; seeding it is refused",
            hint="pass --force if you really mean it",
        )
    from dynaform.data import ops

    keys = ops.key_schema(ops.describe(wire, physical))[1]
    items: list[Located] = []
    if generator_name:

        def exists(key: dict[str, Any]) -> bool:
            if clear:  # the table is emptied before writing
                return False
            answer = wire.call("GetItem", {"TableName": physical, "Key": marshal(key)})
            return "Item" in answer

        entries = generate(
            gen, gen.default_count if count is None else count, seed_value, options, exists
        )
        items = prepare(entries, dynamodb_json=gen.wire, keys=keys, context=context)
    else:
        for seed_file in loaded:
            items += prepare(
                seed_file.items, dynamodb_json=seed_file.dynamodb_json, keys=keys, context=context
            )
    if clear and not (yes or app.yes):
        if not sys.stdin.isatty():
            raise UsageError(
                "--clear needs confirmation and there is no terminal to ask on", hint="pass --yes"
            )
        typer.confirm(f"Delete every item of {physical} before seeding?", abort=True, err=True)
    rejects = Path(f"{physical}.seed-rejects.jsonl")
    with _bar(f"seed {physical}", len(items), app.json) as bar:
        report = write(
            wire,
            physical,
            items,
            clear=clear,
            report_by=report_by,
            rejects=rejects,
            progress=bar.advance,
        )
    if app.json:
        print_json(
            {
                "table": physical,
                "written": report.written,
                "rejected": report.rejected,
                "total": report.total,
                "by": report.by,
                "counts": report.counts,
            }
        )
    else:
        out.print(
            f"seeded {report.written} item(s) into {physical}; the table holds "
            f"{report.total} item(s)"
        )
        if report.by:
            out.print(f"Items by {report.by}:")
            for value, number in report.counts.items():
                share = 100 * number / report.total if report.total else 0
                out.print(f"  - {value}: {number} ({share:.0f}%)")
    if report.rejected:
        say(f"[red]{report.rejected} item(s) were not written; see {rejects}[/]")
        raise typer.Exit(1)
