"""``data export``: a parallel Scan into a file, or a folder of one part per segment;
resumable after a kill at any point.

Phases, recorded in the checkpoint (``<out>.checkpoint.json``, or ``.checkpoint.json`` in the
folder):

1. ``scan``: each segment appends pages to its part. The checkpoint records, per segment, the
   scan position, the part's size and its item count, only after those bytes are synced to
   disk. A resumed scan cuts each part back to its recorded size (a part shorter than recorded
   is scanned again from its start) and goes on from the recorded position.
2. ``join``: every part is complete and synced. The final file is written under a temporary
   name in the same folder, synced, then renamed over ``out``: a reader sees the old file or
   the whole new one. A kill here just joins again from the intact parts.
3. ``joined``: the final files are in place; only now are the parts removed.

gzip parts are a gzip member per page, so they can be cut at any recorded size. CSV needs every
item's attributes before its header, so its parts are DynamoDB JSON, turned into CSV (one
header, the columns of every item, keys first) when joined.
"""

from __future__ import annotations

import gzip
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from dynaform.data import checkpoint, files
from dynaform.data.errors import DataError, RunStoppedError
from dynaform.data.heap import bulk_collections
from dynaform.data.scan import Page, scan_pages
from dynaform.data.table import describe, key_schema
from dynaform.data.wire import WireClient

Progress = Callable[[int], None]
SAVE_EVERY = 0.5  # seconds between checkpoints (each one syncs the parts first)
CSV_BATCH = 1000


@dataclass
class ExportResult:
    items: int
    bytes: int
    seconds: float
    files: list[Path]


@dataclass(frozen=True)
class Layout:
    """Where an export writes: parts while scanning, the final files at the end."""

    out: Path
    folder: bool
    checkpoint: Path
    parts: list[Path]
    final: list[Path]
    fmt: files.Format
    gz: bool
    total: int  # segments of the whole scan
    share: tuple[int, ...]  # the segments this run takes, one part each (a worker: some)
    sharded: bool = False  # a worker's run (--worker), even 1/1: its manifest says its share

    @property
    def part_format(self) -> files.Format:
        return "ddb-json" if self.fmt == "csv" else self.fmt

    @property
    def part_gzip(self) -> bool:
        return self.gz and self.fmt != "csv"


def _part_name(index: int, fmt: files.Format, gz: bool) -> str:
    suffix = {"ddb-json": ".jsonl", "json": ".jsonl", "csv": ".csv"}[fmt]
    return f"part-{index:05d}{suffix}{'.gz' if gz else ''}"


def layout(
    out: Path, fmt: files.Format, segments: int, gz: bool, share: Sequence[int] | None = None
) -> Layout:
    folder = out.is_dir() or (not out.suffix and not out.exists())
    parts_dir = out if folder else out.with_name(out.name + ".parts")
    taken = tuple(range(segments) if share is None else share)
    names = [_part_name(s, fmt, gz) for s in taken]
    if fmt == "csv":  # DynamoDB JSON until the columns are known
        parts = [parts_dir / f"part-{s:05d}.csv-source.jsonl" for s in taken]
    else:
        parts = [parts_dir / name for name in names]
    return Layout(
        out=out,
        folder=folder,
        checkpoint=out / ".checkpoint.json"
        if folder
        else out.with_name(out.name + ".checkpoint.json"),
        parts=parts,
        final=[parts_dir / name for name in names] if folder else [out],
        fmt=fmt,
        gz=gz,
        total=segments,
        share=taken,
        sharded=share is not None,
    )


# --- starting and resuming --------------------------------------------------------------


def _fresh(
    lay: Layout, table: str, keys: tuple[str, ...], columns: list[str] | None
) -> dict[str, Any]:
    checkpoint.refuse_unfinished(lay.checkpoint, "export")
    lay.checkpoint.parent.mkdir(parents=True, exist_ok=True)
    state: dict[str, Any] = {
        "table": table,
        "format": lay.fmt,
        "segments": lay.total,
        "share": list(lay.share),
        "gzip": lay.gz,
        "phase": "scan",
        "started": _utc_now(),  # a worker's manifest shows when its scan ran
        "keys": list(keys),
        "columns": columns,  # given with --columns: exactly these
        "names": [],  # otherwise: every attribute name seen (CSV)
        "parts": {str(s): {"key": None, "bytes": 0, "items": 0, "done": False} for s in lay.share},
    }
    # The checkpoint first: a kill before it leaves at most an empty folder.
    checkpoint.create(lay.checkpoint, state, "export")
    if lay.folder:
        (lay.out / "manifest.json").unlink(missing_ok=True)  # it describes an older export
    for path in lay.parts:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")
    return state


