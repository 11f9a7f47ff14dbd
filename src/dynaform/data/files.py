"""Item files.

- ``ddb-json``: DynamoDB JSON lines exactly as AWS's S3 export and import use: one
  ``{"Item": {...}}`` a line, optionally gzip. Items pass through untouched (no decoding).
- ``json``: one JSON object of plain values a line; numbers exact (read as int/Decimal).
- ``csv``: a header row; a type map (``price=N,active=BOOL,tags=JSON``) says how to read cells.
- Folders of an AWS S3 export (``manifest-files.json`` + ``data/*.json.gz``) and NoSQL Workbench
  models (``TableData``) are read too.

Lines are split on ``\\n`` only: U+2028 and other separators inside strings stay in the string.
"""

from __future__ import annotations

import base64
import csv
import gzip
import io
import json
import re
from collections.abc import Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Literal

import orjson

from dynaform.data.codec import CodecError, Encoder
from dynaform.errors import DynaformError

Format = Literal["ddb-json", "json", "csv"]
FORMATS: tuple[Format, ...] = ("ddb-json", "json", "csv")
CSV_TYPES = frozenset({"S", "N", "BOOL", "JSON", "B"})


class FileFormatError(DynaformError):
    """A line that cannot be read; names the file and line."""


def open_binary(path: Path) -> IO[bytes]:
    """Read a file, gunzipping it when it starts with gzip's magic bytes."""
    raw = path.open("rb")
    head = raw.peek(2)[:2] if hasattr(raw, "peek") else b""
    if head == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=raw)  # type: ignore[return-value]
    return raw


def lines(stream: IO[bytes], skip: int = 0) -> Iterator[tuple[int, bytes]]:
    """(line index, line) split on b"\\n" only, skipping the first ``skip`` lines."""
    index = 0
    rest = b""
    for chunk in iter(lambda: stream.read(1 << 20), b""):
        parts = (rest + chunk).split(b"\n")
        rest = parts.pop()
        for part in parts:
            if index >= skip:
                yield index, part
            index += 1
    if rest and index >= skip:
        yield index, rest


# --- reading ----------------------------------------------------------------------------


def _ddb_json(path: Path, index: int, line: bytes) -> dict[str, Any] | None:
    if not line.strip():
        return None
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise FileFormatError(
            f"{path}:{index + 1}: not JSON ({exc})", hint='each line must be {"Item": {...}}'
        ) from exc
    item = record.get("Item") if isinstance(record, dict) else None
    if not isinstance(item, dict):
        raise FileFormatError(
            f'{path}:{index + 1}: a line must be {{"Item": {{...}}}}',
            hint="use --format json for plain JSON objects",
        )
    return item


_ENCODER = Encoder()


def _plain_json(path: Path, index: int, line: bytes) -> dict[str, Any] | None:
    if not line.strip():
        return None
    try:
        value = json.loads(line, parse_float=Decimal)
    except ValueError as exc:
        raise FileFormatError(f"{path}:{index + 1}: not JSON ({exc})") from exc
    if not isinstance(value, dict):
        raise FileFormatError(f"{path}:{index + 1}: a line must be a JSON object")
    try:
        return _ENCODER.item(value)
    except CodecError as exc:
        raise FileFormatError(f"{path}:{index + 1}: {exc}") from exc


def read_lines(path: Path, fmt: Format, skip: int = 0) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line index, wire item) from a ddb-json or json lines file."""
    parse = _ddb_json if fmt == "ddb-json" else _plain_json
    with open_binary(path) as stream:
        for index, line in lines(stream, skip):
            item = parse(path, index, line)
            if item is not None:
                yield index, item


def parse_type_map(text: str | None) -> dict[str, str]:
    """'price=N,active=BOOL' -> {'price': 'N', 'active': 'BOOL'}."""
    types: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        name, _, kind = part.partition("=")
        kind = kind.strip().upper()
        if not name or kind not in CSV_TYPES:
            raise DynaformError(
                f"cannot read the type map entry {part!r}",
                hint="write name=TYPE with TYPE one of S, N, BOOL, B, JSON",
            )
        types[name.strip()] = kind
    return types


EXPECTED = {
    "N": "a number like 42 or -1.5",
    "BOOL": "true, false, 1 or 0",
    "B": "base64",
    "JSON": "a JSON value",
}


_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _cell(value: str, kind: str, where: str) -> dict[str, Any]:
    try:
        if kind == "N":
            if not _NUMBER.fullmatch(value.strip()):
                raise ValueError("not a number")
            return {"N": _ENCODER.value(Decimal(value))["N"]}
        if kind == "BOOL":
            lowered = value.strip().lower()
            if lowered not in {"true", "false", "1", "0"}:
                raise ValueError(f"{value!r} is not true/false")
            return {"BOOL": lowered in {"true", "1"}}
        if kind == "B":
            base64.b64decode(value, validate=True)
            return {"B": value}
        if kind == "JSON":
            return _ENCODER.value(json.loads(value, parse_float=Decimal))
    except (ValueError, ArithmeticError, CodecError) as exc:
        shown = value if len(value) <= 40 else value[:37] + "..."
        raise FileFormatError(
            f"{where}: {shown!r} is not {EXPECTED[kind]} (column typed {kind}: {exc})",
            hint="fix the cell, or type the column otherwise with --types",
        ) from exc
    return {"S": value}


def read_csv(
    path: Path, types: Mapping[str, str], skip: int = 0
) -> Iterator[tuple[int, dict[str, Any]]]:
    with open_binary(path) as stream:
        text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
        reader = csv.reader(text)
        header = next(reader, None)
        if not header:
            return
        for index, row in enumerate(reader):
            if index < skip:
                continue
            if len(row) != len(header):
                raise FileFormatError(
                    f"{path}:{reader.line_num}: {len(row)} cells for {len(header)} columns"
                )
            yield (
                index,
                {
                    name: _cell(value, types.get(name, "S"), f"{path}:{reader.line_num}: {name}")
                    for name, value in zip(header, row, strict=True)
                    if value != ""
                },
            )


def s3_export_files(folder: Path) -> list[Path]:
    """The data files of an AWS S3 export folder, in the manifest's order."""
    manifest = folder / "manifest-files.json"
    if not manifest.is_file():
        _refuse_unfinished_download(folder)
        return sorted((folder / "data").glob("*.json.gz"))
    files = []
    for index, line in enumerate(manifest.read_bytes().split(b"\n")):
        if not line.strip():
            continue
        try:
            key = orjson.loads(line)["dataFileS3Key"]
        except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
            raise FileFormatError(f"{manifest}:{index + 1}: no dataFileS3Key") from exc
        files.append(folder / "data" / Path(str(key)).name)
    return files


