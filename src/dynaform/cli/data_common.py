"""What the ``data`` commands share: naming the table, the protection guard, progress bars,
Ctrl-C with the resume command, and failing on rejected items."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from dynaform.cli.context import AppState, confirm_protected
from dynaform.cli.output import err
from dynaform.errors import DynaformError, UsageError

if TYPE_CHECKING:
    from dynaform.api import DataTable

CONFIRM_HELP = "Name of the protected environment, typed back (for scripts)."
FORCE_HELP = "Allow a table of a protected environment (you type its name, or --confirm)."


def _target(app_state: AppState, name: str, env: str | None = None) -> DataTable:
    """TABLE as typed: a physical name, or a logical one from the project file."""
    from dynaform import api

    return api.data_table(app_state.bind(project=False, env=env), name)


def _guard(table: DataTable, action: str, force: bool, typed: str | None) -> None:
    """Protection follows the physical table (see ``confirm_protected``)."""
    confirm_protected(table.binding, [table.name], action, force=force, typed=typed)


def resume_command(flag: str | None = "--resume") -> str:
    """The command line as typed, with the resume flag added when it is missing."""
    args = sys.argv[1:]
    if flag and flag not in args:
        args = [*args, flag]
    return "dynaform " + shlex.join(args)


@contextmanager
def _interruptible(label: str, bar: _Bar, flag: str | None = "--resume") -> Iterator[None]:
    """Ctrl-C: one line saying what was done and the exact command that continues."""
    try:
        yield
    except KeyboardInterrupt:
        done = bar.done()
        how = "resume with" if flag else "run it again (writes are idempotent)"
        err.print(
            f"interrupted: {label}, {done:,} item(s) done; {how}: {resume_command(flag)}",
            markup=False,
            highlight=False,
        )
        raise typer.Exit(130) from None


class _Bar:
    def __init__(self, progress: Progress | None, task: TaskID | None) -> None:
        self.progress, self.task = progress, task
        self.count = 0

    def advance(self, n: int) -> None:
        self.count += n
        if self.progress is None or self.task is None:
            return
        self.progress.advance(self.task, n)
        current = self.progress.tasks[0]
        if current.elapsed:
            self.progress.update(self.task, rate=f"{current.completed / current.elapsed:,.0f}")

    def done(self) -> int:
        return self.count

    def total(self, n: int) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, total=n)


@contextmanager
def _bar(label: str, total: int | None, quiet: bool) -> Iterator[_Bar]:
    """A progress bar with items/s and ETA on stderr (none with --json)."""
    if quiet:
        yield _Bar(None, None)
        return
    columns = [
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rate]} items/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    ]
    with Progress(*columns, console=err, transient=False) as progress:
        yield _Bar(progress, progress.add_task(label, total=total, rate="-"))


def _fail_on_rejects(rejected: int, path: Path | None, reasons: dict[str, int]) -> None:
    if rejected:
        why = "; ".join(
            f"{n} x {reason}" for reason, n in sorted(reasons.items(), key=lambda r: -r[1])[:3]
        )
        raise DynaformError(
            f"{rejected} item(s) could not be written ({why}); they are saved in {path}",
            hint=f"fix the cause, then `dynaform data import TABLE {path}`",
        )


def _format(value: str | None) -> str | None:
    from dynaform import api

    if value is None:
        return None
    if value not in api.data.data_formats():
        raise UsageError(f"unknown format {value!r}", hint="use ddb-json, json or csv")
    return value
