"""Data migrations: numbered Python files run once per environment, recorded in the
environment's control table, under a lease lock, with resumable, shareable backfills whose
writes never overwrite a live change. See docs/migrations.md."""

from dynaform.migrate.context import Environment, Migration, Options, Reporter
from dynaform.migrate.control import ControlTable, Record
from dynaform.migrate.files import MigrationFile, discover, new_file
from dynaform.migrate.lock import Holder, holder_is_gone, who_am_i
from dynaform.migrate.run import (
    Entry,
    LockedError,
    Outcome,
    Status,
    status,
    unlock,
    up,
)
from dynaform.migrate.writes import DELETE, FillError, Tally

__all__ = [
    "DELETE",
    "ControlTable",
    "Entry",
    "Environment",
    "FillError",
    "Holder",
    "LockedError",
    "Migration",
    "MigrationFile",
    "Options",
    "Outcome",
    "Record",
    "Reporter",
    "Status",
    "Tally",
    "discover",
    "holder_is_gone",
    "new_file",
    "status",
    "unlock",
    "up",
    "who_am_i",
]
