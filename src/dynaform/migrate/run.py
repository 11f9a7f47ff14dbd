"""Status and ``up``: which migrations are applied in an environment, and running the pending
ones under the environment's lock, recording each in the control table."""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from typing import Any

from dynaform.errors import DynaformError
from dynaform.migrate import files as migration_files
from dynaform.migrate.context import Environment, Joined, Migration, Options, Reporter
from dynaform.migrate.control import ControlTable, Record, iso
from dynaform.migrate.files import Loaded, MigrationFile
from dynaform.migrate.lock import Heartbeat, Holder, Lock, lease_seconds
from dynaform.migrate.writes import Tally


class LockedError(DynaformError):
    """Another run holds the environment's lock."""


@dataclass
class Entry:
    id: str
    state: str  # applied | pending | running | failed | changed (applied, file edited) | missing
    file: MigrationFile | None
    record: Record | None

    def plain(self) -> dict[str, Any]:
        found = self.record.plain() if self.record else {}
        return {**found, "id": self.id, "state": self.state, "file": self.file is not None}


@dataclass
class Status:
    control_table: str
    exists: bool
    entries: list[Entry] = field(default_factory=list)
    holder: Holder | None = None

    @property
    def pending(self) -> list[Entry]:
        return [e for e in self.entries if e.state in ("pending", "running", "failed")]

    @property
    def changed(self) -> list[Entry]:
        return [e for e in self.entries if e.state == "changed"]


def entries(found: list[MigrationFile], records: dict[str, Record]) -> list[Entry]:
    listed: list[Entry] = []
    for file in found:
        record = records.get(file.id)
        if record is None:
            listed.append(Entry(file.id, "pending", file, None))
        elif record.state == "applied" and record.checksum != file.checksum:
            listed.append(Entry(file.id, "changed", file, record))
        else:
            listed.append(Entry(file.id, record.state, file, record))
    ids = {f.id for f in found}
    listed += [Entry(r.id, "missing", None, r) for r in records.values() if r.id not in ids]
    return sorted(listed, key=lambda e: e.id)


def status(environment: Environment) -> Status:
    control = ControlTable(environment.wire, environment.control_table)
    exists = control.exists()
    records = control.records() if exists else {}
    holder = Holder.of(found) if exists and (found := control.get("lock", "lock")) else None
    found_files = migration_files.discover(environment.folder)
    return Status(environment.control_table, exists, entries(found_files, records), holder)


def selected(current: Status, options: Options) -> list[Entry]:
    """The pending migrations up to ``--to``; an applied migration whose file changed stops
    everything unless accepted with ``--accept-changed``."""
    accepted = options.accept_changed
    refused = [
        e for e in current.changed if not any(e.file and e.file.matches(a) for a in accepted)
    ]
    if refused:
        names = ", ".join(e.id for e in refused)
        raise DynaformError(
            f"applied migration(s) changed since they ran: {names} (the file's checksum differs "
            "from the one recorded)",
            hint="restore the file as it was applied (write a new migration for new changes), "
            f"or accept the edit with --accept-changed {refused[0].id}",
        )
    pending = current.pending
    if options.to is not None:
        known = [e.file for e in current.entries if e.file is not None]
        last = migration_files.find(known, options.to)
        pending = [e for e in pending if e.file is not None and e.file.number <= last.number]
    return [e for e in pending if e.file is not None]


@dataclass
class Outcome:
    entry: Entry
    record: Record | None  # None in a dry run
    tallies: list[tuple[str, Tally]]
    seconds: float


def up(environment: Environment, options: Options, reporter: Reporter) -> list[Outcome]:
    """Run the pending migrations (dry: read and fill only, nothing written, no lock)."""
    control = ControlTable(environment.wire, environment.control_table)
    todo = selected(status(environment), options)
    if options.dry_run:
        return [_dry(environment, options, reporter, control, e) for e in todo]
    if not todo and not options.accept_changed:
        return []
    control.ensure()
    heartbeat = Heartbeat(control, lease_seconds()).start()
    lock = Lock(control, heartbeat, environment.who)
    try:
        _acquire(environment, options, reporter, control, lock)
        current = status(environment)
        _accept(control, current, options, environment.who)
        return [
            _run_one(environment, options, reporter, control, lock, e)
            for e in selected(current, options)
        ]
    finally:
        lock.release()
        heartbeat.stop()


def _acquire(
    environment: Environment,
    options: Options,
    reporter: Reporter,
    control: ControlTable,
    lock: Lock,
) -> None:
    """Take the lock; with ``wait``, wait for it, helping with the holder's backfill."""
    told = False
    while True:
        holder = lock.acquire()
        if holder is None:
            return
        if not options.wait:
            raise LockedError(
                f"another run holds the migration lock of {environment.env}: {holder.describe()}",
                hint="wait for it (pass --wait to wait and help with its backfill); if that "
                "process is gone, its lease expires by itself (`dynaform migrate unlock`)",
            )
        if not told:
            reporter.message(f"waiting for the migration lock, held by {holder.describe()}")
            told = True
        if holder.backfill:
            _help(environment, options, reporter, control, holder)
        time.sleep(min(2.0, max(0.2, lock.heartbeat.seconds / 6)))


