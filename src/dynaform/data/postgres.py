"""``data import TABLE postgresql://...``: a query's rows into a table, one command.

The rows stream through a server-side cursor (``DECLARE ... CURSOR``, fetched a page at a time),
so memory stays flat whatever the result's size, and go through the bulk writer (batches,
backoff, reject file). The checkpoint (``<TABLE>.postgres.checkpoint.json``) records how many
rows, from the first, DynamoDB confirmed or the reject file holds, and a digest of their keys in
order (``row_order``); ``--resume`` reads past them, checks that digest and refuses to write
anything when the rows came back in another order — the query must return its rows in the same
order each time (``ORDER BY`` the key). The checkpoint also refuses another database.

Types: integers and numerics as N (exactly; floats by their shortest repr), booleans as BOOL,
text as S, timestamps as ISO 8601 UTC strings (``epoch`` / ``epoch-ms`` per column: N), dates
and times as ISO strings, uuid as S, json/jsonb as M/L (numbers exact), arrays as L (``SS`` /
``NS`` per column: sets), bytea as B; NULL leaves the attribute out (inside a list or a JSON
value it is NULL). A row lacking a key attribute goes to the reject file as ``row N``.
"""

from __future__ import annotations

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
from dynaform.data.row_order import START, RowOrder, fold, has_order_by, row_key
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


def order_warning(query: str) -> str | None:
    """What to say before a run whose query has no ORDER BY at all."""
    if has_order_by(query):
        return None
    return (
        "the query has no ORDER BY: PostgreSQL may return its rows in another order next time, "
        "and --resume needs the same order (it checks, and refuses otherwise); add ORDER BY the "
        "key columns"
    )


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


