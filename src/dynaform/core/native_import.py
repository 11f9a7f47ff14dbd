"""The ImportTable request for a declared table (pure).

ImportTable creates the table itself and takes only part of what CreateTable takes: key
schema, attribute definitions, billing, global indexes and encryption. Local secondary indexes
can only exist from a table's creation, so a table declaring them cannot be imported natively.
What ImportTable cannot set (TTL, point-in-time recovery, streams, tags, table class,
deletion protection) is named, for ``dynaform apply`` to converge afterwards.
"""

from __future__ import annotations

from typing import Any

from dynaform.core.capabilities import Capabilities
from dynaform.core.model import TableSpec
from dynaform.core.operations import create_table_params

CREATION_KEYS = (
    "TableName",
    "AttributeDefinitions",
    "KeySchema",
    "BillingMode",
    "ProvisionedThroughput",
    "OnDemandThroughput",
    "SSESpecification",
    "GlobalSecondaryIndexes",
)
INPUT_FORMATS = {"ddb-json": "DYNAMODB_JSON", "csv": "CSV", "ion": "ION"}


class NativeImportRefusedError(ValueError):
    """The declared table cannot be created by ImportTable."""


def creation_parameters(spec: TableSpec, caps: Capabilities) -> dict[str, Any]:
    """TableCreationParameters built from the declared table."""
    if spec.lsis:
        raise NativeImportRefusedError(
            f"{spec.logical_name} declares local secondary indexes, which ImportTable cannot "
            "create (and no table can add later)"
        )
    params = create_table_params(spec, caps)
    return {key: params[key] for key in CREATION_KEYS if key in params}


def left_for_apply(spec: TableSpec) -> list[str]:
    """Declared settings ImportTable does not set: `dynaform apply` adds them afterwards."""
    left = []
    if spec.ttl:
        left.append("time to live")
    if spec.pitr:
        left.append("point-in-time recovery")
    if spec.stream:
        left.append("stream")
    if spec.tags:
        left.append("tags")
    if spec.table_class != "STANDARD":
        left.append("table class")
    if spec.deletion_protection:
        left.append("deletion protection")
    return left


def compression_of(keys: list[str]) -> str:
    """GZIP when every data object is .gz, ZSTD when every one is .zst, NONE when none is."""
    kinds = {
        "GZIP" if k.endswith(".gz") else "ZSTD" if k.endswith(".zst") else "NONE" for k in keys
    }
    if len(kinds) != 1:
        raise NativeImportRefusedError(
            "the objects under the prefix mix compressions; ImportTable takes one for all"
        )
    return kinds.pop()


def input_format(fmt: str | None, keys: list[str]) -> str:
    """The InputFormat for ``--format`` (ddb-json, csv, ion), or guessed from the object names."""
    if fmt is None:
        fmt = "csv" if all(".csv" in k for k in keys) else "ddb-json"
        fmt = "ion" if all(".ion" in k for k in keys) else fmt
    if fmt not in INPUT_FORMATS:
        raise NativeImportRefusedError(
            f"ImportTable reads ddb-json, csv or ion, not {fmt} (import JSON lines without --via)"
        )
    return INPUT_FORMATS[fmt]
