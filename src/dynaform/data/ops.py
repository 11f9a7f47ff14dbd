"""export / import / copy / count / clear, resumable through checkpoints.

Export checkpoint (``<out>.checkpoint.json``): per scan segment, its LastEvaluatedKey, the size
of its part file and its item count, written after each page is on disk. ``--resume`` truncates
each part to the recorded size and scans on from the recorded key: nothing lost, nothing twice.

Import checkpoint (``<first input>.checkpoint.json``): per file, the line below which every item
is acknowledged by DynamoDB (or saved in the reject file). ``--resume`` skips those lines;
re-putting an item is idempotent, so what was in flight at the kill is simply written again.
"""

from __future__ import annotations

import gzip
import importlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from botocore.exceptions import ClientError

from dynaform.data import files
from dynaform.data.bulk import BulkWriter, Record, RejectFile, Watermark, WriteStats, scan_pages
from dynaform.data.codec import CodecError, Encoder, unmarshal
from dynaform.data.wire import WireClient
from dynaform.errors import DynaformError

Progress = Callable[[int], None]
KEY_TYPES = {"S", "N", "B"}


class DataError(DynaformError):
    pass


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2))
    tmp.replace(path)


def describe(wire: WireClient, table: str) -> dict[str, Any]:
    try:
        answer = wire.call("DescribeTable", {"TableName": table})
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            raise DataError(
                f"table {table} does not exist on {wire.endpoint_url}",
                hint="create it with `dynaform apply`, or check the name, -e and --endpoint-url",
            ) from exc
        raise
    return dict(answer["Table"])


def key_schema(table: dict[str, Any]) -> tuple[tuple[str, ...], dict[str, str]]:
    names = tuple(
        k["AttributeName"] for k in sorted(table["KeySchema"], key=lambda k: k["KeyType"])
    )
    types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
    return names, {n: types[n] for n in names}


# --- export -----------------------------------------------------------------------------


@dataclass
class ExportResult:
    items: int
    bytes: int
    seconds: float
    files: list[Path]


def _part_name(index: int, fmt: files.Format, gz: bool) -> str:
    suffix = {"ddb-json": ".jsonl", "json": ".jsonl", "csv": ".csv"}[fmt]
    return f"part-{index:05d}{suffix}{'.gz' if gz else ''}"


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
) -> ExportResult:
    """Scan ``table`` into ``out`` (a file, or a folder of one part per segment)."""
    began = time.monotonic()
    report = progress or (lambda n: None)
    folder_mode = out.is_dir() or (not out.suffix and not out.exists())
    parts_dir = out if folder_mode else out.with_name(out.name + ".parts")
    checkpoint = (
        (out / ".checkpoint.json") if folder_mode else out.with_name(out.name + ".checkpoint.json")
    )
    single = not folder_mode and segments == 1
    paths = [out] if single else [parts_dir / _part_name(s, fmt, gz) for s in range(segments)]
    header = columns
    state: dict[str, Any]
    if resume:
        if not checkpoint.exists():
            raise DataError(
                f"nothing to resume: {checkpoint} does not exist",
                hint="run the export without --resume",
            )
        state = orjson.loads(checkpoint.read_bytes())
        if (state["table"], state["format"], state["segments"], state["gzip"]) != (
            table,
            fmt,
            segments,
            gz,
        ):
            raise DataError(
                f"{checkpoint} is for another export ({state['table']}, "
                f"{state['format']}, {state['segments']} segments)",
                hint="resume with the same table, --format, --segments and --gzip",
            )
        header = state.get("columns")
        for index, path in enumerate(paths):
            with path.open("ab") as handle:
                handle.truncate(state["parts"][str(index)]["bytes"])
    else:
        if checkpoint.exists():
            raise DataError(
                f"an unfinished export is recorded in {checkpoint}",
                hint="continue it with --resume, or delete that file",
            )
        for path in paths:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"")
        state = {
            "table": table,
            "format": fmt,
            "segments": segments,
            "gzip": gz,
            "columns": header,
            "parts": {
                str(s): {"key": None, "bytes": 0, "items": 0, "done": False}
                for s in range(segments)
            },
        }
        _write_json(checkpoint, state)

    handles = [path.open("ab") for path in paths]
    lock = threading.Lock()
    try:
        pages = scan_pages(
            wire,
            table,
            segments,
            consistent=consistent,
            start={int(s): p["key"] for s, p in state["parts"].items() if p["key"]},
            finished={int(s) for s, p in state["parts"].items() if p["done"]},
        )
        for page in pages:
            handle = handles[0 if single else page.segment]
            if fmt == "csv":
                if header is None:
                    header = sorted({name for item in page.items for name in item})
                    state["columns"] = header
                data = files.csv_rows(page.items, header)
                if handle.tell() == 0:
                    data = files.csv_header(header) + data
            else:
                data = files.encode_lines(page.items, fmt)
            if gz and data:
                data = gzip.compress(data, compresslevel=6)  # a member per page: truncatable
            with lock:
                handle.write(data)
                handle.flush()
                part = state["parts"][str(page.segment)]
                part.update(key=page.last_key, bytes=handle.tell(), done=page.last_key is None)
                part["items"] += len(page.items)
                _write_json(checkpoint, state)
            report(len(page.items))
    finally:
        for handle in handles:
            handle.close()
    if not single and not folder_mode:  # one file asked for: join the parts
        with out.open("wb") as joined:
            for path in paths:
                with path.open("rb") as part_file:
                    while chunk := part_file.read(1 << 20):
                        joined.write(chunk)
                path.unlink()
        parts_dir.rmdir()
        paths = [out]
    total = sum(p["items"] for p in state["parts"].values())
    if folder_mode:
        _write_json(
            out / "manifest.json",
            {"table": table, "format": fmt, "items": total, "files": [p.name for p in paths]},
        )
    checkpoint.unlink()
    return ExportResult(
        total, sum(p.stat().st_size for p in paths), time.monotonic() - began, paths
    )


