"""Typed operations: what a plan shows and the DynamoDB requests that carry it out (pure).

The comparison (``compare.py``) emits one ``Operation`` per changed aspect of a table. An
operation carries its description (field, before, after, reason) and its ``Step``s, one
DynamoDB call each with the phase that orders it among the table's other calls. Rendering
reads the description, execution runs the steps: nothing is compared twice, and a saved plan
is the serialized operations (``planfile.py``), checked against ``ALLOWED`` when read back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from dynaform.core.capabilities import Capabilities
from dynaform.core.model import Billing, Gsi, KeyAttr, Lsi, Projection, Sse, TableSpec
from dynaform.core.text import gsi_text

Wait = Literal["ready", "gone", "none"]

OpType = Literal[
    "create_table",
    "delete_table",
    "rebuild_table",
    "resume_rebuild",
    "set_deletion_protection",
    "set_billing",
    "set_table_class",
    "delete_index",
    "create_index",
    "rebuild_index",
    "set_index_capacity",
    "set_stream",
    "set_encryption",
    "set_ttl",
    "set_pitr",
    "set_tags",
]

# The only DynamoDB calls each operation type may make: a plan file can ask for nothing else.
ALLOWED: dict[str, frozenset[str]] = {
    "create_table": frozenset({"CreateTable", "UpdateTimeToLive", "UpdateContinuousBackups"}),
    "delete_table": frozenset({"DeleteTable"}),
    "rebuild_table": frozenset(),  # done by the data plane, never by plain requests
    "resume_rebuild": frozenset(),
    "set_deletion_protection": frozenset({"UpdateTable"}),
    "set_billing": frozenset({"UpdateTable"}),
    "set_table_class": frozenset({"UpdateTable"}),
    "delete_index": frozenset({"UpdateTable"}),
    "create_index": frozenset({"UpdateTable"}),
    "rebuild_index": frozenset({"UpdateTable"}),
    "set_index_capacity": frozenset({"UpdateTable"}),
    "set_stream": frozenset({"UpdateTable"}),
    "set_encryption": frozenset({"UpdateTable"}),
    "set_ttl": frozenset({"UpdateTimeToLive"}),
    "set_pitr": frozenset({"UpdateContinuousBackups"}),
    "set_tags": frozenset({"TagResource", "UntagResource"}),
}

# Phases order a table's calls: protection off first, index deletes before creates, stream
# off before on, TTL off before on, protection on last.
PROTECTION_OFF, BILLING, TABLE_CLASS, INDEX_DELETE, INDEX_CREATE, INDEX_CAPACITY = range(6)
STREAM_OFF, STREAM_ON, ENCRYPTION, TTL_OFF, TTL_ON, PITR, TAG, UNTAG, PROTECTION_ON = range(6, 15)


@dataclass(frozen=True)
class Step:
    """One DynamoDB call."""

    table: str
    operation: str  # the DynamoDB API operation
    params: dict[str, Any]
    action: str  # what a person reads
    wait: Wait = "ready"
    needs_arn: bool = False  # TagResource/UntagResource: ResourceArn filled in at run time
    kind: str = "update"
    phase: int = 0


@dataclass(frozen=True)
class Operation:
    """One changed aspect of one table."""

    type: OpType
    table: str
    field: str  # "" for create_table: the whole table is new
    before: str = "-"
    after: str = "-"
    reason: str = ""
    steps: tuple[Step, ...] = ()
    blocked: str = ""  # why apply refuses it as planned
    items: int | None = None  # delete_table: the item count the plan showed


# --- request pieces ---------------------------------------------------------------------


def key_schema(partition: KeyAttr, sort: KeyAttr | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": partition.name, "KeyType": "HASH"}]
    if sort is not None:
        schema.append({"AttributeName": sort.name, "KeyType": "RANGE"})
    return schema


def projection(value: Projection) -> dict[str, Any]:
    result: dict[str, Any] = {"ProjectionType": value.type}
    if value.type == "INCLUDE":
        result["NonKeyAttributes"] = list(value.non_key)
    return result


def attribute_definitions(spec: TableSpec) -> list[dict[str, str]]:
    return [{"AttributeName": n, "AttributeType": t} for n, t in spec.attribute_types().items()]


def capacity(read: int, write: int) -> dict[str, int]:
    return {"ReadCapacityUnits": read, "WriteCapacityUnits": write}


def on_demand(read: int | None, write: int | None) -> dict[str, int]:
    return {"MaxReadRequestUnits": read or -1, "MaxWriteRequestUnits": write or -1}


def gsi_create(gsi: Gsi, billing: Billing) -> dict[str, Any]:
    body: dict[str, Any] = {
        "IndexName": gsi.name,
        "KeySchema": key_schema(gsi.partition_key, gsi.sort_key),
        "Projection": projection(gsi.projection),
    }
    if billing.mode == "PROVISIONED" and gsi.throughput:
        body["ProvisionedThroughput"] = capacity(gsi.throughput.read, gsi.throughput.write)
    if billing.mode == "PAY_PER_REQUEST" and gsi.on_demand:
        body["OnDemandThroughput"] = on_demand(gsi.on_demand.max_read, gsi.on_demand.max_write)
    return body


def lsi_create(lsi: Lsi, partition: KeyAttr) -> dict[str, Any]:
    return {
        "IndexName": lsi.name,
        "KeySchema": key_schema(partition, lsi.sort_key),
        "Projection": projection(lsi.projection),
    }


def sse_params(sse: Sse) -> dict[str, Any]:
    if sse.kind == "aws_owned":
        return {"Enabled": False}
    result: dict[str, Any] = {"Enabled": True, "SSEType": "KMS"}
    if sse.kind == "kms" and sse.kms_key:
        result["KMSMasterKeyId"] = sse.kms_key
    return result


def billing_params(billing: Billing) -> dict[str, Any]:
    params: dict[str, Any] = {"BillingMode": billing.mode}
    if billing.mode == "PROVISIONED" and billing.throughput:
        params["ProvisionedThroughput"] = capacity(
            billing.throughput.read, billing.throughput.write
        )
    if billing.mode == "PAY_PER_REQUEST" and billing.on_demand:
        params["OnDemandThroughput"] = on_demand(
            billing.on_demand.max_read, billing.on_demand.max_write
        )
    return params


def tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


# --- steps ------------------------------------------------------------------------------


def update_step(table: str, action: str, phase: int, kind: str = "update", **params: Any) -> Step:
    return Step(
        table, "UpdateTable", {"TableName": table, **params}, action, kind=kind, phase=phase
    )


def ttl_step(table: str, attribute: str, enabled: bool) -> Step:
    return Step(
        table,
        "UpdateTimeToLive",
        {
            "TableName": table,
            "TimeToLiveSpecification": {"Enabled": enabled, "AttributeName": attribute},
        },
        f"{'enable' if enabled else 'disable'} TTL on {attribute}",
        wait="none",
        phase=TTL_ON if enabled else TTL_OFF,
    )


def pitr_step(table: str, enabled: bool) -> Step:
    return Step(
        table,
        "UpdateContinuousBackups",
        {
            "TableName": table,
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": enabled},
        },
        f"{'enable' if enabled else 'disable'} point-in-time recovery",
        wait="none",
        phase=PITR,
    )


def index_delete_step(table: str, index: str) -> Step:
    return update_step(
        table,
        f"delete index {index}",
        INDEX_DELETE,
        kind="index",
        GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": index}}],
    )


def index_create_step(spec: TableSpec, gsi: Gsi) -> Step:
    return update_step(
        spec.name,
        f"create index {gsi.name} ({gsi_text(gsi)}) and wait for its backfill",
        INDEX_CREATE,
        kind="index",
        AttributeDefinitions=attribute_definitions(spec),
        GlobalSecondaryIndexUpdates=[{"Create": gsi_create(gsi, spec.billing)}],
    )


def create_table_params(spec: TableSpec, caps: Capabilities) -> dict[str, Any]:
    """The CreateTable request for a spec, holding only what the endpoint supports."""
    params: dict[str, Any] = {
        "TableName": spec.name,
        "AttributeDefinitions": attribute_definitions(spec),
        "KeySchema": key_schema(spec.partition_key, spec.sort_key),
        **billing_params(spec.billing),
    }
    if spec.gsis:
        params["GlobalSecondaryIndexes"] = [gsi_create(g, spec.billing) for g in spec.gsis]
    if spec.lsis:
        params["LocalSecondaryIndexes"] = [lsi_create(i, spec.partition_key) for i in spec.lsis]
    if spec.stream:
        params["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": spec.stream}
    if caps.sse and spec.sse.kind != "aws_owned":
        params["SSESpecification"] = sse_params(spec.sse)
    if caps.table_class and spec.table_class != "STANDARD":
        params["TableClass"] = spec.table_class
    if spec.deletion_protection:
        params["DeletionProtectionEnabled"] = True
    if caps.tags and spec.tags:
        params["Tags"] = tag_list(spec.tags)
    return params


def create_steps(spec: TableSpec, caps: Capabilities) -> list[Step]:
    """CreateTable, then TTL and PITR, which CreateTable cannot set."""
    indexes = f" with {len(spec.gsis)} global index(es)" if spec.gsis else ""
    params = create_table_params(spec, caps)
    steps = [Step(spec.name, "CreateTable", params, f"create table{indexes}", kind="create")]
    if spec.ttl:
        steps.append(ttl_step(spec.name, spec.ttl, True))
    if caps.pitr and spec.pitr:
        steps.append(pitr_step(spec.name, True))
    return steps


def delete_table_step(table: str) -> Step:
    return Step(
        table, "DeleteTable", {"TableName": table}, "delete table", wait="gone", kind="delete"
    )
