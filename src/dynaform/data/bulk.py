"""The bulk writer (the parallel reader lives in ``scan.py`` and is re-exported here).

25-item BatchWriteItem batches, several in flight. What happens to an item, by cause:

- DynamoDB refuses it as invalid (ValidationException …), or the local checks know it would
  (``checks.item_problem``: over 400 KB, an empty key, a bad number, bad base64 …): it goes to
  the reject file with its reason and source line, alone — a refused batch is split to find it.
- Throttling, UnprocessedItems, 5xx: retried with exponential backoff and full jitter, never
  rejected. A batch that makes no progress for ``stall_timeout`` seconds stops the run
  (``WriteStalledError``).
- The endpoint stops answering: the lean client retries within its patience, then the run stops
  (``EndpointUnreachableError``). Any other error DynamoDB answers (a deleted table, refused
  credentials) stops the run too (``RunStoppedError``).

A batch counts as done (``on_done``) only when every item in it is confirmed by DynamoDB or in
the reject file, so a checkpoint built from ``on_done`` never counts an unconfirmed item.
"""

from __future__ import annotations

import itertools
import os
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import orjson
from botocore.exceptions import ClientError

from dynaform.aws.client import translate_error
from dynaform.data.checks import item_problem
from dynaform.data.errors import RunStoppedError, WriteStalledError
from dynaform.data.scan import Page, scan_pages
from dynaform.data.wire import WireClient

__all__ = [
    "BATCH",
    "BulkWriter",
    "Page",
    "RateLimiter",
    "Record",
    "RejectFile",
    "Watermark",
    "WireItem",
    "WriteStats",
    "backoff",
    "scan_pages",
]

BATCH = 25
WireItem = dict[str, Any]
Record = tuple[int, WireItem]  # (position in the source, item in wire form)

THROTTLING = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "LimitExceededException",
        "Throttling",
        "TooManyRequestsException",
        "CRC32CheckFailed",  # the answer was damaged: whether it was written is unknown
    }
)
# Errors that mean "this item is wrong": only these put an item in the reject file.
REFUSED = frozenset(
    {"ValidationException", "SerializationException", "ItemCollectionSizeLimitExceededException"}
)


