"""The parallel reader: Scan segments in threads, pages handed over through a bounded queue so
memory stays constant whatever the table's size."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from dynaform.data.wire import WireClient

WireItem = dict[str, Any]


@dataclass(frozen=True)
class Page:
    segment: int
    items: list[WireItem]
    last_key: dict[str, Any] | None  # None: the segment is finished
    size: int  # response bytes, for progress


@dataclass(frozen=True)
class ScanRequest:
    table: str
    segments: int
    consistent: bool = False
    projection: str | None = None
    names: dict[str, str] | None = None
    select_count: bool = False
    limit: int | None = None

    def for_segment(self, segment: int) -> dict[str, Any]:
        request: dict[str, Any] = {"TableName": self.table, "ConsistentRead": self.consistent}
        if self.segments > 1:
            request |= {"Segment": segment, "TotalSegments": self.segments}
        if self.projection:
            request["ProjectionExpression"] = self.projection
        if self.names:
            request["ExpressionAttributeNames"] = self.names
        if self.select_count:
            request["Select"] = "COUNT"
        if self.limit:
            request["Limit"] = self.limit
        return request


_Message = Page | BaseException | None  # None: a segment's worker has ended


def _hand_over(pages: queue.Queue[_Message], message: _Message, stop: threading.Event) -> None:
    """Put, unless the reader has gone (``stop``): a worker never blocks on a full queue."""
    while not stop.is_set():
        try:
            pages.put(message, timeout=0.1)
            return
        except queue.Full:
            continue


def _read_segment(
    wire: WireClient,
    scan: ScanRequest,
    segment: int,
    key: dict[str, Any] | None,
    pages: queue.Queue[_Message],
    stop: threading.Event,
) -> None:
    """One segment, page after page, until its end (or ``stop``); errors go to the queue.
    Connection failures are retried within the client's patience."""
    request = scan.for_segment(segment)
    try:
        while not stop.is_set():
            if key:
                request["ExclusiveStartKey"] = key
            answer = wire.call_patiently("Scan", request)
            key = answer.get("LastEvaluatedKey")
            items = answer.get("Items", [])
            if scan.select_count:
                items = [{}] * int(answer.get("Count", 0))
            _hand_over(pages, Page(segment, items, key, 0), stop)
            if not key:
                return
    except BaseException as exc:
        _hand_over(pages, exc, stop)
    finally:
        _hand_over(pages, None, stop)


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
    scan = ScanRequest(table, segments, consistent, projection, names, select_count, limit)
    start = start or {}
    todo = [s for s in range(segments) if s not in (finished or set())]
    pages: queue.Queue[_Message] = queue.Queue(maxsize=max(4, 2 * len(todo)))
    stop = threading.Event()
    threads = [
        threading.Thread(
            target=_read_segment,
            args=(wire, scan, s, start.get(s), pages, stop),
            daemon=True,
            name=f"dynaform-scan-{s}",
        )
        for s in todo
    ]
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
        stop.set()  # workers end after their current request; nobody waits for them