def _refuse_unfinished_download(folder: Path) -> None:
    """An export's summary without its file list: a download (or copy) stopped before its
    end, whose data/ holds only some of the export's files."""
    summary = folder / "manifest-summary.json"
    if not summary.is_file():
        return
    try:
        recorded = orjson.loads(summary.read_bytes())
    except orjson.JSONDecodeError:
        recorded = {}
    arn = (
        recorded.get("ExportArn") or recorded.get("exportArn")
        if isinstance(recorded, dict)
        else None
    )
    raise FileFormatError(
        f"{folder} is an unfinished download{f' of the export {arn}' if arn else ''}: "
        "manifest-files.json, written last, is missing, so data/ may hold only some files",
        hint="finish it with `dynaform data export TABLE --via s3://BUCKET/PREFIX "
        f"--export-arn {arn or 'ARN'} --download {folder}`, then import it",
    )


def workbench_items(path: Path, table: str | None = None) -> list[dict[str, Any]]:
    """The sample items (``TableData``) of a NoSQL Workbench model, any version. A model with
    several tables needs ``table`` to say which one."""
    try:
        model = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise FileFormatError(f"{path}: not JSON ({exc})") from exc
    tables: dict[str, list[dict[str, Any]]] = {}
    models = model.get("DataModel", [model]) if isinstance(model, dict) else []
    for entry in models:
        items = list(entry.get("TableData", []))
        for facet in entry.get("TableFacets", []):
            items.extend(facet.get("TableData", []))
        tables[str(entry.get("TableName", ""))] = items
    if table in tables:
        return tables[table]
    if len(tables) == 1:
        return next(iter(tables.values()))
    raise FileFormatError(
        f"{path} models several tables ({', '.join(tables)})",
        hint="import into a table with the same name as the model's",
    )


def is_workbench(path: Path) -> bool:
    if path.suffix != ".json" or path.stat().st_size > 50_000_000:
        return False
    head = path.read_bytes()[:4096]
    return b'"DataModel"' in head or b'"ModelName"' in head


# --- writing ----------------------------------------------------------------------------


def _native_json(av: Mapping[str, Any]) -> bytes:
    """A wire AttributeValue as plain JSON text, numbers exact (N text is valid JSON)."""
    [(tag, inner)] = av.items()
    if tag == "N":
        return str(inner).encode()
    if tag in {"S", "BOOL", "B", "SS", "BS"}:
        return orjson.dumps(inner)
    if tag == "NULL":
        return b"null"
    if tag == "NS":
        return b"[" + b",".join(str(n).encode() for n in inner) + b"]"
    if tag == "L":
        return b"[" + b",".join(_native_json(v) for v in inner) + b"]"
    if tag == "M":
        return native_line(inner)
    raise FileFormatError(f"unknown AttributeValue type {tag!r}")


def native_line(item: Mapping[str, Any]) -> bytes:
    return (
        b"{" + b",".join(orjson.dumps(k) + b":" + _native_json(v) for k, v in item.items()) + b"}"
    )


def encode_lines(items: list[dict[str, Any]], fmt: Format) -> bytes:
    if fmt == "ddb-json":
        return b"".join(orjson.dumps({"Item": item}) + b"\n" for item in items)
    if fmt == "json":
        return b"".join(native_line(item) + b"\n" for item in items)
    raise FileFormatError(f"{fmt} is written with csv_rows")


def csv_cell(av: Mapping[str, Any]) -> str:
    [(tag, inner)] = av.items()
    if tag in {"S", "N", "B"}:
        return str(inner)
    if tag == "BOOL":
        return "true" if inner else "false"
    if tag == "NULL":
        return ""
    return _native_json(av).decode()


def csv_rows(items: list[dict[str, Any]], columns: list[str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for item in items:
        writer.writerow([csv_cell(item[c]) if c in item else "" for c in columns])
    return buffer.getvalue().encode()


def csv_header(columns: list[str]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(columns)
    return buffer.getvalue().encode()