@dataclass
class WriteStats:
    items: int = 0
    batches: int = 0
    retries: int = 0
    rejected: int = 0
    bytes: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def add(self, other: WriteStats) -> None:
        for name in ("items", "batches", "retries", "rejected", "bytes"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for reason, count in other.reasons.items():
            self.reasons[reason] = self.reasons.get(reason, 0) + count


class Watermark:
    """The highest position below which every record is finished (written or rejected):
    what a checkpoint may safely record while later batches are still in flight."""

    def __init__(self, start: int = 0) -> None:
        self.value = start
        self._done: set[int] = set()
        self._lock = threading.Lock()

    def finish(self, positions: Iterable[int]) -> None:
        with self._lock:
            self._done.update(positions)
            while self.value in self._done:
                self._done.remove(self.value)
                self.value += 1


class RateLimiter:
    """A token bucket: at most ``rate`` items per second, with one second of burst."""

    def __init__(self, rate: float | None) -> None:
        self.rate = rate
        self._tokens = rate or 0.0
        self._last = time.monotonic()
        self._lock = threading.Lock()

    def take(self, count: int) -> None:
        if not self.rate:
            return
        while True:
            with self._lock:
                now = time.monotonic()
                self._tokens = min(self.rate, self._tokens + (now - self._last) * self.rate)
                self._last = now
                if self._tokens >= count or self._tokens >= self.rate:
                    self._tokens -= count
                    return
                wait = (count - self._tokens) / self.rate
            time.sleep(min(wait, 1.0))


def backoff(attempt: int, base: float, cap: float) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2**attempt)]."""
    return float(random.random() * min(cap, base * (2 ** min(attempt, 30))))


class RejectFile:
    """Items DynamoDB refuses, as DynamoDB JSON lines importable as is, each with its reason
    (``Error``) and where it came from (``Source``, e.g. ``items.jsonl:17``). Append-only,
    thread-safe, synced to disk before the items count as done. With ``keep`` an existing file
    is continued (a resumed run): ``count`` and ``reasons`` include its lines, and an item from
    a source already in it is not added twice."""

    def __init__(self, path: Path, *, keep: bool = False) -> None:
        self.path = path
        self.count = 0
        self.reasons: dict[str, int] = {}
        self._sources: set[str] = set()
        self._lock = threading.Lock()
        if keep and path.exists():
            for line in path.read_bytes().split(b"\n"):
                if line.strip():
                    record = orjson.loads(line)
                    self._note(str(record.get("Error") or "rejected by an earlier run"))
                    if record.get("Source"):
                        self._sources.add(str(record["Source"]))

    def _note(self, reason: str, count: int = 1) -> None:
        self.count += count
        self.reasons[reason] = self.reasons.get(reason, 0) + count

    def add(
        self,
        items: Iterable[WireItem],
        reason: str = "",
        sources: Iterable[str | None] | None = None,
    ) -> int:
        """Append ``items``; returns how many were new."""
        with self._lock:
            lines = []
            for item, source in zip(items, sources or itertools.repeat(None), strict=False):
                if source is not None and source in self._sources:
                    continue
                record: dict[str, Any] = {"Item": item}
                if reason:
                    record["Error"] = reason
                if source is not None:
                    record["Source"] = source
                    self._sources.add(source)
                lines.append(orjson.dumps(record) + b"\n")
            if lines:
                with self.path.open("ab") as out:
                    out.write(b"".join(lines))
                    out.flush()
                    os.fsync(out.fileno())
                self._note(reason or "rejected", len(lines))
            return len(lines)


class Entry(NamedTuple):
    position: int
    key: bytes  # the item's key, as JSON: batches never hold one key twice
    item: WireItem
    request: bytes  # the encoded PutRequest / DeleteRequest


class BulkWriter:
    def __init__(
        self,
        wire: WireClient,
        table: str,
        key_names: tuple[str, ...],
        rejects: RejectFile,
        *,
        concurrency: int = 8,
        rate: float | None = None,
        max_rounds: int | None = None,  # unused: throttling is bounded by stall_timeout
        base_delay: float = 0.05,
        max_delay: float = 10.0,
        stall_timeout: float = 900.0,
        on_done: Callable[[list[int], int], None] | None = None,
        delete: bool = False,
        check: bool = True,
        where: Callable[[int], str] | None = None,
    ) -> None:
        self.wire = wire
        self.table = table
        self.key_names = key_names
        self.rejects = rejects
        self.concurrency = concurrency
        self.limiter = RateLimiter(rate)
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.stall_timeout = stall_timeout
        self.on_done = on_done or (lambda positions, written: None)
        self.delete = delete
        self.check = check and not delete
        self.where = where
        self.stats = WriteStats()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._failure: BaseException | None = None
        self._head = b'{"RequestItems":{' + orjson.dumps(table) + b":["

    # --- items -> entries ----------------------------------------------------------------

    def _key(self, item: WireItem) -> bytes:
        return orjson.dumps([item[name] for name in self.key_names])

    def _entry(self, position: int, item: WireItem) -> Entry | str:
        """The entry to send, or why the item cannot be sent."""
        try:
            key = self._key(item)
        except (KeyError, TypeError) as exc:
            return f"the item lacks key attribute {exc.args[0]!r}"
        if self.delete:
            body = orjson.dumps({name: item[name] for name in self.key_names})
            return Entry(position, key, item, b'{"DeleteRequest":{"Key":' + body + b"}}")
        body = orjson.dumps(item)
        if self.check:
            problem = item_problem(item, self.key_names, len(body))
            if problem:
                return problem
        return Entry(position, key, item, b'{"PutRequest":{"Item":' + body + b"}}")

    def _source(self, position: int) -> str | None:
        return self.where(position) if self.where is not None and position >= 0 else None

    # --- bookkeeping ---------------------------------------------------------------------

    def _count(self, **changes: int) -> None:
        with self._lock:
            for name, value in changes.items():
                setattr(self.stats, name, getattr(self.stats, name) + value)

    def _reject(self, entries: list[Entry], reason: str) -> None:
        self.rejects.add(
            [e.item for e in entries], reason, [self._source(e.position) for e in entries]
        )
        with self._lock:
            self.stats.rejected += len(entries)
            self.stats.reasons[reason] = self.stats.reasons.get(reason, 0) + len(entries)

    def _abort(self, failure: BaseException) -> None:
        with self._lock:
            if self._failure is None:
                self._failure = failure
        self._stop.set()

    def _pause(self, attempt: int, last_progress: float) -> None:
        """Back off before retrying a batch; past ``stall_timeout`` without progress, stop."""
        stalled = time.monotonic() - last_progress
        if stalled > self.stall_timeout:
            raise WriteStalledError(
                f"DynamoDB kept throttling writes to {self.table} for {stalled:.0f}s without "
                "progress, so the run stopped (nothing was rejected for it)",
                hint="lower --rate or --concurrency, or raise the table's capacity",
            )
        self._count(retries=1)
        self._stop.wait(backoff(attempt, self.base_delay, self.max_delay))

    # --- one batch -----------------------------------------------------------------------

    def _send(self, pending: list[Entry]) -> list[Entry] | ClientError:
        """One BatchWriteItem: the entries left unprocessed, or DynamoDB's error."""
        body = self._head + b",".join(e.request for e in pending) + b"]}}"
        try:
            answer = self.wire.call_patiently("BatchWriteItem", body)
        except ClientError as exc:
            return exc
        left = answer.get("UnprocessedItems", {}).get(self.table, [])
        by_key = {e.key: e for e in pending}
        unprocessed = []
        for request in left:
            if "DeleteRequest" in request:
                item = request["DeleteRequest"]["Key"]
            else:
                item = request["PutRequest"]["Item"]
            key = self._key(item)
            unprocessed.append(by_key.get(key) or Entry(-1, key, item, orjson.dumps(request)))
        done = len(pending) - len(unprocessed)
        self._count(items=done, bytes=len(body) if done == len(pending) else 0)
        return unprocessed

    def _write(self, entries: list[Entry]) -> bool:
        """Write one batch until every item is confirmed or rejected; False if stopped."""
        pending, attempt, last_progress = entries, 0, time.monotonic()
        while pending:
            if self._stop.is_set():
                return False
            result = self._send(pending)
            if isinstance(result, ClientError):
                error = result.response.get("Error", {})
                code = str(error.get("Code", ""))
                status = result.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
                if code in REFUSED:
                    return self._refused(pending, f"{code}: {error.get('Message', '')}")
                if code not in THROTTLING and status < 500:
                    error = translate_error(result, self.wire.endpoint_url)
                    raise RunStoppedError(error.message, hint=error.hint)
            elif len(result) < len(pending):
                pending, last_progress = result, time.monotonic()
            if pending:
                self._pause(attempt, last_progress)
                attempt += 1
        return True

    def _refused(self, pending: list[Entry], reason: str) -> bool:
        """DynamoDB refused the batch as invalid: find the item(s) it refuses, one by one."""
        if len(pending) == 1:
            self._reject(pending, reason)
            return True
        return all([self._write([entry]) for entry in pending])

    def _job(self, batch: list[Entry]) -> None:
        try:
            if self._stop.is_set() or not self._write(batch):
                return  # stopped: these items are not confirmed, so not reported done
            self._count(batches=1)
            self.on_done([entry.position for entry in batch], len(batch))
        except BaseException as exc:
            self._abort(exc)

    # --- the run -------------------------------------------------------------------------

    def _batches(self, records: Iterable[Record]) -> Iterator[list[Entry]]:
        """Entries in batches of at most 25 with no key twice (DynamoDB refuses that);
        items the checks refuse go to the reject file at once, in order."""
        batch: list[Entry] = []
        seen: set[bytes] = set()
        for position, item in records:
            entry = self._entry(position, item)
            if isinstance(entry, str):
                self._reject([Entry(position, b"", item, b"")], entry)
                self.on_done([position], 1)
                continue
            if entry.key in seen:
                yield batch
                batch, seen = [], set()
            batch.append(entry)
            seen.add(entry.key)
            if len(batch) == BATCH:
                yield batch
                batch, seen = [], set()
        if batch:
            yield batch

    def run(self, records: Iterable[Record]) -> WriteStats:
        """Write every record. If the run cannot finish, raises ``RunStoppedError`` (or the records'
        own error, or ``KeyboardInterrupt``) once the batches in flight have ended. ``retries``
        counts the client's retried requests (a dropped connection, an engine restarting) as
        well as the rounds for unprocessed items."""
        retried = self.wire.retries
        try:
            with ThreadPoolExecutor(self.concurrency, thread_name_prefix="dynaform-write") as pool:
                lanes = _Lanes(pool, self.concurrency, self._job)
                try:
                    for batch in self._batches(records):
                        if self._stop.is_set():
                            break
                        self.limiter.take(len(batch))
                        lanes.submit(batch)
                except BaseException as exc:  # Ctrl-C too: stop, let the batches in flight end
                    self._abort(exc)
                lanes.drain()
        except KeyboardInterrupt as exc:  # a second Ctrl-C while they end
            self._abort(exc)
        self._count(retries=self.wire.retries - retried)
        if self._failure is not None:
            raise self._failure
        return self.stats


