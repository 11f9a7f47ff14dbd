"""The data plane through the one door: tables named by logical or physical name, the
protection that follows the physical table, and errors translated at the boundary."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dynaform.api.binding import Binding, Protection, translated

if TYPE_CHECKING:
    from dynaform.data.wire import WireClient


@dataclass
class DataTable:
    binding: Binding
    name: str  # physical
    protection: Protection | None

    def wire(self) -> WireClient:
        return self.binding.wire()

    @property
    def target(self) -> str:
        return self.binding.connection().target


def data_table(binding: Binding, name: str) -> DataTable:
    """TABLE as typed: a logical name of the bound environment, or a physical name; the
    protection is that of whichever protected environment owns the physical table."""
    physical = binding.physical(name)
    return DataTable(binding, physical, binding.protection([physical]))


def approximate_count(table: DataTable) -> int | None:
    """DescribeTable's item count (refreshed about every six hours on AWS)."""
    from dynaform.data import ops

    with translated(table.target):
        return int(ops.describe(table.wire(), table.name).get("ItemCount", 0)) or None


def export_items(table: DataTable, out_path: Path, **options: Any) -> Any:
    from dynaform.data import ops

    with translated(table.target):
        return ops.export_table(table.wire(), table.name, out_path, **options)


def import_items(table: DataTable, paths: list[Path], **options: Any) -> Any:
    from dynaform.data import ops

    with translated(table.target):
        return ops.import_files(table.wire(), table.name, paths, **options)


def import_postgres(table: DataTable, dsn: str, query: str, **options: Any) -> Any:
    """A PostgreSQL query's rows into ``table`` (``data import TABLE postgresql://...``)."""
    from dynaform.data import postgres

    with translated(table.target):
        return postgres.import_query(table.wire(), table.name, dsn, query, **options)


def order_warning(query: str) -> str | None:
    """A warning for a PostgreSQL query without ORDER BY (resume needs a stable order)."""
    from dynaform.data import postgres

    return postgres.order_warning(query)


def is_postgres(source: str) -> bool:
    return source.startswith(("postgresql://", "postgres://"))


def parse_columns(text: str | None) -> Any:
    from dynaform.data import postgres

    return postgres.parse_columns(text)


def copy_items(source: DataTable, target: DataTable, **options: Any) -> Any:
    from dynaform.data import ops

    with translated(target.target):
        return ops.copy_table(source.wire(), source.name, target.wire(), target.name, **options)


def count_items(table: DataTable, segments: int = 4) -> tuple[int, int | None]:
    """The exact count (a COUNT scan) and DescribeTable's count."""
    from dynaform.data import ops

    with translated(table.target):
        approx = ops.describe(table.wire(), table.name).get("ItemCount")
        return ops.count_items(table.wire(), table.name, segments), approx


def clear_items(table: DataTable, **options: Any) -> Any:
    from dynaform.data import ops

    with translated(table.target):
        return ops.clear_table(table.wire(), table.name, **options)


def load_transform(spec: str, project_dir: Path | None = None) -> Any:
    """``module:function``; the project folder is on the import path, as for generators and
    migrations, so `--transform scrub:run` finds scrub.py next to dynaform.yaml."""
    import sys

    from dynaform.data import ops

    folder = str((project_dir or Path.cwd()).resolve())
    if folder not in sys.path:
        sys.path.insert(0, folder)
    return ops.load_transform(spec)


def summary(stats: Any, seconds: float) -> dict[str, Any]:
    from dynaform.data import ops

    return ops.summary(stats, seconds)


def parse_type_map(text: str | None) -> Any:
    from dynaform.data import files

    return files.parse_type_map(text)


def data_formats() -> tuple[str, ...]:
    from dynaform.data import files

    return tuple(files.FORMATS)


# --- sharded runs (--worker i/n, export --merge) ----------------------------------------


def parse_worker(text: str, segments: int | None = None) -> Any:
    """``--worker i/n`` checked (1 <= i <= n; with a scan, n <= segments)."""
    from dynaform.data import shard

    with translated("--worker"):
        return shard.parse_worker(text, segments)


def describe_share(worker: Any, segments: int) -> str:
    from dynaform.data import shard

    return shard.describe_share(worker, segments)


def worker_folder(out: Path, worker: Any) -> Path:
    from dynaform.data import shard

    with translated("--out"):
        return shard.worker_folder(out, worker)


def merge_exports(table: DataTable, out: Path) -> Any:
    """The worker folders in ``out`` joined into one export of ``table``."""
    from dynaform.data import shard
    from dynaform.data.errors import DataError

    with translated(str(out)):
        manifests = sorted(out.glob("worker-*-of-*/manifest.json")) if out.is_dir() else []
        for path in manifests:
            recorded = shard.read_manifest(path)["table"]
            if recorded != table.name:
                raise DataError(
                    f"{path.parent.name} is an export of {recorded}, not {table.name}",
                    hint="merge with the table the workers exported",
                )
        return shard.merge_exports(out)
