"""``data import``: files into a table, every file checked before anything is sent; resumable.

The checkpoint (``<first input>.checkpoint.json``) records, per file, the position (line, CSV
row, model item) below which every item is confirmed by DynamoDB or saved in the reject file,
and is written while the import runs and whenever it stops (endpoint gone, throttled past the
deadline, Ctrl-C). ``--resume`` skips those positions; re-putting an item is idempotent, so
what was in flight at a kill is simply written again. The reject file is continued, not
restarted, so a resumed run still reports (and fails for) what an earlier run rejected.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import orjson

from dynaform.data import checkpoint, files
from dynaform.data.bulk import BulkWriter, Record, RejectFile, Watermark, WriteStats
from dynaform.data.checks import check_item
from dynaform.data.errors import DataError, RunStoppedError
from dynaform.data.heap import bulk_collections
from dynaform.data.shard import Worker
from dynaform.data.table import describe, key_schema
from dynaform.data.wire import WireClient

Progress = Callable[[int], None]
SAVE_EVERY = 0.25  # seconds between checkpoints while writing


@dataclass
class Source:
    path: Path
    kind: str  # ddb-json | json | csv | workbench
    items: int = 0
    end: int = 0  # one past the last position (blank lines count)
    todo: int = 0  # items not yet done (a resumed run)
    worker: Worker | None = None  # a worker's share of the lines (see ``shard_sources``)

    def where(self, position: int) -> str:
        """A position as a person finds it in the file."""
        if self.kind == "csv":
            return f"{self.path}:{position + 2}"  # the header is line 1
        if self.kind == "workbench":
            return f"{self.path}: item {position + 1}"
        return f"{self.path}:{position + 1}"


def _detect(path: Path) -> Source:
    if files.is_workbench(path):
        return Source(path, "workbench")
    if ".csv" in path.suffixes:
        return Source(path, "csv")
    with files.open_binary(path) as stream:
        first = next((line for _, line in files.lines(stream) if line.strip()), b"")
    return Source(path, "ddb-json" if first.lstrip().startswith(b'{"Item"') else "json")


def sources_for(paths: list[Path], fmt: str | None) -> list[Source]:
    found: list[Source] = []
    for path in paths:
        if not path.exists():
            raise DataError(f"{path} does not exist")
        if path.is_dir() and (path / "manifest.json").is_file():  # a `data export` folder
            manifest = orjson.loads((path / "manifest.json").read_bytes())
            found += [
                Source(path / name, str(manifest.get("format", "ddb-json")))
                for name in manifest.get("files", [])
            ]
        elif path.is_dir():
            data_files = files.s3_export_files(path)
            if not data_files:
                raise DataError(
                    f"{path} is a folder without an S3 export (manifest-files.json "
                    "or data/*.json.gz)"
                )
            found += [Source(p, "ddb-json") for p in data_files]
        else:
            found.append(Source(path, fmt) if fmt else _detect(path))
    return found


def shard_sources(sources: list[Source], worker: Worker) -> tuple[list[Source], str]:
    """A worker's share of the input, the same on every machine given the same files in any
    order and under any path: whole files (the k-th by content to worker k % n + 1) when
    there are at least as many files as workers, otherwise every n-th item of each file. Also
    says which, in one line, with a fingerprint of the inputs to compare across machines."""
    order = {str(s.path): _content_order(s.path) for s in sources}
    digest = hashlib.sha256(repr(sorted(order.values())).encode()).hexdigest()[:12]
    inputs = f"; inputs {digest} (the same on every machine given the same files)"
    if len(sources) >= worker.count:
        ordered = sorted(sources, key=lambda s: order[str(s.path)])
        mine = [s for k, s in enumerate(ordered) if worker.takes(k)]
        return mine, f"worker {worker.typed} takes {len(mine)} of {len(sources)} file(s){inputs}"
    for source in sources:
        source.worker = worker
    return sources, (
        f"worker {worker.typed} takes one item in {worker.count} of each of {len(sources)} "
        f"file(s) (fewer files than workers), from item {worker.index} on{inputs}"
    )


def _content_order(path: Path) -> tuple[str, str, int]:
    """Where a file goes in a sharded import's order: by digests of its first and last 64 KiB
    (every worker reads every file's, so kept small), then its size."""
    found = identity(path, 1 << 16)
    return str(found["head"]), str(found["tail"]), int(found["size"])


def _share(sources: list[Source], worker: Worker | None) -> tuple[list[Source], str]:
    return shard_sources(sources, worker) if worker else (sources, "")


def _records(
    source: Source, types: dict[str, str], skip: int = 0, table: str | None = None
) -> Iterator[Record]:
    if source.worker is not None:
        mine = source.worker.takes
        sharded = replace(source, worker=None)
        yield from (r for r in _records(sharded, types, skip, table) if mine(r[0]))
    elif source.kind == "workbench":
        for index, item in enumerate(files.workbench_items(source.path, table)):
            if index >= skip:
                yield index, item
    elif source.kind == "csv":
        yield from files.read_csv(source.path, types, skip)
    else:
        yield from files.read_lines(source.path, source.kind, skip)  # type: ignore[arg-type]


def validate_sources(
    sources: list[Source],
    keys: dict[str, str],
    types: dict[str, str],
    table: str,
    done: dict[str, Any] | None = None,
) -> int:
    """A full read before anything is sent: an invalid file sends nothing."""
    total = 0
    for source in sources:
        start = int((done or {}).get(str(source.path), 0))
        source.items = source.todo = source.end = 0
        for index, item in _records(source, types, table=table):
            check_item(item, keys, source.where(index))
            source.items += 1
            source.todo += index >= start
            source.end = index + 1
        total += source.items
    return total


@dataclass
class ImportResult:
    stats: WriteStats
    items: int
    seconds: float
    rejects: Path | None
    share: str = ""  # a worker's share, said


class _Checkpoint:
    """The import's checkpoint: per file, the watermark below which everything is done."""

    def __init__(
        self, path: Path, table: str, done: dict[str, Any], sources: dict[str, Any]
    ) -> None:
        self.path = path
        self.state: dict[str, Any] = {"table": table, "files": done, "sources": sources}
        self._lock = threading.Lock()
        self._saved = 0.0

    def record(self, label: str, position: int, *, now: bool = False) -> None:
        with self._lock:
            self.state["files"][label] = position
            if now or time.monotonic() - self._saved > SAVE_EVERY:
                checkpoint.save(self.path, self.state, durable=now)
                self._saved = time.monotonic()


def identity(path: Path, window: int = 1 << 20) -> dict[str, Any]:
    """Enough of a file to notice it changed: its size and digests of its first and last
    ``window`` bytes (a MiB)."""
    size = path.stat().st_size
    with path.open("rb") as stream:
        head = hashlib.sha256(stream.read(window)).hexdigest()
        stream.seek(max(0, size - window))
        tail = hashlib.sha256(stream.read()).hexdigest()
    return {"size": size, "head": head, "tail": tail}


def _start(
    table: str, checkpoint_path: Path, reject_path: Path, resume: bool, sources: dict[str, Any]
) -> dict[str, Any]:
    """What an earlier run finished (resume), or a clean start. A file that changed since the
    run stopped is refused: its recorded line numbers would skip the wrong items."""
    if not resume:
        checkpoint.refuse_unfinished(checkpoint_path, "import")
        reject_path.unlink(missing_ok=True)  # a fresh run starts a fresh reject file
        return {}
    saved = checkpoint.load(checkpoint_path, "import")
    if saved.get("table") != table:
        raise DataError(f"{checkpoint_path} is an import into {saved.get('table')}, not {table}")
    done = dict(saved.get("files", {}))
    recorded = saved.get("sources", {})
    for label in done:
        if recorded.get(label) != sources.get(label):
            raise DataError(
                f"{label} changed since the import stopped ({checkpoint_path} recorded another "
                "size or content): resuming would skip the wrong lines; nothing was sent",
                hint=f"restore the file, or delete {checkpoint_path} and import it again "
                "(puts are idempotent)",
            )
    return done


def _tracked(records: Iterator[Record], mark: Watermark) -> Iterator[Record]:
    """Positions without an item (blank lines) are done as soon as they are passed."""
    expected = mark.value
    for position, item in records:
        if position > expected:
            mark.finish(range(expected, position))
        expected = position + 1
        yield position, item


def _import_source(
    writer: BulkWriter, source: Source, types: dict[str, str], saver: _Checkpoint
) -> None:
    label = str(source.path)
    start = int(saver.state["files"].get(label, 0))
    if start >= source.end:
        return
    mark = Watermark(start)
    report = writer.on_done

    def finished(positions: list[int], count: int) -> None:
        mark.finish(positions)
        report(positions, count)
        saver.record(label, mark.value)

    writer.on_done, writer.where = finished, source.where
    try:
        writer.run(_tracked(_records(source, types, start, writer.table), mark))
    finally:  # stopped or not: every batch has ended, so the watermark is final
        saver.record(label, mark.value, now=True)
        writer.on_done = report


def _own_files(first: Path, worker: Worker | None, rejects: Path | None) -> tuple[Path, Path]:
    """The checkpoint and the reject file, next to the first input; a worker's are its own,
    a given ``--rejects`` too (every worker may be given the same one)."""
    if worker is not None and rejects is not None:
        rejects = worker.own(rejects)
    stem = first.name + (f".{worker.label}" if worker else "")
    return first.with_name(stem + ".checkpoint.json"), rejects or first.with_name(
        stem + ".rejects.jsonl"
    )


@bulk_collections()
def import_files(
    wire: WireClient,
    table: str,
    paths: list[Path],
    *,
    fmt: str | None = None,
    types: dict[str, str] | None = None,
    resume: bool = False,
    rate: float | None = None,
    concurrency: int = 8,
    rejects: Path | None = None,
    progress: Progress | None = None,
    on_total: Callable[[int], None] | None = None,
    writer_options: dict[str, Any] | None = None,
    worker: Worker | None = None,
) -> ImportResult:
    """``worker``: only this worker's share (``shard_sources``), with its own checkpoint and
    reject file (``<first input>.worker-i-of-n.checkpoint.json``)."""
    began = time.monotonic()
    types = types or {}
    report = progress or (lambda n: None)
    names, keys = key_schema(describe(wire, table))
    sources, share = _share(sources_for(paths, fmt), worker)
    checkpoint_path, reject_path = _own_files(paths[0], worker, rejects)
    identities = {str(source.path): identity(source.path) for source in sources}
    done = _start(table, checkpoint_path, reject_path, resume, identities)
    total = validate_sources(sources, keys, types, table, done)
    (on_total or (lambda n: None))(sum(source.todo for source in sources))
    saver = _Checkpoint(checkpoint_path, table, done, identities)
    checkpoint.save(checkpoint_path, saver.state, durable=True)
    reject_file = RejectFile(reject_path, keep=resume)
    writer = BulkWriter(
        wire,
        table,
        names,
        reject_file,
        concurrency=concurrency,
        rate=rate,
        on_done=lambda positions, count: report(count),
        **(writer_options or {}),
    )
    try:
        for source in sources:
            _import_source(writer, source, types, saver)
    except RunStoppedError as exc:
        raise exc.resumable(
            f"run the same import with --resume ({checkpoint_path} keeps its progress)"
        ) from exc
    checkpoint_path.unlink()
    stats = writer.stats
    stats.rejected, stats.reasons = reject_file.count, dict(reject_file.reasons)
    return ImportResult(
        stats,
        total,
        time.monotonic() - began,
        reject_path if reject_file.count or reject_path.exists() else None,
        share,
    )