class _Lanes:
    """Batches in flight: at most ``2 * concurrency`` queued, and a key's older version always
    lands before its newer one (two versions of a key keep their order, as with puts one by
    one)."""

    def __init__(
        self, pool: ThreadPoolExecutor, concurrency: int, job: Callable[[list[Entry]], None]
    ) -> None:
        self.pool, self.concurrency, self.job = pool, concurrency, job
        self.in_flight: dict[bytes, Future[None]] = {}  # key -> the batch writing its latest
        self.keys_of: dict[Future[None], list[bytes]] = {}
        self.slots = threading.BoundedSemaphore(concurrency * 2)

    def submit(self, batch: list[Entry]) -> None:
        keys = [entry.key for entry in batch]
        for key in keys:  # an older version of this key still in flight: let it land
            previous = self.in_flight.get(key)
            if previous is not None:
                previous.result()
        self.slots.acquire()
        future = self.pool.submit(self.job, batch)
        future.add_done_callback(lambda _: self.slots.release())
        self.keys_of[future] = keys
        for key in keys:
            self.in_flight[key] = future
        if len(self.keys_of) > self.concurrency * 4:
            self._prune()

    def _prune(self) -> None:
        for future in [f for f in self.keys_of if f.done()]:
            for key in self.keys_of.pop(future):
                if self.in_flight.get(key) is future:
                    del self.in_flight[key]

    def drain(self) -> None:
        for future in list(self.keys_of):
            future.result()
