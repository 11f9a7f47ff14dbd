"""The common path: a CreateTable request (CloudFormation's table properties nearly are one)
or a saved DescribeTable record -> a DescribeTable-shaped record -> ``live.normalize``, the
same path live tables take, so an import plans exactly like the table it describes."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dynaform.core.importers.common import Place, to_bool, unresolved_names
from dynaform.core.importers.shapes import (
    ATTRIBUTE,
    BILLING_MODE,
    FLAG,
    GSI,
    LSI,
    MAPPING,
    ON_DEMAND,
    STREAM_VIEW,
    TABLE_CLASS,
    TEXT,
    THROUGHPUT,
    Anything,
    Fields,
    KeySchema,
    ListOf,
    Shape,
)
from dynaform.core.live import normalize
from dynaform.core.model import TableSpec
from dynaform.core.source import Located
from dynaform.core.validate import check_name

KNOWN_PROPERTIES = {
    "TableName",
    "AttributeDefinitions",
    "KeySchema",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "BillingMode",
    "ProvisionedThroughput",
    "StreamSpecification",
    "SSESpecification",
    "TimeToLiveSpecification",
    "PointInTimeRecoverySpecification",
    "DeletionProtectionEnabled",
    "TableClass",
    "Tags",
    "OnDemandThroughput",
}

COMMON_FIELDS: dict[str, Shape] = {
    "TableName": TEXT,
    "AttributeDefinitions": ListOf(ATTRIBUTE),
    "KeySchema": KeySchema(),
    "GlobalSecondaryIndexes": ListOf(GSI),
    "LocalSecondaryIndexes": ListOf(LSI),
    "ProvisionedThroughput": THROUGHPUT,
    "OnDemandThroughput": ON_DEMAND,
    "StreamSpecification": Fields({"StreamEnabled": FLAG, "StreamViewType": STREAM_VIEW}),
    "DeletionProtectionEnabled": FLAG,
}
CREATE_TABLE = Fields(
    {
        **COMMON_FIELDS,
        "BillingMode": BILLING_MODE,
        "SSESpecification": Fields({"SSEEnabled": FLAG, "Enabled": FLAG, "KMSMasterKeyId": TEXT}),
        "TimeToLiveSpecification": Fields({"AttributeName": TEXT, "Enabled": FLAG}),
        "PointInTimeRecoverySpecification": Fields({"PointInTimeRecoveryEnabled": FLAG}),
        "TableClass": TABLE_CLASS,
        "Tags": ListOf(Fields({"Key": TEXT, "Value": Anything()}, required=("Key", "Value"))),
    }
)
DESCRIBE_TABLE = Fields(
    {
        **COMMON_FIELDS,
        "BillingModeSummary": Fields({"BillingMode": BILLING_MODE}),
        "SSEDescription": Fields({"Status": TEXT, "KMSMasterKeyArn": TEXT}),
        "TableClassSummary": Fields({"TableClass": TABLE_CLASS}),
    },
    required=("TableName", "KeySchema"),
)


def _default_place(logical: str, params: Any) -> Place:
    return Place(Located(Path(logical), params, {(): 0}))


def from_create_table(
    params: Any, logical: str, warnings: list[str], place: Place | None = None
) -> TableSpec:
    """CreateTable request (or CloudFormation properties) -> TableSpec."""
    place = place or _default_place(logical, params)
    MAPPING.check(params, place)
    if "KeySchema" not in params or "AttributeDefinitions" not in params:
        raise place.error("a table needs KeySchema and AttributeDefinitions")
    CREATE_TABLE.check(params, place)
    name = params.get("TableName")
    wrong = check_name("table", name) if isinstance(name, str) else None
    if wrong is not None:
        raise place.at("TableName").error(wrong)
    attributes = " ".join(str(a.get("AttributeName")) for a in params["AttributeDefinitions"])
    unknown = unresolved_names(attributes)
    if unknown:
        raise place.error(
            f"its key attribute comes from {unknown[0]}, which has no value here",
            hint=f"pass --param {unknown[0]}=VALUE if it is a parameter or variable, "
            "else write the key attribute literally",
        )
    for key in sorted(set(params) - KNOWN_PROPERTIES):
        warnings.append(f"{logical}: {key} is not supported and was left out")
    table = _describe_record(params, logical, warnings)
    tags = [{"Key": str(t["Key"]), "Value": str(t["Value"])} for t in params.get("Tags") or []]
    notes: list[str] = []
    spec = _normalized(place, table, _ttl(params), _backups(params), tags, notes)
    warnings += [note.replace(f"{spec.name}: ", f"{logical}: ", 1) for note in notes]
    return spec.model_copy(update={"logical_name": logical})


def from_describe_table(table: Any, place: Place) -> TableSpec:
    """A saved ``describe-table`` ``Table`` -> TableSpec."""
    DESCRIBE_TABLE.check(table, place)
    spec = _normalized(place, table, None, None, None)
    return spec.model_copy(update={"logical_name": table["TableName"]})


def _normalized(
    place: Place,
    table: dict[str, Any],
    ttl: dict[str, Any] | None,
    backups: dict[str, Any] | None,
    tags: list[dict[str, str]] | None,
    notes: list[str] | None = None,
) -> TableSpec:
    try:
        return normalize(table, ttl, backups, tags, notes).spec
    except (KeyError, StopIteration, TypeError, ValueError) as exc:
        raise place.error(f"cannot read its keys or indexes ({exc})") from exc


def _describe_record(
    params: Mapping[str, Any], logical: str, warnings: list[str]
) -> dict[str, Any]:
    billing = params.get("BillingMode") or "PROVISIONED"
    table: dict[str, Any] = {
        "TableName": params.get("TableName") or logical,
        "AttributeDefinitions": params["AttributeDefinitions"],
        "KeySchema": params["KeySchema"],
        "BillingModeSummary": {"BillingMode": billing},
        "ProvisionedThroughput": params.get("ProvisionedThroughput") or {},
        "GlobalSecondaryIndexes": [dict(g) for g in params.get("GlobalSecondaryIndexes") or []],
        "LocalSecondaryIndexes": params.get("LocalSecondaryIndexes") or [],
        "DeletionProtectionEnabled": to_bool(params.get("DeletionProtectionEnabled", False)),
    }
    if billing == "PROVISIONED":
        _default_capacity(table, logical, warnings)
    if params.get("OnDemandThroughput"):
        table["OnDemandThroughput"] = params["OnDemandThroughput"]
    if params.get("TableClass"):
        table["TableClassSummary"] = {"TableClass": params["TableClass"]}
    stream = params.get("StreamSpecification")
    if stream:
        table["StreamSpecification"] = {
            "StreamEnabled": to_bool(stream.get("StreamEnabled", True)),
            "StreamViewType": stream.get("StreamViewType"),
        }
    sse = params.get("SSESpecification")
    if sse and to_bool(sse.get("SSEEnabled", sse.get("Enabled", False))):
        key = sse.get("KMSMasterKeyId")
        table["SSEDescription"] = {
            "Status": "ENABLED",
            "SSEType": "KMS",
            **({"KMSMasterKeyArn": key} if key else {}),
        }
    return table


def _default_capacity(table: dict[str, Any], logical: str, warnings: list[str]) -> None:
    """Provisioned without capacity: 5/5 for the table, the table's for each index."""
    if not table["ProvisionedThroughput"]:
        warnings.append(f"{logical}: provisioned without ProvisionedThroughput; using 5/5")
        table["ProvisionedThroughput"] = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    for gsi in table["GlobalSecondaryIndexes"]:
        if not gsi.get("ProvisionedThroughput"):
            warnings.append(
                f"{logical}: index {gsi.get('IndexName')} has no capacity; it gets the table's"
            )
            gsi["ProvisionedThroughput"] = dict(table["ProvisionedThroughput"])


def _ttl(params: Mapping[str, Any]) -> dict[str, Any] | None:
    spec = params.get("TimeToLiveSpecification") or {}
    if not (to_bool(spec.get("Enabled", False)) and spec.get("AttributeName")):
        return None
    return {
        "TimeToLiveDescription": {
            "TimeToLiveStatus": "ENABLED",
            "AttributeName": spec["AttributeName"],
        }
    }


def _backups(params: Mapping[str, Any]) -> dict[str, Any]:
    pitr = params.get("PointInTimeRecoverySpecification") or {}
    enabled = to_bool(pitr.get("PointInTimeRecoveryEnabled", False))
    return {
        "ContinuousBackupsDescription": {
            "PointInTimeRecoveryDescription": {
                "PointInTimeRecoveryStatus": "ENABLED" if enabled else "DISABLED"
            }
        }
    }
