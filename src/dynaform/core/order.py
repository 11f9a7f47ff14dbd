"""Changes -> steps: one DynamoDB call each, in an order DynamoDB accepts (pure).

DynamoDB's rules this follows: one GSI create or delete per UpdateTable, and the next only once
the previous is ACTIVE (or gone) and backfilled; billing, SSE, stream and deletion protection
changes in calls of their own; TTL through UpdateTimeToLive, PITR through
UpdateContinuousBackups, tags through TagResource/UntagResource; a stream's view type changes
by disabling it first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from dynaform.core.capabilities import Capabilities
from dynaform.core.diff import Change, gsi_text, sse_equivalent
from dynaform.core.model import Billing, Gsi, KeyAttr, Lsi, Projection, Sse, TableSpec

Wait = Literal["ready", "gone", "none"]


@dataclass(frozen=True)
class Step:
    table: str
    operation: str  # the DynamoDB API operation
    params: dict[str, Any]
    action: str  # what a person reads
    wait: Wait = "ready"
    needs_arn: bool = False  # TagResource/UntagResource: ResourceArn filled in at run time
    kind: str = field(default="update")


# --- request pieces ---------------------------------------------------------------------


def _key_schema(partition: KeyAttr, sort: KeyAttr | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": partition.name, "KeyType": "HASH"}]
    if sort is not None:
        schema.append({"AttributeName": sort.name, "KeyType": "RANGE"})
    return schema


def _projection(projection: Projection) -> dict[str, Any]:
    result: dict[str, Any] = {"ProjectionType": projection.type}
    if projection.type == "INCLUDE":
        result["NonKeyAttributes"] = list(projection.non_key)
    return result


def attribute_definitions(spec: TableSpec) -> list[dict[str, str]]:
    return [{"AttributeName": n, "AttributeType": t} for n, t in spec.attribute_types().items()]


def _capacity(read: int, write: int) -> dict[str, int]:
    return {"ReadCapacityUnits": read, "WriteCapacityUnits": write}


def _gsi_create(gsi: Gsi, billing: Billing) -> dict[str, Any]:
    body: dict[str, Any] = {
        "IndexName": gsi.name,
        "KeySchema": _key_schema(gsi.partition_key, gsi.sort_key),
        "Projection": _projection(gsi.projection),
    }
    if billing.mode == "PROVISIONED" and gsi.throughput:
        body["ProvisionedThroughput"] = _capacity(gsi.throughput.read, gsi.throughput.write)
    if billing.mode == "PAY_PER_REQUEST" and gsi.on_demand:
        body["OnDemandThroughput"] = _on_demand(gsi.on_demand.max_read, gsi.on_demand.max_write)
    return body


def _on_demand(read: int | None, write: int | None) -> dict[str, int]:
    return {"MaxReadRequestUnits": read or -1, "MaxWriteRequestUnits": write or -1}


def _lsi(lsi: Lsi, partition: KeyAttr) -> dict[str, Any]:
    return {
        "IndexName": lsi.name,
        "KeySchema": _key_schema(partition, lsi.sort_key),
        "Projection": _projection(lsi.projection),
    }


def _sse(sse: Sse) -> dict[str, Any]:
    if sse.kind == "aws_owned":
        return {"Enabled": False}
    result: dict[str, Any] = {"Enabled": True, "SSEType": "KMS"}
    if sse.kind == "kms" and sse.kms_key:
        result["KMSMasterKeyId"] = sse.kms_key
    return result


def _billing_params(billing: Billing) -> dict[str, Any]:
    params: dict[str, Any] = {"BillingMode": billing.mode}
    if billing.mode == "PROVISIONED" and billing.throughput:
        params["ProvisionedThroughput"] = _capacity(
            billing.throughput.read, billing.throughput.write
        )
    if billing.mode == "PAY_PER_REQUEST" and billing.on_demand:
        params["OnDemandThroughput"] = _on_demand(
            billing.on_demand.max_read, billing.on_demand.max_write
        )
    return params


def _tags(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


# --- steps per change -------------------------------------------------------------------


def create_steps(spec: TableSpec, caps: Capabilities) -> list[Step]:
    params: dict[str, Any] = {
        "TableName": spec.name,
        "AttributeDefinitions": attribute_definitions(spec),
        "KeySchema": _key_schema(spec.partition_key, spec.sort_key),
        **_billing_params(spec.billing),
    }
    if spec.gsis:
        params["GlobalSecondaryIndexes"] = [_gsi_create(g, spec.billing) for g in spec.gsis]
    if spec.lsis:
        params["LocalSecondaryIndexes"] = [_lsi(i, spec.partition_key) for i in spec.lsis]
    if spec.stream:
        params["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": spec.stream}
    if caps.sse and spec.sse.kind != "aws_owned":
        params["SSESpecification"] = _sse(spec.sse)
    if caps.table_class and spec.table_class != "STANDARD":
        params["TableClass"] = spec.table_class
    if spec.deletion_protection:
        params["DeletionProtectionEnabled"] = True
    if caps.tags and spec.tags:
        params["Tags"] = _tags(spec.tags)
    indexes = f" with {len(spec.gsis)} global index(es)" if spec.gsis else ""
    steps = [Step(spec.name, "CreateTable", params, f"create table{indexes}", kind="create")]
    if spec.ttl:
        steps.append(_ttl_step(spec.name, spec.ttl, True))
    if caps.pitr and spec.pitr:
        steps.append(_pitr_step(spec.name, True))
    return steps


def _ttl_step(table: str, attribute: str, enabled: bool) -> Step:
    return Step(
        table,
        "UpdateTimeToLive",
        {
            "TableName": table,
            "TimeToLiveSpecification": {"Enabled": enabled, "AttributeName": attribute},
        },
        f"{'enable' if enabled else 'disable'} TTL on {attribute}",
        wait="none",
    )


def _pitr_step(table: str, enabled: bool) -> Step:
    return Step(
        table,
        "UpdateContinuousBackups",
        {
            "TableName": table,
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": enabled},
        },
        f"{'enable' if enabled else 'disable'} point-in-time recovery",
        wait="none",
    )


def _update(table: str, action: str, **params: Any) -> Step:
    return Step(table, "UpdateTable", {"TableName": table, **params}, action)


def update_steps(change: Change, caps: Capabilities) -> list[Step]:
    new, old = change.desired, change.live
    assert new is not None and old is not None
    name = new.name
    steps: list[Step] = []
    if old.deletion_protection and not new.deletion_protection:
        steps.append(_update(name, "turn deletion protection off", DeletionProtectionEnabled=False))
    if new.billing != old.billing:
        params = _billing_params(new.billing)
        if new.billing.mode == "PROVISIONED" and old.billing.mode != "PROVISIONED":
            # Switching to provisioned must give every remaining index its capacity, in this call.
            updates = [
                {
                    "Update": {
                        "IndexName": g.name,
                        "ProvisionedThroughput": _capacity(g.throughput.read, g.throughput.write),
                    }
                }
                for g in new.gsis
                if old.gsi(g.name) is not None
                and g.throughput
                and g.shape() == (old.gsi(g.name) or g).shape()
            ]
            if updates:
                params["GlobalSecondaryIndexUpdates"] = updates
        steps.append(_update(name, f"set billing to {new.billing.mode.lower()}", **params))
    if caps.table_class and new.table_class != old.table_class:
        steps.append(
            _update(name, f"set table class {new.table_class}", TableClass=new.table_class)
        )

    wanted = {g.name: g for g in new.gsis}
    present = {g.name: g for g in old.gsis}
    rebuilt = [
        n for n in sorted(wanted.keys() & present.keys()) if wanted[n].shape() != present[n].shape()
    ]
    for index in sorted(present.keys() - wanted.keys()) + rebuilt:
        steps.append(
            Step(
                name,
                "UpdateTable",
                {
                    "TableName": name,
                    "GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": index}}],
                },
                f"delete index {index}",
                kind="index",
            )
        )
    for index in sorted(wanted.keys() - present.keys()) + rebuilt:
        gsi = wanted[index]
        steps.append(
            Step(
                name,
                "UpdateTable",
                {
                    "TableName": name,
                    "AttributeDefinitions": attribute_definitions(new),
                    "GlobalSecondaryIndexUpdates": [{"Create": _gsi_create(gsi, new.billing)}],
                },
                f"create index {index} ({gsi_text(gsi)}) and wait for its backfill",
                kind="index",
            )
        )
    switched = new.billing.mode != old.billing.mode
    for index in sorted(wanted.keys() & present.keys()):
        gsi, before = wanted[index], present[index]
        if index in rebuilt or switched:
            continue
        if gsi.throughput and gsi.throughput != before.throughput:
            steps.append(
                _update(
                    name,
                    f"set index {index} capacity",
                    GlobalSecondaryIndexUpdates=[
                        {
                            "Update": {
                                "IndexName": index,
                                "ProvisionedThroughput": _capacity(
                                    gsi.throughput.read, gsi.throughput.write
                                ),
                            }
                        }
                    ],
                )
            )
        elif gsi.on_demand != before.on_demand and new.billing.mode == "PAY_PER_REQUEST":
            limits = gsi.on_demand
            steps.append(
                _update(
                    name,
                    f"set index {index} on-demand limits",
                    GlobalSecondaryIndexUpdates=[
                        {
                            "Update": {
                                "IndexName": index,
                                "OnDemandThroughput": _on_demand(
                                    limits.max_read if limits else None,
                                    limits.max_write if limits else None,
                                ),
                            }
                        }
                    ],
                )
            )
    if new.stream != old.stream:
        if old.stream:
            steps.append(
                _update(name, "turn the stream off", StreamSpecification={"StreamEnabled": False})
            )
        if new.stream:
            steps.append(
                _update(
                    name,
                    f"turn the stream on ({new.stream})",
                    StreamSpecification={"StreamEnabled": True, "StreamViewType": new.stream},
                )
            )
    if caps.sse and not sse_equivalent(new.sse, old.sse):
        steps.append(_update(name, "change encryption", SSESpecification=_sse(new.sse)))
    if new.ttl != old.ttl:
        if old.ttl:
            steps.append(_ttl_step(name, old.ttl, False))
        if new.ttl:
            steps.append(_ttl_step(name, new.ttl, True))
    if caps.pitr and new.pitr != old.pitr:
        steps.append(_pitr_step(name, new.pitr))
    if caps.tags and new.tags != old.tags:
        changed = {k: v for k, v in new.tags.items() if old.tags.get(k) != v}
        removed = sorted(old.tags.keys() - new.tags.keys())
        if changed:
            steps.append(
                Step(
                    name,
                    "TagResource",
                    {"Tags": _tags(changed)},
                    f"tag {', '.join(sorted(changed))}",
                    wait="none",
                    needs_arn=True,
                )
            )
        if removed:
            steps.append(
                Step(
                    name,
                    "UntagResource",
                    {"TagKeys": removed},
                    f"untag {', '.join(removed)}",
                    wait="none",
                    needs_arn=True,
                )
            )
    if new.deletion_protection and not old.deletion_protection:
        steps.append(_update(name, "turn deletion protection on", DeletionProtectionEnabled=True))
    return steps


def order(changes: list[Change] | tuple[Change, ...], caps: Capabilities) -> list[Step]:
    """All steps of a plan. Blocked changes (rebuilds, protected deletes) get none."""
    steps: list[Step] = []
    for change in changes:
        if change.blocked:
            continue
        if change.kind == "create":
            assert change.desired is not None
            steps += create_steps(change.desired, caps)
        elif change.kind == "delete":
            steps.append(
                Step(
                    change.table,
                    "DeleteTable",
                    {"TableName": change.table},
                    "delete table",
                    wait="gone",
                    kind="delete",
                )
            )
        else:
            steps += update_steps(change, caps)
    return steps
