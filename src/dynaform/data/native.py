"""DynamoDB's own engine for tables bigger than one machine: ExportTableToPointInTime into S3
(full, or incremental over a time window), waited for and optionally downloaded into the files
the data plane reads, and ImportTable from S3 into a new table, verified by count.

A native export reads no capacity (it works from the point-in-time-recovery backup, billed per
GB); the download keeps AWS's layout (``manifest-files.json`` and ``data/*.json.gz``), which
``data import`` reads as it is. An incremental export's lines hold ``Keys`` and ``NewImage``
(and ``OldImage``); the download turns each written item's ``NewImage`` into an ``{"Item": ...}``
line, so importing it upserts the changes, and lists deleted items' keys in
``deleted-keys.jsonl``, which no import applies.
"""

from __future__ import annotations

import gzip
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from dynaform.aws import s3 as s3io
from dynaform.data import checkpoint
from dynaform.data.errors import DataError

Waiting = Callable[[dict[str, Any], float], None]
DONE = {"COMPLETED", "FAILED", "CANCELLED"}


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str  # without a leading "/", may be empty

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    @property
    def folder(self) -> str:
        """The prefix as a folder: ``in/orders`` must not take ``in/orders-old/``'s objects."""
        return self.prefix if not self.prefix or self.prefix.endswith("/") else self.prefix + "/"

    @property
    def folder_url(self) -> str:
        return f"s3://{self.bucket}/{self.folder}"


def parse_s3_url(text: str) -> S3Location:
    match = re.fullmatch(r"s3://([a-z0-9][a-z0-9.\-]{1,61}[a-z0-9])(?:/(.*))?", text.strip())
    if not match:
        raise DataError(
            f"--via {text!r} is not an S3 address", hint="e.g. --via s3://my-bucket/exports/orders"
        )
    return S3Location(match[1], (match[2] or "").lstrip("/"))


def pitr_enabled(client: Any, table: str) -> bool:
    answer = client.describe_continuous_backups(TableName=table)
    recovery = answer["ContinuousBackupsDescription"].get("PointInTimeRecoveryDescription", {})
    return bool(recovery.get("PointInTimeRecoveryStatus") == "ENABLED")


def start_export(
    client: Any,
    table: str,
    where: S3Location,
    window: tuple[datetime, datetime] | None = None,
    view: str = "NEW_IMAGE",
) -> dict[str, Any]:
    """ExportTableToPointInTime: the whole table now, or what changed within ``window``."""
    arn = client.describe_table(TableName=table)["Table"]["TableArn"]
    request: dict[str, Any] = {
        "TableArn": arn,
        "S3Bucket": where.bucket,
        "ExportFormat": "DYNAMODB_JSON",
        "ExportType": "FULL_EXPORT",
    }
    if where.prefix:
        request["S3Prefix"] = where.prefix.rstrip("/")
    if window is not None:
        request["ExportType"] = "INCREMENTAL_EXPORT"
        request["IncrementalExportSpecification"] = {
            "ExportFromTime": window[0],
            "ExportToTime": window[1],
            "ExportViewType": view,
        }
    return dict(client.export_table_to_point_in_time(**request)["ExportDescription"])


def _wait(
    describe: Callable[[], dict[str, Any]], status_key: str, on_wait: Waiting
) -> dict[str, Any]:
    """Poll until the job ends: every second at first, then up to every 15 seconds."""
    began = time.monotonic()
    while True:
        description = describe()
        elapsed = time.monotonic() - began
        on_wait(description, elapsed)
        if description.get(status_key) in DONE:
            return description
        time.sleep(min(15.0, 1.0 + elapsed / 10))


def describe_export(client: Any, arn: str) -> dict[str, Any]:
    return dict(client.describe_export(ExportArn=arn)["ExportDescription"])


def wait_export(client: Any, arn: str, on_wait: Waiting) -> dict[str, Any]:
    description = _wait(
        lambda: describe_export(client, arn),
        "ExportStatus",
        on_wait,
    )
    if description["ExportStatus"] != "COMPLETED":
        why = [str(description.get(k) or "") for k in ("FailureCode", "FailureMessage")]
        raise DataError(
            f"the export {arn} ended {description['ExportStatus']}: {' '.join(why).strip()}",
            hint="check the bucket's name, region and policy (DynamoDB must be allowed to write)",
        )
    return description


