"""``m``, what a migration's ``up(m)`` is given, and the environment a run is bound to."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dynaform.data.bulk import RateLimiter
from dynaform.data.table import describe, key_schema
from dynaform.data.wire import WireClient
from dynaform.errors import DynaformError
from dynaform.migrate import backfill as backfills
from dynaform.migrate.control import ControlTable
from dynaform.migrate.lock import Heartbeat
from dynaform.migrate.writes import DELETE, Tally, Target


class Reporter:
    """How a run talks to whoever started it (the CLI draws bars; the default is silent)."""

    def message(self, text: str) -> None:
        return None

    def bar(self, label: str, total: int | None) -> AbstractContextManager[Callable[[int], None]]:
        return _no_bar()


@contextmanager
def _no_bar() -> Iterator[Callable[[int], None]]:
    yield lambda n: None


@dataclass
class Environment:
    """A project's environment as the api layer binds it: names, the client, the checks."""

    project: str
    env: str
    control_table: str
    folder: Path
    project_dir: Path
    wire: WireClient
    physical: Callable[[str], str]
    who: str
    store: Callable[[bool], Any] | None = None  # dry_run -> an entities Store
    tables_match: Callable[[], str | None] | None = None  # None, or what `plan` would change


@dataclass
class Options:
    to: str | None = None
    dry_run: bool = False
    segments: int = 8
    rate: float | None = None
    wait: bool = False
    accept_changed: tuple[str, ...] = ()
    threads: int = 4
    writers: int = 16


class Joined(Exception):  # noqa: N818 - control flow, never shown
    """A worker has done its share of the running backfill: leave ``up``."""


@dataclass
class Migration:
    """``m``: the environment, the tables, and ``backfill``."""

    environment: Environment
    id: str
    options: Options
    heartbeat: Heartbeat | None
    control: ControlTable
    reporter: Reporter = field(default_factory=Reporter)
    join_backfill: int | None = None  # a worker: only this backfill, shared, then leave
    abort: Callable[[], bool] = lambda: False
    announce: Callable[[str], None] = lambda backfill: None  # "<id>#<n>" running, "" done
    tallies: list[tuple[str, Tally]] = field(default_factory=list)
    _count: int = 0
    _store: Any = None

    DELETE = DELETE

    @property
    def dry_run(self) -> bool:
        return self.options.dry_run

    @property
    def env(self) -> str:
        return self.environment.env

    @property
    def project(self) -> str:
        return self.environment.project

    @property
    def wire(self) -> WireClient:
        """The data plane's client, for calls of your own: ``m.wire.call("GetItem", {...})``."""
        return self.environment.wire

    def table(self, name: str) -> str:
        """A logical table name of dynaform.yaml -> its physical name in this environment."""
        return self.environment.physical(name)

    @property
    def store(self) -> Any:
        """A ``dynaform.entities.Store`` bound to this environment (writes are only shown in a
        dry run)."""
        if self.environment.store is None:
            raise DynaformError("m.store is not available here")
        if self._store is None:
            self._store = self.environment.store(self.dry_run)
        return self._store

    def log(self, *parts: Any) -> None:
        self.reporter.message(f"{self.id}: " + " ".join(str(p) for p in parts))

    def backfill(
        self,
        table: str,
        fill: Callable[[Any], Any],
        *,
        version: str | None = "version",
        segments: int | None = None,
        batch: int = 25,
        page: int = backfills.PAGE,
    ) -> dict[str, int]:
        """Apply ``fill`` to every item of ``table``; returns the counts. ``version`` names the
        attribute optimistic locking uses (None: compare every attribute read). ``batch``
        in-place writes go in one transaction (2 write units an item on AWS; 1: each write on
        its own, 1 unit, more requests). A checkpoint is saved every ``page`` items."""
        number = self._count
        self._count += 1
        if self.join_backfill is not None and number < self.join_backfill:
            return {}
        physical = self.table(table)
        wire = self.environment.wire
        described = describe(wire, physical)
        keys, _types = key_schema(described)
        limiter = RateLimiter(self.options.rate) if self.options.rate else None
        target = Target(wire, physical, keys, version, self.dry_run, limiter, max(1, batch))
        job = backfills.Job(
            control=self.control,
            heartbeat=self.heartbeat,  # type: ignore[arg-type] # None only in a dry run
            migration=self.id,
            number=number,
            target=target,
            fill=fill,
            segments=segments or self.options.segments,
            threads=self.options.threads,
            writers=self.options.writers,
            who=self.environment.who,
            abort=self.abort,
            page=max(1, page),
        )
        self.announce(f"{self.id}#{number}")
        try:
            tally = self._run(job, physical, int(described.get("ItemCount", 0)) or None)
        finally:
            self.announce("")
        self.tallies.append((physical, tally))
        if self.join_backfill is not None:
            raise Joined
        return tally.counts()

    def _run(self, job: backfills.Job, physical: str, total: int | None) -> Tally:
        joining = self.join_backfill is not None
        if not self.dry_run and not joining and backfills.done(job):
            return backfills.totals(job)
        what = "dry run of" if self.dry_run else "helping with" if joining else "backfill"
        with self.reporter.bar(f"{what} {physical}", total) as advance:
            job.progress = advance
            return backfills.run(job, join=joining)
