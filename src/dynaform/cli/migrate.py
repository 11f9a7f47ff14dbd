"""``dynaform migrate``: data migrations, recorded per environment, run under a lock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any

import typer

from dynaform.cli.context import AppState, confirm, confirm_protected, state
from dynaform.cli.data import CONFIRM_HELP, FORCE_HELP, _bar
from dynaform.cli.output import err, out, print_json, say
from dynaform.errors import DynaformError

if TYPE_CHECKING:
    from dynaform.api import Binding
    from dynaform.migrate import Outcome, Reporter, Status
else:
    Reporter = object

app = typer.Typer(
    help="Data migrations: numbered Python files in migrations/, run once per environment.\n\n"
    "Example: dynaform -e dev migrate up --dry-run",
    no_args_is_help=True,
    rich_markup_mode=None,
)

STATE_COLOURS = {
    "applied": "green",
    "pending": "yellow",
    "running": "cyan",
    "failed": "red",
    "changed": "red",
    "missing": "magenta",
}


class _Reporter(Reporter):
    """Messages on stderr, a progress bar (items/s, ETA) per backfill (none with --json)."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet

    def message(self, text: str) -> None:  # stderr: --json output on stdout stays clean
        err.print(text, markup=False, highlight=False)

    def bar(self, label: str, total: int | None) -> AbstractContextManager[Callable[[int], None]]:
        return self._bar(label, total)

    @contextmanager
    def _bar(self, label: str, total: int | None) -> Iterator[Callable[[int], None]]:
        with _bar(label, total, self.quiet) as bar:
            yield bar.advance


def note(binding: Binding, *, always: bool = False) -> None:
    """For `plan`, `apply` and `status`: the environment's pending migrations, on stderr."""
    from dynaform.api import migrations

    line = migrations.pending_note(binding, always=always)
    if line:
        say(f"[yellow]{line}[/]" if "pending" in line else line)


@app.command("new")
def new(
    ctx: typer.Context, name: str = typer.Argument(..., help="What it does: add_owner.")
) -> None:
    """Write migrations/NNNN_NAME.py from a template, numbered after the last one.

    Example: dynaform migrate new add_owner
    """
    from dynaform.api import migrations

    app_state = state(ctx)
    path = migrations.new(app_state.bind(), name)
    if app_state.json:
        print_json({"path": str(path)})
    else:
        out.print(f"wrote {path}")


@app.command("status")
def status(
    ctx: typer.Context,
    detailed_exitcode: bool = typer.Option(
        False, "--detailed-exitcode", help="Exit 2 when migrations are pending (0: none)."
    ),
) -> None:
    """Applied, pending, running and failed migrations of the environment, and the lock.

    Example: dynaform -e staging migrate status --detailed-exitcode
    """
    from dynaform.api import migrations

    app_state = state(ctx)
    binding = app_state.bind()
    current = migrations.status(binding)
    if app_state.json:
        print_json(_status_json(binding, current))
    else:
        _print_status(binding, current)
    if detailed_exitcode and current.pending:
        raise typer.Exit(2)


def _status_json(binding: Binding, current: Status) -> dict[str, Any]:
    holder = current.holder
    return {
        "env": binding.env,
        "control_table": current.control_table,
        "migrations": [e.plain() for e in current.entries],
        "pending": [e.id for e in current.pending],
        "lock": None
        if holder is None
        else {"who": holder.who, "since": holder.since, "expired": holder.expired()},
    }


def _print_status(binding: Binding, current: Status) -> None:
    from rich.table import Table

    where = current.control_table + ("" if current.exists else " (not created yet)")
    out.print(f"migrations of {binding.env}, recorded in {where}")
    if not current.entries:
        out.print("no migrations (dynaform migrate new NAME writes the first)")
    grid = Table(box=None, pad_edge=False)
    for column in ("id", "state", "when", "by", "seconds", "read", "changed"):
        grid.add_column(column)
    for entry in current.entries:
        record = entry.record
        colour = STATE_COLOURS.get(entry.state, "white")
        counts = record.counts if record else {}
        grid.add_row(
            entry.id,
            f"[{colour}]{entry.state}[/]",
            (record.finished or record.started) if record else "",
            record.by if record else "",
            f"{record.seconds:.1f}" if record else "",
            str(counts.get("read", "")),
            str(counts.get("changed", "")),
        )
    if current.entries:
        out.print(grid)
    if current.holder is not None:
        holder = current.holder
        note = " (expired: the next run takes it over)" if holder.expired() else ""
        out.print(f"locked by {holder.describe()}{note}")
    if current.changed:
        names = ", ".join(e.id for e in current.changed)
        out.print(f"[red]changed after it was applied: {names}[/] (see --accept-changed)")


