"""SAM's ``AWS::Serverless::SimpleTable``: a table with one partition key, brought to the
properties of an ``AWS::DynamoDB::Table`` so it takes the same path as every other table.

What SAM makes of it: ``PrimaryKey`` (``Name``, ``Type`` String|Number|Binary; without it the
key is ``id``, a String), ``ProvisionedThroughput`` (without it the table is on-demand),
``TableName``, ``Tags`` (a mapping of key to value) and ``SSESpecification``.
"""

from __future__ import annotations

from typing import Any

from dynaform.core.importers.common import Place
from dynaform.core.importers.shapes import (
    FLAG,
    TEXT,
    THROUGHPUT,
    Anything,
    Fields,
    OneOf,
    kind_of,
)

SIMPLE_TABLE = "AWS::Serverless::SimpleTable"
KEY_TYPES = {"String": "S", "Number": "N", "Binary": "B"}
DEFAULT_KEY = {"Name": "id", "Type": "String"}
PRIMARY_KEY = Fields({"Name": TEXT, "Type": OneOf(tuple(KEY_TYPES))}, required=("Name", "Type"))
SHAPE = Fields(
    {
        "PrimaryKey": PRIMARY_KEY,
        "ProvisionedThroughput": THROUGHPUT,
        "TableName": TEXT,
        "SSESpecification": Fields({"SSEEnabled": FLAG}),
        "Tags": Anything(),
    }
)
KNOWN = {"PrimaryKey", "ProvisionedThroughput", "TableName", "Tags", "SSESpecification"}


def table_properties(
    props: dict[str, Any], logical: str, place: Place, warnings: list[str]
) -> dict[str, Any]:
    """A SimpleTable's (resolved) properties -> the properties of the table SAM creates."""
    SHAPE.check(props, place)
    key = props.get("PrimaryKey") or DEFAULT_KEY
    table: dict[str, Any] = {
        "AttributeDefinitions": [
            {"AttributeName": key["Name"], "AttributeType": KEY_TYPES[key["Type"]]}
        ],
        "KeySchema": [{"AttributeName": key["Name"], "KeyType": "HASH"}],
    }
    if props.get("ProvisionedThroughput"):
        table["BillingMode"] = "PROVISIONED"
        table["ProvisionedThroughput"] = props["ProvisionedThroughput"]
    else:
        table["BillingMode"] = "PAY_PER_REQUEST"
    for name in ("TableName", "SSESpecification"):
        if props.get(name) is not None:
            table[name] = props[name]
    if props.get("Tags") is not None:
        table["Tags"] = _tags(props["Tags"], place.at("Tags"))
    for name in sorted(set(props) - KNOWN):
        warnings.append(f"{logical}: {name} is not supported and was left out")
    return table


def _tags(tags: Any, place: Place) -> list[dict[str, Any]]:
    """SAM writes a SimpleTable's tags as a mapping; a list of Key/Value is taken as is."""
    if isinstance(tags, list):
        return tags
    if not isinstance(tags, dict):
        raise place.error(f"expected a mapping of tag to value, found {kind_of(tags)}")
    return [{"Key": str(k), "Value": v} for k, v in tags.items()]
