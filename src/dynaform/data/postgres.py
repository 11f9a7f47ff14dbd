"""``data import TABLE postgresql://...``: a query's rows into a table, one command.

The rows stream through a server-side cursor (``DECLARE ... CURSOR``, fetched a page at a time),
so memory stays flat whatever the result's size, and go through the bulk writer (batches,
backoff, reject file). The checkpoint (``<TABLE>.postgres.checkpoint.json``) records how many
rows, from the first, DynamoDB confirmed or the reject file holds; ``--resume`` moves the cursor
past them (``MOVE``, on the server) — the query must return its rows in the same order each time
(``ORDER BY`` the key), and the checkpoint refuses a different query or database.

Types: integers and numerics as N (exactly; floats by their shortest repr), booleans as BOOL,
text as S, timestamps as ISO 8601 UTC strings (``epoch`` / ``epoch-ms`` per column: N), dates
and times as ISO strings, uuid as S, json/jsonb as M/L (numbers exact), arrays as L (``SS`` /
``NS`` per column: sets), bytea as B; NULL leaves the attribute out (inside a list or a JSON
value it is NULL). A row lacking a key attribute goes to the reject file as ``row N``.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time
from decimal import Decimal
from pathlib import Path
from typing import Any

from dynaform.data import checkpoint
from dynaform.data.bulk import BulkWriter, Record, RejectFile, Watermark, WriteStats
from dynaform.data.codec import CodecError, Encoder
from dynaform.data.errors import DataError, RunStoppedError
from dynaform.data.importer import _Checkpoint, _start, _tracked
from dynaform.data.table import describe, key_schema
from dynaform.data.wire import WireClient

SCHEMES = ("postgresql://", "postgres://")
COLUMN_OPTIONS = ("epoch", "epoch-ms", "SS", "NS")
LABEL = "postgresql"
PAGE = 2000  # rows per round trip of the server-side cursor
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Transform = Callable[[dict[str, Any]], dict[str, Any] | None]


def is_postgres(text: str) -> bool:
    return text.startswith(SCHEMES)


def parse_columns(text: str | None) -> dict[str, str]:
    """'created_at=epoch,tags=SS' -> {'created_at': 'epoch', 'tags': 'SS'}."""
    options: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        name, _, option = part.partition("=")
        option = option.strip()
        option = option.upper() if option.upper() in ("SS", "NS") else option.lower()
        if not name.strip() or option not in COLUMN_OPTIONS:
            raise DataError(
                f"cannot read the column option {part!r}",
                hint="write column=OPTION with OPTION one of " + ", ".join(COLUMN_OPTIONS),
            )
        options[name.strip()] = option
    return options


def _instant(value: datetime) -> datetime:
    """A timestamp in UTC; one without a time zone is taken as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _timestamp(value: datetime, option: str | None) -> Any:
    moment = _instant(value)
    if option in ("epoch", "epoch-ms"):
        delta = moment - _EPOCH
        micros = (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
        scale = 1_000_000 if option == "epoch" else 1000
        whole, rest = divmod(micros, scale)
        return whole if not rest else Decimal(micros) / scale
    return moment.isoformat().replace("+00:00", "Z")


def _set(values: list[Any], option: str) -> set[Any] | None:
    present = [v for v in values if v is not None]
    if option == "SS":
        return {str(v) for v in present} or None
    return {v if isinstance(v, (int, Decimal)) else Decimal(str(v)) for v in present} or None


def plain(value: Any, option: str | None = None) -> Any:
    """A value as psycopg returns it -> what the codec stores (see the module's type list)."""
    if isinstance(value, datetime):
        return _timestamp(value, option)
    if isinstance(value, (date, day_time)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, list):
        if option in ("SS", "NS"):
            return _set(value, option)
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


@dataclass
class PostgresResult:
    stats: WriteStats
    rows: int  # rows read (this run)
    skipped: int  # rows the transform skipped
    seconds: float
    rejects: Path | None


def _require_psycopg() -> None:
    try:
        import psycopg  # noqa: F401
    except ImportError as exc:
        raise DataError(
            "reading PostgreSQL needs psycopg 3, which is not installed",
            hint="pip install 'dynaform[postgres]' (or psycopg[binary])",
        ) from exc


def _identity(dsn: str, query: str) -> dict[str, Any]:
    """What the checkpoint must match to resume: the database (without its password) and
    the query."""
    _require_psycopg()
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = conninfo_to_dict(dsn)
    except Exception as exc:
        raise DataError(f"cannot read the PostgreSQL address: {exc}") from exc
    parts.pop("password", None)
    where = ",".join(f"{k}={parts[k]}" for k in sorted(parts))
    return {"database": where, "query": hashlib.sha256(query.encode()).hexdigest()}


def _connect(dsn: str) -> Any:
    import psycopg
    from psycopg.types.json import set_json_loads

    try:
        connection = psycopg.connect(dsn, connect_timeout=10)
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(
            f"cannot connect to PostgreSQL: {first}",
            hint="check the address (postgresql://user@host:5432/db), the password "
            "(PGPASSWORD or ~/.pgpass) and that the server accepts the connection",
        ) from exc
    set_json_loads(lambda data: json.loads(data, parse_float=Decimal), connection)
    return connection


class _Rows:
    """The query's rows as records, from position ``skip`` on; rows that cannot be stored
    (a value the codec refuses) go to the reject file here, skipped rows are just passed."""

    def __init__(
        self,
        dsn: str,
        query: str,
        columns: dict[str, str],
        transform: Transform | None,
        rejects: RejectFile,
    ) -> None:
        self.dsn, self.query, self.columns = dsn, query, columns
        self.transform, self.rejects = transform, rejects
        self.read = self.skipped = 0
        self.encoder = Encoder(allow_float=True)

    def records(self, skip: int) -> Iterator[Record]:
        import psycopg

        with _connect(self.dsn) as connection, connection.transaction():
            cursor = connection.cursor(name="dynaform_import")
            cursor.itersize = PAGE
            try:
                cursor.execute(self.query)
                if skip:
                    cursor.scroll(skip)
                names = [column.name for column in cursor.description or []]
                for position, row in enumerate(cursor, skip):
                    self.read += 1
                    item = self._item(position, names, row)
                    if item is not None:
                        yield position, item
            except psycopg.OperationalError as exc:
                raise RunStoppedError(
                    f"the connection to PostgreSQL was lost: {str(exc).strip()}"
                ) from exc
            except psycopg.Error as exc:
                raise DataError(f"PostgreSQL refused the query: {str(exc).strip()}") from exc
            finally:
                cursor.close()

    def _item(self, position: int, names: list[str], row: tuple[Any, ...]) -> Any:
        columns = self.columns
        values = {
            name: plain(value, columns.get(name))
            for name, value in zip(names, row, strict=True)
            if value is not None
        }
        values = {name: value for name, value in values.items() if value is not None}
        if self.transform is not None:
            try:
                changed = self.transform(values)
            except Exception as exc:
                raise DataError(f"--transform failed on row {position + 1}: {exc}") from exc
            if changed is None:
                self.skipped += 1
                return None
            values = changed
        try:
            return self.encoder.item(values)
        except CodecError as exc:
            raw = {name: {"S": repr(value)} for name, value in values.items()}
            self.rejects.add([raw], f"cannot store the row: {exc}", [where(position)])
            return None


def where(position: int) -> str:
    return f"{LABEL}: row {position + 1}"


def import_query(
    wire: WireClient,
    table: str,
    dsn: str,
    query: str,
    *,
    columns: dict[str, str] | None = None,
    transform: Transform | None = None,
    resume: bool = False,
    rate: float | None = None,
    concurrency: int = 8,
    rejects: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> PostgresResult:
    began = time.monotonic()
    report = progress or (lambda n: None)
    names, _ = key_schema(describe(wire, table))
    checkpoint_path = Path(f"{table}.postgres.checkpoint.json")
    reject_path = rejects or Path(f"{table}.postgres.rejects.jsonl")
    identity = {LABEL: _identity(dsn, query)}
    done = _start(table, checkpoint_path, reject_path, resume, identity)
    saver = _Checkpoint(checkpoint_path, table, done, identity)
    checkpoint.save(checkpoint_path, saver.state, durable=True)
    reject_file = RejectFile(reject_path, keep=resume)
    rows = _Rows(dsn, query, columns or {}, transform, reject_file)
    start = int(done.get(LABEL, 0))
    mark = Watermark(start)

    def finished(positions: list[int], count: int) -> None:
        mark.finish(positions)
        report(count)
        saver.record(LABEL, mark.value)

    writer = BulkWriter(
        wire, table, names, reject_file, concurrency=concurrency, rate=rate,
        on_done=finished, where=where,
    )  # fmt: skip
    try:
        writer.run(_tracked(rows.records(start), mark))
    except RunStoppedError as exc:
        raise exc.resumable(
            f"run the same import with --resume ({checkpoint_path} keeps its progress)"
        ) from exc
    except DataError:
        if not done and mark.value == 0:  # nothing to resume: a fresh run is the same
            saver.state["files"] = None
        raise
    finally:
        if saver.state["files"] is None:
            checkpoint_path.unlink(missing_ok=True)
        else:
            saver.record(LABEL, mark.value, now=True)
    checkpoint_path.unlink()
    stats = writer.stats
    stats.rejected, stats.reasons = reject_file.count, dict(reject_file.reasons)
    kept = reject_path if reject_file.count or reject_path.exists() else None
    return PostgresResult(stats, rows.read, rows.skipped, time.monotonic() - began, kept)
