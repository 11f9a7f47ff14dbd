"""Table to table: copy (optionally resumable), write records, count, clear.

A resumable copy's checkpoint records, per scan segment, the position after the last page
whose every item DynamoDB confirmed (or the reject file holds); ``resume`` scans on from there.
Items of later pages that were already written are simply put again (idempotent).
"""

from __future__ import annotations

import importlib
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dynaform.data import checkpoint
from dynaform.data.bulk import BulkWriter, Record, RejectFile, WriteStats
from dynaform.data.codec import CodecError, Encoder, unmarshal
from dynaform.data.errors import DataError, RunStoppedError
from dynaform.data.heap import bulk_collections
from dynaform.data.scan import Page, scan_pages
from dynaform.data.table import describe, key_schema
from dynaform.data.wire import WireClient

Progress = Callable[[int], None]
Transform = Callable[[dict[str, Any]], dict[str, Any] | None]
SAVE_EVERY = 0.25


def load_transform(spec: str) -> Transform:
    """'package.module:function' -> the function (item -> item, or None to skip it)."""
    module_name, _, function_name = spec.partition(":")
    if not module_name or not function_name:
        raise DataError(
            f"--transform {spec!r} is not module:function",
            hint="e.g. --transform myproject.migrations:rename_fields",
        )
    try:
        module = importlib.import_module(module_name)
        function = getattr(module, function_name)
    except (ImportError, AttributeError) as exc:
        raise DataError(
            f"cannot load --transform {spec}: {exc}", hint="make the module importable (PYTHONPATH)"
        ) from exc
    if not callable(function):
        raise DataError(f"{spec} is not a function")
    return function  # type: ignore[no-any-return]


@dataclass
class CopyResult:
    stats: WriteStats
    read: int
    skipped: int
    seconds: float
    rejects: Path | None = None
    transformed_errors: list[str] = field(default_factory=list)


class _PageMark:
    __slots__ = ("last_key", "remaining")

    def __init__(self, last_key: dict[str, Any] | None, remaining: int) -> None:
        self.last_key, self.remaining = last_key, remaining


class _CopyProgress:
    """Which pages are wholly done, per segment, in order; saved to the checkpoint."""

    def __init__(self, path: Path | None, state: dict[str, Any]) -> None:
        self.path, self.state = path, state
        self._pages: dict[int, deque[_PageMark]] = {}
        self._page_of: dict[int, tuple[int, _PageMark]] = {}
        self._lock = threading.Lock()
        self._saved = 0.0

    def page(self, segment: int, last_key: dict[str, Any] | None, positions: list[int]) -> None:
        mark = _PageMark(last_key, len(positions))
        with self._lock:
            self._pages.setdefault(segment, deque()).append(mark)
            for position in positions:
                self._page_of[position] = (segment, mark)
            self._advance(segment)

    def done(self, positions: list[int]) -> None:
        with self._lock:
            for position in positions:
                segment, mark = self._page_of.pop(position)
                mark.remaining -= 1
                self._advance(segment)

    def _advance(self, segment: int) -> None:
        pages, moved = self._pages[segment], False
        while pages and pages[0].remaining == 0:
            mark = pages.popleft()
            self.state["parts"][str(segment)] = {
                "key": mark.last_key,
                "done": mark.last_key is None,
            }
            moved = True
        if moved and self.path is not None and time.monotonic() - self._saved > SAVE_EVERY:
            checkpoint.save(self.path, self.state)
            self._saved = time.monotonic()

    def save(self) -> None:
        if self.path is not None:
            with self._lock:
                checkpoint.save(self.path, self.state, durable=True)


def _shaped(
    item: dict[str, Any],
    transform: Transform | None,
    wire_transform: Callable[[dict[str, Any]], dict[str, Any]] | None,
    encoder: Encoder,
) -> dict[str, Any] | None:
    if transform is not None:
        try:
            changed = transform(unmarshal(item))
        except Exception as exc:
            raise DataError(f"--transform failed on an item: {exc}") from exc
        if changed is None:
            return None
        try:
            item = encoder.item(changed)
        except CodecError as exc:
            raise DataError(f"--transform returned an item DynamoDB cannot store: {exc}") from exc
    return wire_transform(item) if wire_transform is not None else item


class _Reader:
    """The source's items, shaped by the transforms, each page registered with the tracker
    before its items go out."""

    def __init__(
        self,
        wire: WireClient,
        table: str,
        segments: int,
        tracker: _CopyProgress,
        transform: Transform | None,
        wire_transform: Callable[[dict[str, Any]], dict[str, Any]] | None,
    ) -> None:
        self.wire, self.table, self.segments, self.tracker = wire, table, segments, tracker
        self.transform, self.wire_transform = transform, wire_transform
        self.read = self.skipped = 0

    def records(self) -> Iterator[Record]:
        encoder = Encoder()
        position = 0
        parts = self.tracker.state["parts"]
        others = {s for s in range(self.segments) if str(s) not in parts}  # other workers'
        pages: Iterator[Page] = scan_pages(
            self.wire,
            self.table,
            self.segments,
            start={int(s): p["key"] for s, p in parts.items() if p["key"]},
            finished=others | {int(s) for s, p in parts.items() if p["done"]},
        )
        for page in pages:
            shaped = [
                _shaped(item, self.transform, self.wire_transform, encoder) for item in page.items
            ]
            kept = [item for item in shaped if item is not None]
            self.read += len(page.items)
            self.skipped += len(page.items) - len(kept)
            positions = list(range(position, position + len(kept)))
            self.tracker.page(page.segment, page.last_key, positions)
            for item in kept:
                yield position, item
                position += 1