def check_started(description: dict[str, Any], where: S3Location, table: str) -> None:
    """An export waited for by its ARN is one of ``table``, written where --via says: its
    files are looked for there, and another export's files must never be taken for its own."""
    exported = str(description.get("TableArn") or "").rsplit("/", 1)[-1]
    if exported and exported != table:
        raise DataError(
            f"the export {description.get('ExportArn')} is an export of {exported}, not {table}",
            hint=f"name the table it exported: `dynaform data export {exported} --via ...`",
        )
    bucket = str(description.get("S3Bucket") or where.bucket)
    prefix = str(description.get("S3Prefix") or "").strip("/")
    if (bucket, prefix) != (where.bucket, where.prefix.strip("/")):
        written = S3Location(bucket, prefix).url
        raise DataError(
            f"the export {description.get('ExportArn')} was written to {written}, not {where.url}",
            hint=f"give --via {written}",
        )


# --- finding and downloading an export's files ------------------------------------------


def _base(where: S3Location) -> str:
    prefix = where.prefix.rstrip("/")
    return f"{prefix}/AWSDynamoDB/" if prefix else "AWSDynamoDB/"


def export_data_keys(s3: Any, description: dict[str, Any], where: S3Location) -> list[str]:
    """The data objects of an export, from its manifest when it has one (AWS), otherwise the
    objects in its ``data/`` folder (an emulator that writes no manifest)."""
    manifest = description.get("ExportManifest")
    if manifest:
        folder = manifest.rsplit("/", 1)[0]
        listing = s3io.read_object(s3, where.bucket, f"{folder}/manifest-files.json")
        return [
            str(orjson.loads(line)["dataFileS3Key"])
            for line in listing.splitlines()
            if line.strip()
        ]
    export_id = str(description["ExportArn"]).rsplit("/", 1)[-1]
    base = _base(where)
    keys = [k for k, _ in s3io.list_keys(s3, where.bucket, f"{base}{export_id}/data/")]
    if keys:
        return keys
    folders: dict[str, list[str]] = {}
    for key, _ in s3io.list_keys(s3, where.bucket, base):
        folder, _, rest = key[len(base) :].partition("/")
        if rest.startswith("data/"):
            folders.setdefault(folder, []).append(key)
    if len(folders) != 1:
        raise DataError(
            f"cannot tell the export's files apart under {where.url}: no manifest and "
            f"{len(folders)} export folder(s)",
            hint="give each export its own prefix",
        )
    return folders.popitem()[1]


@dataclass
class Download:
    folder: Path
    files: list[Path] = field(default_factory=list)
    bytes: int = 0
    items: int | None = None  # counted for incremental exports
    deleted: int = 0


def _local_name(key: str) -> str:
    name = key.rsplit("/", 1)[-1]
    return name if name.endswith(".json.gz") else f"{name.removesuffix('.gz')}.json.gz"


def _incremental(s3: Any, bucket: str, key: str, target: Path, deleted: Any) -> tuple[int, int]:
    """Changes -> ``{"Item": NewImage}`` lines; deletions' keys to ``deleted``."""
    items = gone = 0
    body = s3io.stream_object(s3, bucket, key)
    tmp = target.with_name(target.name + ".downloading")
    try:
        with gzip.GzipFile(fileobj=body) as changes, gzip.open(tmp, "wb") as out:
            for line in changes:
                if not line.strip():
                    continue
                change = orjson.loads(line)
                image = change.get("NewImage") or change.get("Item")  # Item: a full export's
                if image:
                    out.write(orjson.dumps({"Item": image}) + b"\n")
                    items += 1
                else:
                    deleted.write(orjson.dumps({"Keys": change.get("Keys", {})}) + b"\n")
                    gone += 1
    finally:
        body.close()
    tmp.replace(target)
    return items, gone


def download_export(
    s3: Any, description: dict[str, Any], where: S3Location, folder: Path
) -> Download:
    """The export's files into ``folder`` (data/*.json.gz and manifest-files.json, written
    last); files already downloaded whole are kept, so a stopped download runs again."""
    _claim(folder, description)
    keys = export_data_keys(s3, description, where)
    incremental = description.get("ExportType") == "INCREMENTAL_EXPORT"
    result = Download(folder, items=0 if incremental else None)
    deleted = (folder / "deleted-keys.jsonl").open("wb") if incremental else None
    try:
        for key in keys:
            target = folder / "data" / _local_name(key)
            if deleted is not None:
                items, gone = _incremental(s3, where.bucket, key, target, deleted)
                result.items = (result.items or 0) + items
                result.deleted += gone
            elif not target.exists():
                s3io.download(s3, where.bucket, key, target)
            result.files.append(target)
            result.bytes += target.stat().st_size
    finally:
        if deleted is not None:
            deleted.close()
    listing = b"".join(
        orjson.dumps({"dataFileS3Key": f"data/{p.name}"}) + b"\n" for p in result.files
    )
    (folder / "manifest-files.json").write_bytes(listing)
    checkpoint.fsync_dir(folder)
    return result