def _finished(lay: Layout) -> bool:
    """``out`` is a finished export: its checkpoint is removed only once it is whole."""
    if lay.folder:
        return (lay.out / "manifest.json").is_file()
    return lay.out.is_file() and not lay.parts[0].parent.exists()


def _resumed(lay: Layout, table: str) -> dict[str, Any]:
    if not lay.checkpoint.exists() and _finished(lay):
        raise DataError(
            f"nothing to resume: {lay.out} is a finished export (its checkpoint is removed "
            "only once the export is whole)",
            hint="use it as it is; to export again, name a new file or folder",
        )
    state = checkpoint.load(lay.checkpoint, "export")
    recorded = (state.get("table"), state.get("format"), state.get("segments"), state.get("gzip"))
    if recorded != (table, lay.fmt, lay.total, lay.gz) or state.get(
        "share", list(lay.share)
    ) != list(lay.share):
        raise DataError(
            f"{lay.checkpoint} is for another export ({state.get('table')}, "
            f"{state.get('format')}, {state.get('segments')} segments)",
            hint="resume with the same table, --format, --segments, --worker and --gzip",
        )
    state.setdefault("phase", "scan")
    if state["phase"] == "scan":
        _cut_back(lay, state)
    elif state["phase"] == "join":
        for path, part in zip(lay.parts, state["parts"].values(), strict=True):
            if not path.exists() or path.stat().st_size != part["bytes"]:
                raise DataError(
                    f"{path} is not the part {lay.checkpoint} recorded",
                    hint=f"delete {lay.checkpoint} and export again",
                )
    return state


def _cut_back(lay: Layout, state: dict[str, Any]) -> None:
    """Each part back to its recorded size; a part that lost recorded bytes starts over."""
    for index, path in zip(lay.share, lay.parts, strict=True):
        part = state["parts"][str(index)]
        size = path.stat().st_size if path.exists() else -1
        if size < part["bytes"]:
            part.update(key=None, bytes=0, items=0, done=False)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("ab") as handle:
            handle.truncate(part["bytes"])


# --- scanning ---------------------------------------------------------------------------


def _sync_and_save(lay: Layout, handles: Sequence[IO[bytes]], state: dict[str, Any]) -> None:
    """The checkpoint may only record bytes that are on disk."""
    for handle in handles:
        handle.flush()
        os.fsync(handle.fileno())
    checkpoint.save(lay.checkpoint, state, durable=True)


def _append(lay: Layout, handle: IO[bytes], page: Page, state: dict[str, Any]) -> None:
    data = files.encode_lines(page.items, lay.part_format)
    if lay.part_gzip and data:
        data = gzip.compress(data, compresslevel=6)  # a member per page: truncatable
    handle.write(data)
    handle.flush()
    part = state["parts"][str(page.segment)]
    part.update(key=page.last_key, bytes=handle.tell(), done=page.last_key is None)
    part["items"] += len(page.items)
    if lay.fmt == "csv" and state["columns"] is None:
        seen = set(state["names"])
        new = {name for item in page.items for name in item} - seen
        if new:
            state["names"] = sorted(seen | new)


def _scan(
    wire: WireClient, lay: Layout, state: dict[str, Any], consistent: bool, report: Progress
) -> None:
    handles = {segment: path.open("ab") for segment, path in zip(lay.share, lay.parts, strict=True)}
    others = set(range(lay.total)) - set(lay.share)  # other workers' segments
    saved = time.monotonic()
    try:
        pages = scan_pages(
            wire,
            state["table"],
            lay.total,
            consistent=consistent,
            start={int(s): p["key"] for s, p in state["parts"].items() if p["key"]},
            finished=others | {int(s) for s, p in state["parts"].items() if p["done"]},
        )
        for page in pages:
            _append(lay, handles[page.segment], page, state)
            if page.last_key is None or time.monotonic() - saved > SAVE_EVERY:
                _sync_and_save(lay, list(handles.values()), state)
                saved = time.monotonic()
            report(len(page.items))
        state["phase"] = "join"
    finally:
        _sync_and_save(lay, list(handles.values()), state)  # so far, or the phase change
        for handle in handles.values():
            handle.close()


# --- joining ----------------------------------------------------------------------------


def _write_atomically(target: Path, write: Callable[[IO[bytes]], None]) -> None:
    """``target`` appears whole or not at all (a temporary name, synced, then renamed)."""
    tmp = target.with_name(target.name + ".joining")
    with tmp.open("wb") as out:
        write(out)
        out.flush()
        os.fsync(out.fileno())
    tmp.replace(target)
    checkpoint.fsync_dir(target.parent)