def _identity(dsn: str) -> dict[str, Any]:
    """What the checkpoint must match to resume: the database (without its password). The
    query may change (a column added, an ORDER BY that keeps the order): the digest of the rows
    already imported is what must match."""
    _require_psycopg()
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = conninfo_to_dict(dsn)
    except Exception as exc:
        raise DataError(f"cannot read the PostgreSQL address: {exc}") from exc
    parts.pop("password", None)
    where = ",".join(f"{k}={parts[k]}" for k in sorted(parts))
    return {"database": where}


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
        order: RowOrder,
        key_names: tuple[str, ...],
    ) -> None:
        self.dsn, self.query, self.columns = dsn, query, columns
        self.transform, self.rejects = transform, rejects
        self.order, self.key_names = order, key_names
        self.read = self.skipped = 0
        self.encoder = Encoder(allow_float=True)

    def records(self, skip: int, recorded: str | None) -> Iterator[Record]:
        """The records from position ``skip`` on; the rows before it are read and their keys
        checked against the ``recorded`` digest first (a checkpoint without one: moved past)."""
        import psycopg

        with _connect(self.dsn) as connection, connection.transaction():
            cursor = connection.cursor(name="dynaform_import")
            cursor.itersize = PAGE
            try:
                cursor.execute(self.query)
                names = [column.name for column in cursor.description or []]
                rows = iter(cursor)  # one iterator: a second one would drop a fetched page
                if skip and recorded is not None:
                    self._check_order(rows, names, skip, recorded)
                elif skip:
                    cursor.scroll(skip)
                for position, row in enumerate(rows, skip):
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

    def _check_order(self, rows: Iterator[Any], names: list[str], skip: int, recorded: str) -> None:
        """Fold the keys of the rows to skip; another digest: another order, refused before
        anything is written."""
        digest, count = START, 0
        for position, row in zip(range(skip), rows, strict=False):
            values, changed = self._values(position, names, row)
            digest = fold(digest, row_key(values if changed is None else changed, self.key_names))
            count += 1
        if count == skip and digest == recorded:
            return
        keys = ", ".join(self.key_names)
        raise DataError(
            f"the query's rows came back in a different order than when the import stopped (its "
            f"first {skip:,} row(s) are not the ones already imported), so --resume would skip "
            "the wrong rows; nothing was written",
            hint=f"add ORDER BY on the key columns ({keys}) to the query, then start over: delete "
            "the checkpoint and run the import without --resume (puts are idempotent)",
        )

    def _values(
        self, position: int, names: list[str], row: tuple[Any, ...]
    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """The row as plain values, and what the transform made of it (None: dropped, or no
        transform — then the values stand)."""
        columns = self.columns
        values = {
            name: plain(value, columns.get(name))
            for name, value in zip(names, row, strict=True)
            if value is not None
        }
        values = {name: value for name, value in values.items() if value is not None}
        if self.transform is None:
            return values, values
        try:
            return values, self.transform(values)
        except Exception as exc:
            raise DataError(f"--transform failed on row {position + 1}: {exc}") from exc

    def _item(self, position: int, names: list[str], row: tuple[Any, ...]) -> Any:
        raw, values = self._values(position, names, row)
        self.order.seen(position, row_key(raw if values is None else values, self.key_names))
        if values is None:
            self.skipped += 1
            return None
        try:
            return self.encoder.item(values)
        except CodecError as exc:
            raw = {name: {"S": repr(value)} for name, value in values.items()}
            self.rejects.add([raw], f"cannot store the row: {exc}", [where(position)])
            return None


def where(position: int) -> str:
    return f"{LABEL}: row {position + 1}"


def _recorded_order(path: Path, start: int) -> str | None:
    """The digest of the rows an earlier run finished (None: a checkpoint written before
    dynaform kept one; its rows are moved past unchecked)."""
    if not start:
        return START
    found = checkpoint.load(path, "import").get("order", {}).get(LABEL)
    return str(found) if isinstance(found, str) else None


class _Progress:
    """The checkpoint of one import: the watermark's position and the digest of the rows
    below it, always saved together."""

    def __init__(self, saver: _Checkpoint, start: int, recorded: str | None) -> None:
        self.saver, self.mark = saver, Watermark(start)
        self.order = RowOrder(start, recorded or START)
        self.checked = recorded is not None  # None: an old checkpoint, it stays unchecked
        saver.state["order"] = {LABEL: self.order.digest} if self.checked else {}

    def save(self, now: bool = False) -> None:
        with self.order.lock:
            self.order.advance(self.mark.value)
            if self.checked:
                self.saver.state["order"] = {LABEL: self.order.digest}
            self.saver.record(LABEL, self.order.position, now=now)


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
    identity = {LABEL: _identity(dsn)}
    done = _start(table, checkpoint_path, reject_path, resume, identity)
    start = int(done.get(LABEL, 0))
    recorded = _recorded_order(checkpoint_path, start) if resume else START
    saver = _Checkpoint(checkpoint_path, table, done, identity)
    state = _Progress(saver, start, recorded)
    checkpoint.save(checkpoint_path, saver.state, durable=True)
    reject_file = RejectFile(reject_path, keep=resume)
    rows = _Rows(dsn, query, columns or {}, transform, reject_file, state.order, names)

    def finished(positions: list[int], count: int) -> None:
        state.mark.finish(positions)
        report(count)
        state.save()

    writer = BulkWriter(
        wire, table, names, reject_file, concurrency=concurrency, rate=rate,
        on_done=finished, where=where,
    )  # fmt: skip
    try:
        writer.run(_tracked(rows.records(start, recorded), state.mark))
    except RunStoppedError as exc:
        raise exc.resumable(
            f"run the same import with --resume ({checkpoint_path} keeps its progress)"
        ) from exc
    except DataError:
        if not done and state.mark.value == 0:  # nothing to resume: a fresh run is the same
            saver.state["files"] = None
        raise
    finally:
        if saver.state["files"] is None:
            checkpoint_path.unlink(missing_ok=True)
        else:
            state.save(now=True)
    checkpoint_path.unlink()
    stats = writer.stats
    stats.rejected, stats.reasons = reject_file.count, dict(reject_file.reasons)
    kept = reject_path if reject_file.count or reject_path.exists() else None
    return PostgresResult(stats, rows.read, rows.skipped, time.monotonic() - began, kept)