def check_download(folder: Path, export_arn: str | None) -> None:
    """``folder`` is new, empty, or holds the download of ``export_arn`` (run again to finish
    it; a new export, None, has none yet); another export's files are never mixed in. Checked
    before an export starts (it is billed, and may take hours) and again before downloading."""
    if folder.exists() and not folder.is_dir():
        raise DataError(f"--download {folder} is a file", hint="name a new folder")
    if not folder.is_dir() or not any(folder.iterdir()):
        return
    summary_path = folder / "manifest-summary.json"
    try:
        recorded = orjson.loads(summary_path.read_bytes()) if summary_path.is_file() else {}
    except orjson.JSONDecodeError:
        recorded = {}
    arn = recorded.get("ExportArn") if isinstance(recorded, dict) else None
    if export_arn is None or arn != export_arn:
        raise DataError(
            f"{folder} already holds other files" + (f" (the export {arn})" if arn else ""),
            hint="download into a new folder"
            + (f", or finish that export's download with --export-arn {arn}" if arn else ""),
        )


def _claim(folder: Path, description: dict[str, Any]) -> None:
    """``folder`` checked (``check_download``) and marked as this export's download."""
    check_download(folder, str(description["ExportArn"]))
    summary_path = folder / "manifest-summary.json"
    (folder / "data").mkdir(parents=True, exist_ok=True)
    summary = {k: description.get(k) for k in ("ExportArn", "ExportType", "ItemCount", "TableArn")}
    checkpoint.save(summary_path, summary, durable=True)


# --- import ---------------------------------------------------------------------------------


def table_exists(client: Any, table: str) -> bool:
    try:
        client.describe_table(TableName=table)
    except client.exceptions.ResourceNotFoundException:
        return False
    return True


def import_keys(s3: Any, where: S3Location) -> list[str]:
    """The objects ImportTable would read under the prefix; manifests are refused."""
    keys = [key for key, _ in s3io.list_keys(s3, where.bucket, where.folder)]
    if not keys:
        raise DataError(f"nothing to import: no object under {where.folder_url}")
    manifests = [k for k in keys if Path(k).name.startswith("manifest-")]
    if manifests:
        raise DataError(
            f"{where.folder_url} holds an export's manifests ({manifests[0]}), which "
            "ImportTable would read as data",
            hint="point --via at the export's data folder: .../AWSDynamoDB/<ExportId>/data/",
        )
    return keys


def start_import(
    client: Any, where: S3Location, params: dict[str, Any], fmt: str, compression: str
) -> dict[str, Any]:
    source = {"S3Bucket": where.bucket}
    if where.folder:
        source["S3KeyPrefix"] = where.folder
    answer = client.import_table(
        S3BucketSource=source,
        InputFormat=fmt,
        InputCompressionType=compression,
        TableCreationParameters=params,
    )
    return dict(answer["ImportTableDescription"])


def wait_import(client: Any, arn: str, on_wait: Waiting) -> dict[str, Any]:
    return _wait(
        lambda: dict(client.describe_import(ImportArn=arn)["ImportTableDescription"]),
        "ImportStatus",
        on_wait,
    )


def check_import(description: dict[str, Any], counted: int, table: str) -> None:
    """The import ended COMPLETED, without errors, and the table holds what it imported."""
    status = description.get("ImportStatus")
    imported = int(description.get("ImportedItemCount", 0))
    processed = int(description.get("ProcessedItemCount", 0))
    errors = int(description.get("ErrorCount", 0))
    if status != "COMPLETED" or errors or counted != imported:
        failure = description.get("FailureMessage") or description.get("FailureCode") or ""
        raise DataError(
            f"the import into {table} ended {status}: {imported:,} of {processed:,} item(s) "
            f"imported, {errors:,} error(s), the table holds {counted:,}"
            + (f" ({failure})" if failure else ""),
            hint="ImportTable logs each rejected item to CloudWatch Logs "
            "(log group /aws-dynamodb/imports); fix them, delete the table, and import again",
        )
