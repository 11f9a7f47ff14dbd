"""``dynaform seed``: fill tables with sample data, then verify it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from dynaform.cli.context import AppState, confirm, confirm_protected, state
from dynaform.cli.data import CONFIRM_HELP, FORCE_HELP, _bar, _interruptible
from dynaform.cli.output import out, print_json, say

if TYPE_CHECKING:
    from dynaform.api.seeding import SeedRequest


def _list_generators() -> None:
    from dynaform import api

    for gen in api.seeding.list_generators():
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
    force: bool = typer.Option(False, "--force", help=FORCE_HELP),
    typed: str | None = typer.Option(None, "--confirm", help=CONFIRM_HELP),
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
    from dynaform.api.seeding import SeedRequest

    if list_them:
        _list_generators()
        return
    app = state(ctx)
    # Generator options are not declared to the parser, so it hands them over with the
    # positional arguments, in order.
    request = SeedRequest(
        list(files or []),
        generator_name,
        table,
        count,
        seed_value,
        clear,
        param,
        list(ctx.args),
        report_by,
    )
    _seed(app, request, yes=yes, force=force, typed=typed)


def _seed(
    app: AppState, request: SeedRequest, *, yes: bool, force: bool, typed: str | None
) -> None:
    from dynaform import api

    binding = app.bind(project=False)
    source = api.seeding.seed_source(binding, request)
    physical = source.table.name
    clear = request.clear
    action = "seed it" + (" after deleting every item" if clear else "")
    protected = confirm_protected(binding, [physical], action, force=force, typed=typed)
    prepared = api.seeding.prepare_seed(source)  # every item checked before anything changes
    if clear and not protected:
        confirm(app, f"Delete every item of {physical} before seeding?", yes)
    rejects = Path(f"{physical}.seed-rejects.jsonl")
    with (
        _bar(f"seed {physical}", len(prepared.items), app.json) as bar,
        _interruptible(f"seed of {physical}", bar, flag=None),
    ):
        report = api.seeding.run_seed(prepared, rejects, progress=bar.advance)
    _print_report(app.json, physical, report)
    if report.rejected:
        say(f"[red]{report.rejected} item(s) were not written; see {rejects}[/]")
        raise typer.Exit(1)


def _print_report(as_json: bool, physical: str, report: Any) -> None:
    if as_json:
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
        return
    out.print(
        f"seeded {report.written} item(s) into {physical}; the table holds {report.total} item(s)"
    )
    if report.by:
        out.print(f"Items by {report.by}:")
        for value, number in report.counts.items():
            share = 100 * number / report.total if report.total else 0
            out.print(f"  - {value}: {number} ({share:.0f}%)")