def _concatenate(parts: list[Path]) -> Callable[[IO[bytes]], None]:
    def write(out: IO[bytes]) -> None:
        for path in parts:
            with path.open("rb") as part:
                while chunk := part.read(1 << 20):
                    out.write(chunk)

    return write


def csv_columns(state: dict[str, Any]) -> list[str]:
    if state["columns"] is not None:
        return list(state["columns"])
    keys = list(state["keys"])
    return keys + [name for name in state["names"] if name not in keys]


def _as_csv(parts: list[Path], columns: list[str], gz: bool) -> Callable[[IO[bytes]], None]:
    def write(out: IO[bytes]) -> None:
        stream: IO[bytes] = (
            gzip.GzipFile(fileobj=out, mode="wb", compresslevel=6)  # type: ignore[assignment]
            if gz
            else out
        )
        stream.write(files.csv_header(columns))
        for path in parts:
            batch: list[dict[str, Any]] = []
            for _, item in files.read_lines(path, "ddb-json"):
                batch.append(item)
                if len(batch) == CSV_BATCH:
                    stream.write(files.csv_rows(batch, columns))
                    batch = []
            stream.write(files.csv_rows(batch, columns))
        if stream is not out:
            stream.close()

    return write


def _finish(lay: Layout, state: dict[str, Any]) -> None:
    """Write the final files from the complete parts (phase ``join``)."""
    if lay.fmt == "csv":
        columns = csv_columns(state)
        if lay.folder:
            for part, final in zip(lay.parts, lay.final, strict=True):
                _write_atomically(final, _as_csv([part], columns, lay.gz))
        else:
            _write_atomically(lay.out, _as_csv(lay.parts, columns, lay.gz))
    elif not lay.folder:
        _write_atomically(lay.out, _concatenate(lay.parts))
    state["phase"] = "joined"
    checkpoint.save(lay.checkpoint, state, durable=True)


def _clean_up(lay: Layout, state: dict[str, Any]) -> int:
    """Remove the parts that are not final files (phase ``joined``); the item count."""
    for path in lay.parts:
        if path not in lay.final:
            path.unlink(missing_ok=True)
    total = sum(int(p["items"]) for p in state["parts"].values())
    if lay.folder:
        checkpoint.save(
            lay.out / "manifest.json",
            {
                "table": state["table"],
                "format": lay.fmt,
                "items": total,
                "files": [p.name for p in lay.final],
            }
            | _share_record(lay, state),
            durable=True,
        )
    else:
        for leftover in lay.parts[0].parent.glob("*.joining"):
            leftover.unlink()
        lay.parts[0].parent.rmdir()
    lay.checkpoint.unlink()
    return total


def _share_record(lay: Layout, state: dict[str, Any]) -> dict[str, Any]:
    """A worker's manifest also says which segments of how many it holds, and their counts."""
    if not lay.sharded:
        return {}
    return {
        "segments": lay.total,
        "share": list(lay.share),
        "gzip": lay.gz,
        "counts": {s: int(p["items"]) for s, p in state["parts"].items()},
        "scanned": [state.get("started"), _utc_now()],
    }


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@bulk_collections()
def export_table(
    wire: WireClient,
    table: str,
    out: Path,
    *,
    fmt: files.Format = "ddb-json",
    segments: int = 1,
    gz: bool = False,
    resume: bool = False,
    consistent: bool = False,
    columns: list[str] | None = None,
    progress: Progress | None = None,
    share: Sequence[int] | None = None,
) -> ExportResult:
    """Scan ``table`` into ``out`` (a file, or a folder of one part per segment). ``share``:
    only these segments of the ``segments``-way scan (one worker of several)."""
    began = time.monotonic()
    lay = layout(out, fmt, segments, gz, share)
    if resume:
        state = _resumed(lay, table)
    else:
        state = _fresh(lay, table, key_schema(describe(wire, table))[0], columns)
    try:
        if state["phase"] == "scan":
            _scan(wire, lay, state, consistent, progress or (lambda n: None))
        if state["phase"] == "join":
            _finish(lay, state)
    except RunStoppedError as exc:
        raise exc.resumable(_how(lay)) from exc
    total = _clean_up(lay, state)
    return ExportResult(
        total, sum(p.stat().st_size for p in lay.final), time.monotonic() - began, lay.final
    )


def _how(lay: Layout) -> str:
    return f"run the same export with --resume ({lay.checkpoint} keeps its progress)"
