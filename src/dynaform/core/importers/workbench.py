"""NoSQL Workbench data models (v1 ``TableFacets``, v3 ``TableData``): tables, and their
sample items as seed data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dynaform.core.importers.common import Imported, Place, SourceFormatError, read_document
from dynaform.core.importers.create_table import from_create_table
from dynaform.core.importers.shapes import (
    ATTRIBUTE_TYPE,
    BILLING_MODE,
    MAPPING,
    PROJECTION,
    TEXT,
    THROUGHPUT,
    Fields,
    ListOf,
)

_KEY = Fields({"AttributeName": TEXT, "AttributeType": ATTRIBUTE_TYPE}, required=("AttributeName",))
_KEYS = Fields({"PartitionKey": _KEY, "SortKey": _KEY}, required=("PartitionKey",))
_ITEMS = ListOf(MAPPING)
WORKBENCH_TABLE = Fields(
    {
        "TableName": TEXT,
        "KeyAttributes": _KEYS,
        "NonKeyAttributes": ListOf(
            Fields(
                {"AttributeName": TEXT, "AttributeType": TEXT},
                required=("AttributeName", "AttributeType"),
            )
        ),
        "GlobalSecondaryIndexes": ListOf(
            Fields(
                {"IndexName": TEXT, "KeyAttributes": _KEYS, "Projection": PROJECTION},
                required=("IndexName", "KeyAttributes"),
            )
        ),
        "BillingMode": BILLING_MODE,
        "ProvisionedCapacitySettings": Fields({"ProvisionedThroughput": THROUGHPUT}),
        "TableData": _ITEMS,
        "TableFacets": ListOf(Fields({"TableData": _ITEMS})),
    },
    required=("TableName", "KeyAttributes"),
)
WORKBENCH_MODEL = Fields({"DataModel": ListOf(WORKBENCH_TABLE)})


def _key_schema(keys: Mapping[str, Any]) -> list[dict[str, str]]:
    """Workbench's {PartitionKey: {...}, SortKey: {...}} as a KeySchema."""
    schema = [{"AttributeName": keys["PartitionKey"]["AttributeName"], "KeyType": "HASH"}]
    if keys.get("SortKey"):
        schema.append({"AttributeName": keys["SortKey"]["AttributeName"], "KeyType": "RANGE"})
    return schema


def _key_types(keys: Mapping[str, Any]) -> dict[str, str]:
    return {
        key["AttributeName"]: key.get("AttributeType", "S")
        for key in (keys.get("PartitionKey"), keys.get("SortKey"))
        if key
    }


def _create_table(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A checked DataModel entry as a CreateTable request."""
    attributes = _key_types(entry["KeyAttributes"])
    for extra in entry.get("NonKeyAttributes") or []:
        attributes.setdefault(extra["AttributeName"], extra["AttributeType"])
    gsis = []
    for gsi in entry.get("GlobalSecondaryIndexes") or []:
        gsis.append(
            {
                "IndexName": gsi["IndexName"],
                "KeySchema": _key_schema(gsi["KeyAttributes"]),
                "Projection": gsi.get("Projection") or {"ProjectionType": "ALL"},
            }
        )
        for name, kind in _key_types(gsi["KeyAttributes"]).items():
            attributes.setdefault(name, kind)
    params: dict[str, Any] = {
        "TableName": entry["TableName"],
        "KeySchema": _key_schema(entry["KeyAttributes"]),
        "BillingMode": entry.get("BillingMode") or "PAY_PER_REQUEST",
        "GlobalSecondaryIndexes": gsis,
    }
    if params["BillingMode"] == "PROVISIONED":
        settings = entry.get("ProvisionedCapacitySettings") or {}
        params["ProvisionedThroughput"] = settings.get("ProvisionedThroughput") or {
            "ReadCapacityUnits": 5,
            "WriteCapacityUnits": 5,
        }
    used = {k["AttributeName"] for k in params["KeySchema"]} | {
        k["AttributeName"] for g in gsis for k in g["KeySchema"]
    }
    params["AttributeDefinitions"] = [
        {"AttributeName": n, "AttributeType": t} for n, t in attributes.items() if n in used
    ]
    return params


def import_workbench(text: str | bytes, source: str) -> Imported:
    doc = read_document(text, source)
    root = Place(doc)
    WORKBENCH_MODEL.check(doc.data, root)
    result = Imported()
    for index, entry in enumerate(doc.data.get("DataModel") or []):
        name = entry["TableName"]
        place = root.at("DataModel", index)
        params = _create_table(entry)
        result.tables.append(from_create_table(params, name, result.warnings, place))
        items = list(entry.get("TableData") or [])
        for facet in entry.get("TableFacets") or []:
            items.extend(facet.get("TableData") or [])
        if items:
            result.seed_items[name] = items
    if not result.tables:
        raise SourceFormatError(f"{source}: no DataModel tables found")
    return result
