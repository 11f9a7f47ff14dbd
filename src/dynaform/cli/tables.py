"""``plan``, ``apply``, ``destroy`` and ``describe``: tables as code."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from dynaform.cli import migrate as migrate_cli
from dynaform.cli.context import AppState, confirm, confirm_protected, state
from dynaform.cli.output import err, human_bytes, out, print_json, say
from dynaform.errors import UsageError

if TYPE_CHECKING:
    from dynaform.api import Binding, SavedPlan
    from dynaform.core.planfile import Plan

CONFIRM_HELP = "Name of the protected environment, typed back (for scripts)."

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smh]?)$")


def parse_duration(text: str) -> float:
    """'90', '90s', '30m', '2h' -> seconds."""
    match = _DURATION.match(text.strip())
    if not match:
        raise UsageError(f"cannot read the duration {text!r}", hint="write e.g. 90s, 30m or 2h")
    value, unit = float(match.group(1)), match.group(2)
    return value * {"": 1, "s": 1, "m": 60, "h": 3600}[unit]


def _plan(app: AppState, prune: bool, tables: list[str] | None) -> tuple[Binding, Plan]:
    from dynaform import api

    binding = app.bind()
    return binding, api.plan(binding, prune=prune, tables=tables or None)


def plan(
    ctx: typer.Context,
    out_file: Path | None = typer.Option(None, "--out", help="Save the plan as JSON for apply."),
    detailed_exitcode: bool = typer.Option(
        False, "--detailed-exitcode", help="Exit 2 when there are changes (0 when none)."
    ),
    prune: bool = typer.Option(
        False, "--prune", help="Also plan deleting this project's tables no longer declared."
    ),
    table: list[str] = typer.Option([], "--table", "-t", help="Only these tables (repeatable)."),
) -> None:
    """Show what apply would change, with the reason for each change and the numbered steps.

    Reads only. Exit 0 when nothing changes; with --detailed-exitcode, 2 when something does.

    Example: dynaform -e dev plan --detailed-exitcode
    """
    from dynaform.core.planfile import to_json
    from dynaform.core.render import render

    app = state(ctx)
    binding, result = _plan(app, prune, table)
    if out_file is not None:
        out_file.write_text(json.dumps(to_json(result), indent=2) + "\n")
        say(f"saved the plan to {out_file}")
    if app.json:
        print_json(to_json(result))
    else:
        out.print(render(result), markup=True, highlight=False)
    migrate_cli.note(binding, always=True)
    if detailed_exitcode and result.has_changes:
        raise typer.Exit(2)


def _saved(binding: Binding, path: Path) -> SavedPlan:
    from dynaform import api

    saved = api.load_saved(binding, path)
    if saved.file_changed:
        say(
            f"[yellow]note:[/] the project file changed since {path} was made; applying the "
            "saved plan exactly as shown below (plan again to apply today's file)"
        )
    return saved


def _announce_rebuilds(planned: Plan) -> None:
    from dynaform.core.render import rebuild_stages

    for change in planned.changes:
        if change.kind != "table-rebuild":
            continue
        verb = "Resuming the TABLE REBUILD" if change.resuming else "TABLE REBUILD"
        say(f"[bold]{verb} of {change.table}[/], each stage verified before the next:")
        for number, text in enumerate(rebuild_stages(change), 1):
            say(f"  {number}. {text}")


def apply(
    ctx: typer.Context,
    plan_file: Path | None = typer.Argument(None, help="A plan saved with `plan --out`."),
    yes: bool = typer.Option(False, "--yes", "--force", help="Do not ask for confirmation."),
    timeout: str = typer.Option("30m", help="Give up waiting after this long (e.g. 90s, 30m)."),
    no_wait: bool = typer.Option(
        False, "--no-wait", help="Start the changes, do not wait; apply again to continue."
    ),
    allow_rebuild: bool = typer.Option(
        False, "--allow-rebuild", help="Allow TABLE REBUILD (new table + copy of every item)."
    ),
    prune: bool = typer.Option(False, "--prune", help="Delete tables no longer declared."),
    table: list[str] = typer.Option([], "--table", "-t", help="Only these tables (repeatable)."),
    typed: str | None = typer.Option(None, "--confirm", help=CONFIRM_HELP),
    no_deletes: bool = typer.Option(
        False, "--no-deletes", help="Refuse a plan that deletes a table or an index (for CI)."
    ),
) -> None:
    """Make the live tables match the project file, in the order DynamoDB allows.

    Shows the plan, asks, then runs the steps with live progress. Idempotent; an interrupted
    apply (an interrupted TABLE REBUILD too) resumes when run again. With a saved plan, runs
    exactly its operations, or refuses when the live tables changed since.

    Example: dynaform -e dev apply --yes
    """
    from dynaform import api
    from dynaform.core.render import render

    app = state(ctx)
    seconds = parse_duration(timeout)
    if plan_file is not None:
        binding = app.bind()
        result = _saved(binding, plan_file).plan
    else:
        binding, result = _plan(app, prune, table)
    if not app.json:
        out.print(render(result), markup=True, highlight=False)
    if not result.has_changes:
        if app.json:
            print_json({"applied": 0, "changes": 0})
        migrate_cli.note(binding)
        return
    api.tables.refuse_blocked(result, allow_rebuild)
    if no_deletes:
        _refuse_deletes(result)
    _announce_rebuilds(result)
    _confirm_apply(app, binding, result, yes, typed)
    began = time.monotonic()
    applied = _run(binding, result, seconds, not no_wait, allow_rebuild)
    _applied(app, binding, applied, time.monotonic() - began, prune, table)
    migrate_cli.note(binding)


def _run(binding: Binding, result: Plan, seconds: float, wait: bool, allow_rebuild: bool) -> Any:
    """Apply with live progress; Ctrl-C says what is kept and how to resume."""
    from dynaform import api

    with err.status("applying …") as status:

        def report(message: str) -> None:
            if message.startswith("["):
                err.print(message, markup=False)
            status.update(message)

        try:
            return api.apply(
                binding,
                result,
                timeout=seconds,
                wait=wait,
                allow_rebuild=allow_rebuild,
                report=report,
            )
        except KeyboardInterrupt:
            err.print(
                "interrupted: what was done is kept (a rebuild's items wait in its "
                "holding table); resume with: dynaform apply",
                markup=False,
            )
            raise typer.Exit(130) from None


DELETING = {"delete_table", "delete_index", "rebuild_index", "rebuild_table", "resume_rebuild"}


def _refuse_deletes(result: Plan) -> None:
    found = [
        f"{op.table}: {op.field or op.type}"
        for c in result.changes
        for op in c.ops
        if op.type in DELETING
    ]
    if found:
        raise UsageError(
            f"--no-deletes: the plan deletes {'; '.join(found)}; nothing was changed",
            hint="apply without --no-deletes after review, or change the file back",
        )


def _confirm_apply(
    app: AppState, binding: Binding, result: Plan, yes: bool, typed: str | None
) -> None:
    """Changing or deleting an existing table of a protected environment (an index removed,
    TTL turned on, a rebuild, a prune) needs its name typed back, or --confirm ENV; creating
    tables there, and anything elsewhere, an ordinary confirmation."""
    existing = [c.table for c in result.changes if c.kind != "create"]
    force = yes or app.yes
    if confirm_protected(binding, existing, "apply", force=force, typed=typed, of_this_env=True):
        return
    protected = binding.protection([c.table for c in result.changes], of_this_env=True)
    question = f"Apply {len(result.steps)} step(s) to {result.env}"
    confirm(app, question + (" (a protected environment)?" if protected else "?"), yes)


def _applied(
    app: AppState, binding: Binding, applied: Any, elapsed: float, prune: bool, table: list[str]
) -> None:
    from dynaform import api

    if applied.pending:
        say(f"started {applied.done} of {applied.total} step(s); {applied.pending}")
    else:
        check = api.plan(binding, prune=prune, tables=table or None)
        verdict = "live state matches" if not check.has_changes else "changes remain"
        say(f"applied {applied.done} step(s) in {elapsed:.1f}s; {verdict}")
    if app.json:
        print_json(
            {
                "applied": applied.done,
                "total": applied.total,
                "pending": applied.pending,
                "seconds": round(elapsed, 2),
            }
        )


def destroy(
    ctx: typer.Context,
    table: list[str] = typer.Option([], "--table", "-t", help="Only these tables (repeatable)."),
    force: bool = typer.Option(
        False, "--force", help="Skip the yes/no question (protected: type the name, or --confirm)."
    ),
    typed: str | None = typer.Option(None, "--confirm", help=CONFIRM_HELP),
) -> None:
    """Delete the project's tables in an environment, with their data.

    Lists each table with its item count and asks first; in a protected environment you type
    the environment's name (or pass --confirm ENV). Tables with deletion protection are refused.

    Example: dynaform -e dev destroy --table items
    """
    from rich.table import Table

    from dynaform import api

    app = state(ctx)
    binding = app.bind()
    found = api.destroy_targets(binding, table or None)
    if not found:
        out.print(f"nothing to destroy: no table of the project exists in {binding.env}")
        return
    grid = Table(show_edge=False, header_style="bold")
    for column in ("table", "items", "size", "deletion protection"):
        grid.add_column(column)
    for live in found:
        grid.add_row(
            live.spec.name,
            f"{live.item_count or 0:,}",
            human_bytes(live.size_bytes),
            "on" if live.spec.deletion_protection else "off",
        )
    out.print(grid)
    if not any(t.spec.deletion_protection for t in found):
        names = [t.spec.name for t in found]
        if not confirm_protected(binding, names, "delete them", force=force, typed=typed):
            confirm(app, f"Delete {len(found)} table(s) and all their items?", force)
    api.destroy(binding, found, report=lambda line: out.print(line))


def describe(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="A physical table name, or a logical one with -e."),
    metrics: bool = typer.Option(
        False, "--metrics", help="CloudWatch: consumed capacity, throttles, utilisation."
    ),
    since: str = typer.Option("24h", "--since", help="The metrics' window: 90m, 24h, 7d, 2w."),
) -> None:
    """Verification report of one table: status, items, size, billing, encryption, PITR, TTL,
    stream and every index with its status and backfill; with --metrics, its CloudWatch
    metrics per table and per GSI as small charts.

    Example: dynaform -e dev describe main --metrics --since 24h
    """
    from dynaform import api
    from dynaform.core.text import billing_text, gsi_text, sse_text

    app = state(ctx)
    binding = app.bind(project=False)
    found = api.describe(binding, name)
    live, caps = found.live, binding.connection().caps
    spec = live.spec
    unknown = "n/a on this endpoint"
    report = {
        "table": spec.name,
        "status": live.status,
        "items": live.item_count,
        "size": human_bytes(live.size_bytes),
        "keys": spec.partition_key.name + (f" / {spec.sort_key.name}" if spec.sort_key else ""),
        "billing": billing_text(spec.billing),
        "encryption": sse_text(spec.sse) if caps.sse else unknown,
        "point-in-time recovery": ("on" if spec.pitr else "off") if caps.pitr else unknown,
        "ttl": spec.ttl or "off",
        "stream": spec.stream or "off",
        "deletion protection": "on" if spec.deletion_protection else "off",
        "progress": found.progress,
    }
    if app.json:
        indexes = {g.name: gsi_text(g) for g in spec.gsis}
        extra = {"indexes": indexes, "arn": live.arn, "tags": spec.tags}
        if metrics:
            from dynaform.cli.metrics import metrics_json

            extra["metrics"] = metrics_json(api.inspect.table_metrics(binding, name, since))
        print_json(report | extra)
        return
    for key, value in report.items():
        out.print(f"[bold]{key:<23}[/] {value}", markup=True)
    if spec.gsis or spec.lsis:
        _index_grid(found)
    if metrics:
        from dynaform.cli.metrics import show_metrics

        show_metrics(api.inspect.table_metrics(binding, name, since))


def _index_grid(found: Any) -> None:
    from rich.table import Table

    from dynaform.core.text import gsi_text

    live = found.live
    grid = Table(show_edge=False, header_style="bold")
    for column in ("index", "kind", "keys and projection", "status"):
        grid.add_column(column)
    for gsi in live.spec.gsis:
        index_state = live.indexes.get(gsi.name)
        text = index_state.status if index_state else "?"
        if index_state and index_state.backfilling:
            text += " (backfilling)"
        grid.add_row(gsi.name, "global", gsi_text(gsi), text)
    for lsi in live.spec.lsis:
        grid.add_row(lsi.name, "local", lsi.sort_key.name, "ACTIVE")
    out.print(grid)