def _help(
    environment: Environment,
    options: Options,
    reporter: Reporter,
    control: ControlTable,
    holder: Holder,
) -> None:
    """Join the holder's running backfill: lease its free segments until none is left."""
    migration_id, _, number = holder.backfill.rpartition("#")
    found = [f for f in migration_files.discover(environment.folder) if f.id == migration_id]
    if not found or found[0].checksum != holder.checksum:
        return  # not this file (or another version of it): only its holder runs it
    loaded = migration_files.load(found[0], environment.project_dir)
    heartbeat = Heartbeat(control, lease_seconds()).start()
    m = Migration(environment, loaded.file.id, options, heartbeat, control, reporter)
    m.join_backfill = int(number)
    try:
        _call_up(loaded, m)
    except Joined:
        pass
    finally:
        heartbeat.stop()


def _accept(control: ControlTable, current: Any, options: Options, who: str) -> None:
    for entry in current.changed:
        if entry.file is None or not any(entry.file.matches(a) for a in options.accept_changed):
            continue
        record = entry.record
        assert record is not None
        record.checksum = entry.file.checksum
        control.save_record(record)
        control.add_history(
            Record(record.id, entry.file.checksum, "applied", who, iso(), iso()),
            action="accept-changed",
        )


class MigrationError(DynaformError):
    """The migration's own code raised."""

    def __init__(self, message: str, trace: str) -> None:
        super().__init__(
            message,
            hint="fix the migration and run `dynaform migrate up` again: it resumes where it "
            "stopped",
        )
        self.trace = trace


def _call_up(loaded: Loaded, m: Migration) -> None:
    """``up(m)``; an exception of the migration's own is one error with its traceback."""
    try:
        loaded.up(m)
    except (DynaformError, Joined):
        raise
    except Exception as exc:
        raise MigrationError(
            f"{loaded.file.id} failed: {type(exc).__name__}: {exc}", traceback.format_exc()
        ) from exc


def _requires(environment: Environment, loaded: Loaded) -> None:
    if loaded.requires != "apply" or environment.tables_match is None:
        return
    difference = environment.tables_match()
    if difference:
        raise DynaformError(
            f"{loaded.file.id} requires the tables to match dynaform.yaml, and `plan` shows "
            f"changes: {difference}",
            hint="run `dynaform apply` first, then `dynaform migrate up`",
        )


def _run_one(
    environment: Environment,
    options: Options,
    reporter: Reporter,
    control: ControlTable,
    lock: Lock,
    entry: Entry,
) -> Outcome:
    assert entry.file is not None
    loaded = migration_files.load(entry.file, environment.project_dir)
    _requires(environment, loaded)
    previous = entry.record
    record = Record(
        entry.id,
        entry.file.checksum,
        "running",
        environment.who,
        iso(),
        description=loaded.description or (previous.description if previous else ""),
    )
    control.save_record(record)
    lock.publish(migration=entry.id)
    about = f": {record.description}" if record.description else ""
    reporter.message(f"running {entry.id}{about}")
    m = Migration(environment, entry.id, options, lock.heartbeat, control, reporter)
    m.abort = lock.lost
    checksum = entry.file.checksum
    m.announce = lambda backfill: lock.publish(
        migration=entry.id, backfill=backfill, checksum=checksum if backfill else ""
    )
    began = time.monotonic()
    try:
        _call_up(loaded, m)
    except BaseException as exc:
        _finish(control, record, m, began, exc)
        raise
    _finish(control, record, m, began, None)
    return Outcome(entry, record, m.tallies, record.seconds)


def _finish(
    control: ControlTable, record: Record, m: Migration, began: float, exc: BaseException | None
) -> None:
    total = Tally()
    for _table, tally in m.tallies:
        total.add(tally)
    record.counts = total.counts()
    record.finished = iso()
    record.seconds = time.monotonic() - began
    if exc is None:
        record.state, record.error = "applied", ""
    else:
        record.state = "failed"
        trace = getattr(exc, "trace", "") or traceback.format_exc()
        record.error = f"{exc}\n{trace}".strip()[:20000]
    control.save_record(record)
    control.add_history(record)


def _dry(
    environment: Environment,
    options: Options,
    reporter: Reporter,
    control: ControlTable,
    entry: Entry,
) -> Outcome:
    assert entry.file is not None
    loaded = migration_files.load(entry.file, environment.project_dir)
    reporter.message(
        f"dry run of {entry.id}" + (f": {loaded.description}" if loaded.description else "")
    )
    m = Migration(environment, entry.id, options, None, control, reporter)
    began = time.monotonic()
    _call_up(loaded, m)
    return Outcome(entry, None, m.tallies, time.monotonic() - began)


def unlock(environment: Environment, *, gone: bool) -> Holder | None:
    """Remove the lock when its holder is gone: its lease expired, or ``gone`` (the caller
    checked the process no longer runs). The holder's segment leases expire by themselves."""
    control = ControlTable(environment.wire, environment.control_table)
    if not control.exists():
        return None
    item = control.get("lock", "lock")
    if item is None:
        return None
    holder = Holder.of(item)
    if not (gone or holder.expired()):
        raise DynaformError(
            f"the lock is held by {holder.describe()} and its lease is being renewed",
            hint="that run is alive: wait for it, or stop that process first",
        )
    control.delete("lock", "lock", ("#token = :tok", {"tok": holder.token}))
    return holder
