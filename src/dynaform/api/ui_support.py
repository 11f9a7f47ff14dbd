"""What ``dynaform ui`` needs besides single items, through the one door:

- ``declared_layouts(table)``: the entities the project declares for a table (``entities:``
  in dynaform.yaml), with their type names, fields and key layouts, so the browser groups,
  filters and shows columns by entity type as the application writes them.
- ``csv_export(table, batches)``: items as the data plane's CSV export writes them: one
  header, the columns of every item (keys first, then every other name sorted), cells by the
  data plane's own writer. The items are spooled to a temporary file first, because the
  header needs every item's attributes.
- ``ImportJobs``: a file uploaded to the UI imported by the data plane
  (``dynaform.api.data.import_items``) in a background thread, with progress to poll and the
  rejected items (what DynamoDB would refuse) reported at the end.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from dynaform.api.data import data_table, import_items, parse_type_map
from dynaform.errors import DynaformError

if TYPE_CHECKING:
    from dynaform.api.items import ItemTable, WireItem

TYPE_ATTRIBUTE = "_type"  # what declared entities write on every item
CSV_BATCH = 1000
MAX_REJECTS_SHOWN = 50


@dataclass(frozen=True)
class EntityLayout:
    """One declared entity of a table: its ``_type``, fields and key templates."""

    type_name: str
    class_name: str
    fields: tuple[str, ...]
    keys: tuple[str, ...]  # "PK = USER#{user_id}", "SK = PROFILE", "GSI1PK = ..." ...

    @property
    def summary(self) -> str:
        return f"{self.class_name}: " + ", ".join(self.keys)


def declared_layouts(table: ItemTable) -> list[EntityLayout]:
    """The project's declared entities of ``table`` (none without a project or entities)."""
    binding = table.binding
    project = binding.project
    spec = binding.spec(table.name)
    if project is None or spec is None or not project.raw.entities:
        return []
    from dynaform.entities.declared import declared_entities

    layouts = []
    for cls in declared_entities(project):
        b = cls.binding()
        if b.table != spec.logical_name:
            continue
        keys = [f"{b.pk_attribute} = {b.pk.text}"]
        if b.sk is not None and b.sk_attribute:
            keys.append(f"{b.sk_attribute} = {b.sk.text}")
        for index in b.indexes.values():
            keys.append(f"{index.pk_attribute} = {index.pk.text}")
            if index.sk is not None and index.sk_attribute:
                keys.append(f"{index.sk_attribute} = {index.sk.text}")
        layouts.append(
            EntityLayout(b.type_name, cls.__name__, tuple(cls.model_fields), tuple(keys))
        )
    return layouts


def csv_export(table: ItemTable, batches: Iterable[list[WireItem]]) -> Iterator[bytes]:
    """CSV of the items (wire form), exactly as ``dynaform data export --format csv``."""
    import orjson

    from dynaform.data import files
    from dynaform.data.export import csv_columns

    with tempfile.TemporaryFile() as spool:
        names: set[str] = set()
        for batch in batches:
            for item in batch:
                names.update(item)
            spool.write(files.encode_lines(batch, "ddb-json"))
        keys = list(table.schema.key.names)
        columns = csv_columns({"columns": None, "keys": keys, "names": sorted(names)})
        yield files.csv_header(columns)
        spool.seek(0)
        batch = []
        for line in spool:
            batch.append(orjson.loads(line)["Item"])
            if len(batch) == CSV_BATCH:
                yield files.csv_rows(batch, columns)
                batch = []
        if batch:
            yield files.csv_rows(batch, columns)


@dataclass
class ImportJob:
    """One upload being imported; read by the page that polls it."""

    id: str
    table: str
    file_name: str
    state: str = "checking"  # checking -> writing -> done | failed
    total: int | None = None
    done: int = 0
    written: int = 0
    rejected: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    rejects: list[dict[str, Any]] = field(default_factory=list)  # Source, Error, Item
    error: str | None = None
    hint: str | None = None
    seconds: float = 0.0

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")

    @property
    def percent(self) -> int:
        if self.state == "done":
            return 100
        return int(100 * self.done / self.total) if self.total else 0


def _upload_name(name: str) -> str:
    """The uploaded file's name, kept for its suffix (``.csv``, ``.gz``) and nothing else."""
    safe = "".join(c for c in Path(name or "upload").name if c.isalnum() or c in "._-")
    return safe.lstrip(".") or "upload"


@dataclass
class ImportJobs:
    """The UI's imports, each in its own thread, kept by id for the page that polls them."""

    _jobs: dict[str, ImportJob] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, job_id: str) -> ImportJob | None:
        with self._lock:
            return self._jobs.get(job_id)

    def start(
        self, table: ItemTable, upload: IO[bytes], file_name: str, fmt: str, types: str
    ) -> ImportJob:
        """Save the upload to a private folder and import it in the background. The caller
        has checked that the table may be written."""
        type_map = parse_type_map(types or None)  # a bad --types text fails here, at once
        folder = Path(tempfile.mkdtemp(prefix="dynaform-ui-import-"))
        path = folder / _upload_name(file_name)
        with path.open("wb") as out:
            shutil.copyfileobj(upload, out)
        job = ImportJob(uuid.uuid4().hex, table.name, file_name)
        with self._lock:
            self._jobs[job.id] = job
        options = {"fmt": fmt or None, "types": type_map}
        thread = threading.Thread(
            target=_run, args=(job, table, path, options), name=f"import-{job.id[:8]}", daemon=True
        )
        thread.start()
        return job


def _run(job: ImportJob, table: ItemTable, path: Path, options: dict[str, Any]) -> None:
    began = time.monotonic()

    def on_total(total: int) -> None:
        job.total, job.state = total, "writing"

    def progress(count: int) -> None:
        job.done += count

    try:
        target = data_table(table.binding, table.name)
        result = import_items(target, [path], progress=progress, on_total=on_total, **options)
        job.written, job.rejected = result.stats.items, result.stats.rejected
        job.reasons = dict(result.stats.reasons)
        if result.rejects is not None:
            job.rejects = _read_rejects(result.rejects)
        job.state = "done"
    except DynaformError as exc:
        job.error, job.hint, job.state = exc.message, exc.hint, "failed"
    except Exception as exc:  # a thread must not die silently: the page shows why
        job.error, job.state = f"the import stopped: {exc}", "failed"
    finally:
        job.seconds = time.monotonic() - began
        shutil.rmtree(path.parent, ignore_errors=True)


def _read_rejects(path: Path) -> list[dict[str, Any]]:
    import orjson

    shown: list[dict[str, Any]] = []
    folder = f"{path.parent}/"
    with path.open("rb") as stream:
        for line in stream:
            if line.strip() and len(shown) < MAX_REJECTS_SHOWN:
                record = orjson.loads(line)
                record["Source"] = str(record.get("Source", "")).replace(folder, "")
                shown.append(record)
    return shown