# --- import -----------------------------------------------------------------------------


@dataclass
class Source:
    path: Path
    kind: str  # ddb-json | json | csv | workbench
    items: int = 0


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
        elif fmt:
            found.append(Source(path, fmt))
        elif files.is_workbench(path):
            found.append(Source(path, "workbench"))
        elif ".csv" in path.suffixes:
            found.append(Source(path, "csv"))
        else:
            with files.open_binary(path) as stream:
                first = next((line for _, line in files.lines(stream) if line.strip()), b"")
            found.append(
                Source(path, "ddb-json" if first.lstrip().startswith(b'{"Item"') else "json")
            )
    return found


def _records(
    source: Source, types: dict[str, str], skip: int = 0, table: str | None = None
) -> Iterator[Record]:
    if source.kind == "workbench":
        for index, item in enumerate(files.workbench_items(source.path, table)):
            if index >= skip:
                yield index, item
    elif source.kind == "csv":
        yield from files.read_csv(source.path, types, skip)
    else:
        yield from files.read_lines(source.path, source.kind, skip)  # type: ignore[arg-type]


def check_item(item: dict[str, Any], keys: dict[str, str], where: str) -> None:
    """The structural checks DynamoDB would fail the whole batch for, with the line."""
    for name, kind in keys.items():
        value = item.get(name)
        if type(value) is not dict or kind not in value or len(value) != 1:
            got = "missing" if value is None else f"{next(iter(value), '?')}"
            raise DataError(
                f"{where}: key attribute {name!r} must be type {kind}, is {got}",
                hint="fix the line; nothing was sent to DynamoDB",
            )
    for name, value in item.items():
        if type(value) is not dict or len(value) != 1:
            raise DataError(
                f"{where}: attribute {name!r} is not an AttributeValue",
                hint='write it like {"S": "text"} or use --format json',
            )


def validate_sources(
    sources: list[Source], keys: dict[str, str], types: dict[str, str], table: str
) -> int:
    """A full read before anything is sent: an invalid file sends nothing."""
    total = 0
    for source in sources:
        count = 0
        for index, item in _records(source, types, table=table):
            check_item(item, keys, f"{source.path}:{index + 1}")
            count += 1
        source.items = count
        total += count
    return total


