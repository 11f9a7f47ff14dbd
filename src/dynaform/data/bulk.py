"""The bulk writer and the parallel reader.

Writer: 25-item BatchWriteItem batches, several in flight; UnprocessedItems and throttling
retried with exponential backoff and full jitter; a batch DynamoDB refuses as invalid is split
to find the bad item. It never drops an item: what cannot be written goes to the reject file
(DynamoDB JSON lines, importable as is) and the run reports failure.

Reader: Scan with parallel segments through a bounded queue, so memory stays constant.
"""

from __future__ import annotations

import queue
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from botocore.exceptions import ClientError

from dynaform.data.wire import WireClient

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
    }
)


@dataclass
class WriteStats:
    items: int = 0
    batches: int = 0
    retries: int = 0
    rejected: int = 0
    bytes: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


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
    return float(random.random() * min(cap, base * (2**attempt)))


class RejectFile:
    """Items that could not be written, as DynamoDB JSON lines (append-only, thread-safe)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        self._lock = threading.Lock()

    def add(self, items: Iterable[WireItem]) -> None:
        lines = b"".join(orjson.dumps({"Item": item}) + b"\n" for item in items)
        if not lines:
            return
        with self._lock:
            with self.path.open("ab") as out:
                out.write(lines)
            self.count += lines.count(b"\n")


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
        max_rounds: int = 12,
        base_delay: float = 0.05,
        max_delay: float = 10.0,
        on_done: Callable[[list[int], int], None] | None = None,
        delete: bool = False,
    ) -> None:
        self.wire = wire
        self.table = table
        self.key_names = key_names
        self.rejects = rejects
        self.concurrency = concurrency
        self.limiter = RateLimiter(rate)
        self.max_rounds = max_rounds
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.on_done = on_done or (lambda positions, written: None)
        self.delete = delete
        self.stats = WriteStats()
        self._lock = threading.Lock()

    def _key(self, item: WireItem) -> bytes:
        try:
            return orjson.dumps([item[name] for name in self.key_names])
        except KeyError as exc:
            raise KeyError(f"item lacks key attribute {exc.args[0]!r}") from exc

    def _request(self, item: WireItem) -> dict[str, Any]:
        if self.delete:
            return {"DeleteRequest": {"Key": {k: item[k] for k in self.key_names}}}
        return {"PutRequest": {"Item": item}}

    def _count(self, **changes: int) -> None:
        with self._lock:
            for name, value in changes.items():
                setattr(self.stats, name, getattr(self.stats, name) + value)

    def _reject(self, items: list[WireItem], reason: str) -> None:
        self.rejects.add(items)
        with self._lock:
            self.stats.rejected += len(items)
            self.stats.reasons[reason] = self.stats.reasons.get(reason, 0) + len(items)

    def _write(self, items: list[WireItem]) -> None:
        """Write one batch until done or out of rounds; never raises for item problems."""
        pending = items
        for round_number in range(self.max_rounds):
            body = orjson.dumps({"RequestItems": {self.table: [self._request(i) for i in pending]}})
            try:
                answer = self.wire.call("BatchWriteItem", body)
            except ClientError as exc:
                code = str(exc.response.get("Error", {}).get("Code", ""))
                if (
                    code in THROTTLING
                    or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500
                ):
                    self._count(retries=1)
                    time.sleep(backoff(round_number, self.base_delay, self.max_delay))
                    continue
                if len(pending) > 1:  # find the item DynamoDB refuses
                    for item in pending:
                        self._write([item])
                    return
                message = str(exc.response.get("Error", {}).get("Message", ""))
                self._reject(pending, f"{code}: {message}")
                return
            except Exception as exc:  # connection lost after the client's own retries
                self._count(retries=1)
                time.sleep(backoff(round_number, self.base_delay, self.max_delay))
                last_error = f"{type(exc).__name__}: {exc}"
                if round_number == self.max_rounds - 1:
                    self._reject(pending, last_error)
                    return
                continue
            written = len(pending)
            left = answer.get("UnprocessedItems", {}).get(self.table, [])
            if left:
                left_items = [
                    r["DeleteRequest"]["Key"] if "DeleteRequest" in r else r["PutRequest"]["Item"]
                    for r in left
                ]
                written -= len(left_items)
                pending = left_items
            self._count(items=written, bytes=len(body) if not left else 0)
            if not left:
                return
            self._count(retries=1)
            time.sleep(backoff(round_number, self.base_delay, self.max_delay))
        self._reject(pending, f"still unprocessed after {self.max_rounds} attempts")

    def _job(self, batch: list[Record]) -> None:
        self._write([item for _, item in batch])
        self._count(batches=1)
        self.on_done([position for position, _ in batch], len(batch))

    def run(self, records: Iterable[Record]) -> WriteStats:
        in_flight: dict[bytes, Future[None]] = {}  # key -> the batch writing its latest version
        keys_of: dict[Future[None], list[bytes]] = {}
        slots = threading.BoundedSemaphore(self.concurrency * 2)

        def release(_: Future[None]) -> None:
            slots.release()

        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="dynaform-write") as pool:

            def prune() -> None:
                for future in [f for f in keys_of if f.done()]:
                    for key in keys_of.pop(future):
                        if in_flight.get(key) is future:
                            del in_flight[key]

            def submit(batch: list[Record], keys: list[bytes]) -> None:
                for key in keys:  # an older version of this key still in flight: let it land
                    previous = in_flight.get(key)
                    if previous is not None:
                        previous.result()
                self.limiter.take(len(batch))
                slots.acquire()
                future = pool.submit(self._job, batch)
                future.add_done_callback(release)
                keys_of[future] = keys
                for key in keys:
                    in_flight[key] = future
                if len(keys_of) > self.concurrency * 4:
                    prune()

            batch: list[Record] = []
            keys: list[bytes] = []
            seen: set[bytes] = set()
            for position, item in records:
                key = self._key(item)
                if key in seen:  # DynamoDB refuses one key twice in a batch; keep order
                    submit(batch, keys)
                    batch, keys, seen = [], [], set()
                batch.append((position, item))
                keys.append(key)
                seen.add(key)
                if len(batch) == BATCH:
                    submit(batch, keys)
                    batch, keys, seen = [], [], set()
            if batch:
                submit(batch, keys)
            for future in list(keys_of):
                future.result()
        return self.stats


# --- reading ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    segment: int
    items: list[WireItem]
    last_key: dict[str, Any] | None  # None: the segment is finished
    size: int  # response bytes, for progress


def scan_pages(
    wire: WireClient,
    table: str,
    segments: int,
    *,
    start: dict[int, dict[str, Any] | None] | None = None,
    finished: set[int] | None = None,
    consistent: bool = False,
    projection: str | None = None,
    names: dict[str, str] | None = None,
    select_count: bool = False,
    limit: int | None = None,
) -> Iterator[Page]:
    """Pages of a parallel Scan, segment by segment as they arrive (bounded queue).
    ``start`` resumes segments from a LastEvaluatedKey; ``finished`` segments are skipped."""
    start = start or {}
    finished = finished or set()
    todo = [s for s in range(segments) if s not in finished]
    pages: queue.Queue[Page | BaseException | None] = queue.Queue(maxsize=max(4, 2 * len(todo)))
    stop = threading.Event()

    def worker(segment: int) -> None:
        request: dict[str, Any] = {"TableName": table, "ConsistentRead": consistent}
        if segments > 1:
            request |= {"Segment": segment, "TotalSegments": segments}
        if projection:
            request["ProjectionExpression"] = projection
        if names:
            request["ExpressionAttributeNames"] = names
        if select_count:
            request["Select"] = "COUNT"
        if limit:
            request["Limit"] = limit
        key = start.get(segment)
        try:
            while not stop.is_set():
                if key:
                    request["ExclusiveStartKey"] = key
                answer = wire.call("Scan", request)
                key = answer.get("LastEvaluatedKey")
                items = answer.get("Items", [])
                if select_count:
                    items = [{}] * int(answer.get("Count", 0))
                pages.put(Page(segment, items, key, 0))
                if not key:
                    return
        except BaseException as exc:
            pages.put(exc)
        finally:
            pages.put(None)

    threads = [threading.Thread(target=worker, args=(s,), daemon=True) for s in todo]
    for thread in threads:
        thread.start()
    running = len(threads)
    try:
        while running:
            got = pages.get()
            if got is None:
                running -= 1
            elif isinstance(got, BaseException):
                raise got
            else:
                yield got
    finally:
        stop.set()
        while any(t.is_alive() for t in threads):  # unblock workers waiting on a full queue
            try:
                pages.get_nowait()
            except queue.Empty:
                time.sleep(0.01)
