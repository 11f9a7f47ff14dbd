"""export / import / copy / count / clear, resumable through checkpoints: the data plane's
operations in one namespace. Each lives in its own module:

- ``export.py``: ``export_table`` (parallel scan to a file or a folder, atomic join)
- ``importer.py``: ``import_files`` and the file sources
- ``transfer.py``: ``copy_table``, ``write_records``, ``count_items``, ``clear_table``
- ``table.py``: ``describe``, ``key_schema``; ``checks.py``: item checks
"""

from __future__ import annotations

from dynaform.data.checks import check_item, item_problem
from dynaform.data.errors import (
    DataError,
    EndpointUnreachableError,
    RunStoppedError,
    WriteStalledError,
)
from dynaform.data.export import ExportResult, export_table
from dynaform.data.importer import ImportResult, Source, import_files, sources_for, validate_sources
from dynaform.data.table import KEY_TYPES, describe, key_schema
from dynaform.data.transfer import (
    CopyResult,
    clear_table,
    copy_table,
    count_items,
    load_transform,
    summary,
    write_records,
)

__all__ = [
    "KEY_TYPES",
    "CopyResult",
    "DataError",
    "EndpointUnreachableError",
    "ExportResult",
    "ImportResult",
    "RunStoppedError",
    "Source",
    "WriteStalledError",
    "check_item",
    "clear_table",
    "copy_table",
    "count_items",
    "describe",
    "export_table",
    "import_files",
    "item_problem",
    "key_schema",
    "load_transform",
    "sources_for",
    "summary",
    "validate_sources",
    "write_records",
]