@dataclass
class ImportResult:
    stats: WriteStats
    items: int
    seconds: float
    rejects: Path | None


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
) -> ImportResult:
    began = time.monotonic()
    types = types or {}
    report = progress or (lambda n: None)
    names, keys = key_schema(describe(wire, table))
    sources = sources_for(paths, fmt)
    checkpoint = paths[0].with_name(paths[0].name + ".checkpoint.json")
    reject_path = rejects or paths[0].with_name(paths[0].name + ".rejects.jsonl")
    done: dict[str, Any] = {}
    if resume:
        if not checkpoint.exists():
            raise DataError(
                f"nothing to resume: {checkpoint} does not exist",
                hint="run the import without --resume",
            )
        saved = orjson.loads(checkpoint.read_bytes())
        if saved.get("table") != table:
            raise DataError(f"{checkpoint} is an import into {saved.get('table')}, not {table}")
        done = saved["files"]
    elif checkpoint.exists():
        raise DataError(
            f"an unfinished import is recorded in {checkpoint}",
            hint="continue it with --resume, or delete that file",
        )
    elif reject_path.exists():
        reject_path.unlink()  # a fresh run starts a fresh reject file
    total = validate_sources(sources, keys, types, table)
    if on_total:
        on_total(total - sum(int(v) for v in done.values()))
    state: dict[str, Any] = {"table": table, "files": done}
    _write_json(checkpoint, state)
    reject_file = RejectFile(reject_path)
    stats = WriteStats()
    lock = threading.Lock()
    for source in sources:
        label = str(source.path)
        start = int(done.get(label, 0))
        if start >= source.items:
            continue
        mark = Watermark(start)

        def finished(
            positions: list[int],
            count: int,
            mark: Watermark = mark,
            label: str = label,
            last_write: list[float] = [0.0],  # noqa: B006 - one clock per file, on purpose
        ) -> None:
            mark.finish(positions)
            report(count)
            with lock:
                now = time.monotonic()
                if now - last_write[0] > 0.25:
                    state["files"][label] = mark.value
                    _write_json(checkpoint, state)
                    last_write[0] = now

        writer = BulkWriter(
            wire,
            table,
            names,
            reject_file,
            concurrency=concurrency,
            rate=rate,
            on_done=finished,
            **(writer_options or {}),
        )
        result = writer.run(_records(source, types, start, table))
        with lock:
            state["files"][label] = source.items
            _write_json(checkpoint, state)
        for name in ("items", "batches", "retries", "rejected", "bytes"):
            setattr(stats, name, getattr(stats, name) + getattr(result, name))
        for reason, count in result.reasons.items():
            stats.reasons[reason] = stats.reasons.get(reason, 0) + count
    checkpoint.unlink()
    return ImportResult(
        stats,
        total,
        time.monotonic() - began,
        reject_path if reject_file.count or reject_path.exists() else None,
    )


# --- copy, count, clear -----------------------------------------------------------------


def load_transform(spec: str) -> Callable[[dict[str, Any]], dict[str, Any] | None]:
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


def copy_table(
    source: WireClient,
    source_table: str,
    target: WireClient,
    target_table: str,
    *,
    segments: int = 4,
    transform: Callable[[dict[str, Any]], dict[str, Any] | None] | None = None,
    wire_transform: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    rate: float | None = None,
    rejects: Path,
    progress: Progress | None = None,
    writer_options: dict[str, Any] | None = None,
) -> CopyResult:
    began = time.monotonic()
    report = progress or (lambda n: None)
    encoder = Encoder()
    counts = {"read": 0, "skipped": 0}

    def records() -> Iterator[Record]:
        position = 0
        for page in scan_pages(source, source_table, segments):
            for item in page.items:
                counts["read"] += 1
                if transform is not None:
                    try:
                        changed = transform(unmarshal(item))
                    except Exception as exc:
                        raise DataError(f"--transform failed on an item: {exc}") from exc
                    if changed is None:
                        counts["skipped"] += 1
                        continue
                    try:
                        item = encoder.item(changed)
                    except CodecError as exc:
                        raise DataError(
                            f"--transform returned an item DynamoDB cannot store: {exc}"
                        ) from exc
                if wire_transform is not None:
                    item = wire_transform(item)
                yield position, item
                position += 1

    stats = write_records(
        target,
        target_table,
        records(),
        rejects=rejects,
        progress=report,
        rate=rate,
        writer_options=writer_options,
    )
    return CopyResult(
        stats,
        counts["read"],
        counts["skipped"],
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
) -> WriteStats:
    """Records into ``table`` through the bulk writer, with a fresh reject file."""
    names, _ = key_schema(describe(wire, table))
    if rejects.exists():
        rejects.unlink()
    writer = BulkWriter(
        wire,
        table,
        names,
        RejectFile(rejects),
        rate=rate,
        delete=delete,
        on_done=lambda positions, n: progress(n) if progress else None,
        **(writer_options or {}),
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