def _copy_state(
    source_table: str,
    target_table: str,
    segments: int,
    path: Path | None,
    resume: bool,
    share: list[int],
) -> dict[str, Any]:
    if path is not None and resume:
        state = checkpoint.load(path, "copy")
        if (state.get("source"), state.get("target"), state.get("segments")) != (
            source_table,
            target_table,
            segments,
        ) or sorted(state.get("parts", {}), key=int) != [str(s) for s in share]:
            raise DataError(
                f"{path} is for another copy ({state.get('source')} -> {state.get('target')}, "
                f"{state.get('segments')} segments)",
                hint="resume with the same tables, --segments and --worker",
            )
        return state
    if path is not None:
        checkpoint.refuse_unfinished(path, "copy")
    parts = {str(s): {"key": None, "done": False} for s in share}
    state = {"source": source_table, "target": target_table, "segments": segments, "parts": parts}
    if path is not None:
        checkpoint.save(path, state, durable=True)
    return state


@bulk_collections()
def copy_table(
    source: WireClient,
    source_table: str,
    target: WireClient,
    target_table: str,
    *,
    segments: int = 4,
    transform: Transform | None = None,
    wire_transform: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    rate: float | None = None,
    rejects: Path,
    progress: Progress | None = None,
    writer_options: dict[str, Any] | None = None,
    checkpoint_path: Path | None = None,
    resume: bool = False,
    share: list[int] | None = None,
) -> CopyResult:
    """Every item of ``source_table`` into ``target_table``. With ``checkpoint_path`` the copy
    records its progress there and ``resume=True`` continues a stopped one. ``share``: only
    these segments of the ``segments``-way scan (one worker of several)."""
    began = time.monotonic()
    report = progress or (lambda n: None)
    taken = list(range(segments)) if share is None else sorted(share)
    state = _copy_state(source_table, target_table, segments, checkpoint_path, resume, taken)
    tracker = _CopyProgress(checkpoint_path, state)
    reader = _Reader(source, source_table, segments, tracker, transform, wire_transform)

    def done(positions: list[int], count: int) -> None:
        tracker.done(positions)
        report(count)

    try:
        stats = write_records(
            target,
            target_table,
            reader.records(),
            rejects=rejects,
            rate=rate,
            writer_options=(writer_options or {}) | {"on_done": done},
            keep_rejects=resume,
        )
    except RunStoppedError as exc:
        how = f"run the same copy with --resume ({checkpoint_path} keeps its progress)"
        raise exc.resumable(how if checkpoint_path else "run the same copy again") from exc
    finally:
        tracker.save()
    if checkpoint_path is not None:
        checkpoint_path.unlink()
    return CopyResult(
        stats,
        reader.read,
        reader.skipped,
        time.monotonic() - began,
        rejects if stats.rejected else None,
    )


def write_records(
    wire: WireClient,
    table: str,
    records: Iterator[Record],
    *,
    rejects: Path,
    progress: Progress | None = None,
    rate: float | None = None,
    delete: bool = False,
    writer_options: dict[str, Any] | None = None,
    keep_rejects: bool = False,
) -> WriteStats:
    """Records into ``table`` through the bulk writer, with a fresh reject file (or the
    existing one continued, ``keep_rejects``)."""
    names, _ = key_schema(describe(wire, table))
    if not keep_rejects:
        rejects.unlink(missing_ok=True)
    options: dict[str, Any] = {
        "on_done": lambda positions, n: progress(n) if progress else None,
    }
    writer = BulkWriter(
        wire,
        table,
        names,
        RejectFile(rejects, keep=keep_rejects),
        rate=rate,
        delete=delete,
        **(options | (writer_options or {})),
    )
    return writer.run(records)


def count_items(
    wire: WireClient, table: str, segments: int = 4, progress: Progress | None = None
) -> int:
    """Exact count by a parallel COUNT scan (DescribeTable's ItemCount lags on AWS)."""
    total = 0
    for page in scan_pages(wire, table, segments, select_count=True):
        total += len(page.items)
        if progress:
            progress(len(page.items))
    return total


def clear_table(
    wire: WireClient,
    table: str,
    *,
    segments: int = 4,
    rejects: Path,
    progress: Progress | None = None,
) -> WriteStats:
    """Delete every item (keeps the table): scan keys only, batch DeleteRequests."""
    names, _ = key_schema(describe(wire, table))
    aliases = {f"#k{i}": name for i, name in enumerate(names)}
    report = progress or (lambda n: None)

    def records() -> Iterator[Record]:
        position = 0
        for page in scan_pages(wire, table, segments, projection=", ".join(aliases), names=aliases):
            for item in page.items:
                yield position, item
                position += 1

    return write_records(wire, table, records(), rejects=rejects, progress=report, delete=True)


def summary(stats: WriteStats, seconds: float) -> dict[str, Any]:
    rate = stats.items / seconds if seconds > 0 else 0.0
    return {
        "items": stats.items,
        "bytes": stats.bytes,
        "seconds": round(seconds, 2),
        "items_per_second": round(rate),
        "retries": stats.retries,
        "rejected": stats.rejected,
    }