@app.command("up")
def up(
    ctx: typer.Context,
    to: str | None = typer.Option(None, "--to", help="Stop after this migration (id or number)."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Read and fill, print counts and a diff; write nothing."
    ),
    segments: int = typer.Option(8, "--segments", min=1, max=1000, help="Scan segments."),
    rate: float | None = typer.Option(
        None, "--rate", min=1, help="At most this many write units per second (this process)."
    ),
    wait: bool = typer.Option(
        False, "--wait", help="Wait for another run's lock, helping with its backfill."
    ),
    accept_changed: list[str] = typer.Option(
        [], "--accept-changed", help="Accept an applied migration's edited file (repeatable)."
    ),
    force: bool = typer.Option(False, "--force", help=FORCE_HELP),
    typed: str | None = typer.Option(None, "--confirm", help=CONFIRM_HELP),
) -> None:
    """Run the pending migrations in order, under the environment's lock.

    A stopped run (Ctrl-C, a kill, an error in fill) resumes where it stopped. Several
    machines running `migrate up --wait` share the segments of a running backfill.

    Example: dynaform -e prod migrate up --confirm prod
    """
    from dynaform.api import migrations

    app_state = state(ctx)
    binding = app_state.bind()
    options = migrations.Options(to, dry_run, segments, rate, wait, tuple(accept_changed))
    if not dry_run:
        _confirm(app_state, binding, options, force, typed)
    reporter = _Reporter(app_state.json)
    try:
        outcomes = migrations.up(binding, options, reporter)
    except KeyboardInterrupt:
        say("interrupted: run `dynaform migrate up` again to resume from the checkpoints")
        raise typer.Exit(130) from None
    except DynaformError as exc:
        trace = getattr(exc, "trace", "")
        if trace and not app_state.json:
            err.print(trace.rstrip(), markup=False, highlight=False)
        raise
    _print_outcomes(app_state, outcomes, dry_run)


def _confirm(
    app_state: AppState, binding: Binding, options: Any, force: bool, typed: str | None
) -> None:
    """Protected environments: show what will run, then the typed confirmation."""
    from dynaform.api import migrations

    if migrations.protection(binding) is None:
        return
    todo = migrations.to_run(binding, options)
    if not todo:
        return
    say(f"will run in {binding.env}: " + ", ".join(e.id for e in todo))
    names = [s.name for s in binding.specs]
    confirm_protected(binding, names, "run them", force=force, typed=typed, of_this_env=True)


def _print_outcomes(app_state: AppState, outcomes: list[Outcome], dry_run: bool) -> None:
    if app_state.json:
        print_json([_outcome_json(o) for o in outcomes])
        return
    if not outcomes:
        out.print("nothing to do: every migration is applied")
        return
    for outcome in outcomes:
        verb = "would change" if dry_run else "applied"
        out.print(f"{outcome.entry.id}: {verb} in {outcome.seconds:.1f}s")
        for table, tally in outcome.tallies:
            counts = tally.counts()
            shown = ", ".join(f"{k} {v:,}" for k, v in counts.items() if v)
            speed = counts["read"] / outcome.seconds if outcome.seconds else 0
            out.print(f"  {table}: {shown or 'no items'} ({speed:,.0f} items/s)")
            if dry_run:
                _print_samples(tally.samples)


def _print_samples(samples: list[tuple[Any, Any]]) -> None:
    import json

    for before, after in samples:
        old = json.dumps(before, default=str, sort_keys=True)
        new = "DELETE" if after is None else json.dumps(after, default=str, sort_keys=True)
        out.print(f"    [red]- {old}[/]")
        out.print(f"    [green]+ {new}[/]")


def _outcome_json(outcome: Outcome) -> dict[str, Any]:
    return {
        "id": outcome.entry.id,
        "state": outcome.record.state if outcome.record else "dry-run",
        "seconds": round(outcome.seconds, 3),
        "tables": {
            table: {
                **tally.counts(),
                "samples": [{"before": b, "after": a} for b, a in tally.samples],
            }
            for table, tally in outcome.tallies
        },
    }


@app.command("history")
def history(ctx: typer.Context) -> None:
    """Every run: who ran what, when, how long, items read, changed, unchanged.

    Example: dynaform -e prod migrate history
    """
    from rich.table import Table

    from dynaform.api import migrations

    app_state = state(ctx)
    entries = migrations.history(app_state.bind())
    if app_state.json:
        print_json([{k: v for k, v in e.items() if k not in ("PK", "SK")} for e in entries])
        return
    if not entries:
        out.print("no migration has run in this environment")
        return
    grid = Table(box=None, pad_edge=False)
    for column in ("started", "id", "action", "state", "by", "seconds", "counts"):
        grid.add_column(column)
    for e in entries:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(e.get("counts", {}).items()) if v)
        colour = STATE_COLOURS.get(str(e.get("state")), "white")
        grid.add_row(
            str(e.get("started", "")),
            str(e.get("id", "")),
            str(e.get("action", "up")),
            f"[{colour}]{e.get('state', '')}[/]",
            str(e.get("by", "")),
            f"{float(e.get('seconds', 0)):.1f}",
            counts,
        )
    out.print(grid)


@app.command("unlock")
def unlock(
    ctx: typer.Context, yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask.")
) -> None:
    """Remove the migration lock of a run that is gone (its lease expired, or its process no
    longer runs on this machine). A live holder's lock is never removed.

    Example: dynaform -e staging migrate unlock --yes
    """
    from dynaform.api import migrations

    app_state = state(ctx)
    binding = app_state.bind()
    current = migrations.status(binding)
    if current.holder is None:
        out.print("no lock is held")
        return
    confirm(app_state, f"Remove the lock held by {current.holder.describe()}?", yes)
    removed = migrations.unlock(binding)
    if app_state.json:
        print_json({"removed": removed is not None})
    elif removed is not None:
        out.print(f"removed the lock held by {removed.describe()}")
