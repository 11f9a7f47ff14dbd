"""The live-table model: a DescribeTable record (+ TTL, backups, tags) normalized into the
TableSpec shape, so declared and live tables compare value by value (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dynaform.core.model import (
    Billing,
    Gsi,
    KeyAttr,
    Lsi,
    OnDemandLimits,
    Projection,
    Sse,
    TableSpec,
    Throughput,
)
from dynaform.core.validate import without_projected_keys

READY = "ACTIVE"


@dataclass(frozen=True)
class IndexState:
    status: str
    backfilling: bool = False


@dataclass(frozen=True)
class LiveTable:
    spec: TableSpec
    status: str
    arn: str
    indexes: dict[str, IndexState] = field(default_factory=dict)
    item_count: int | None = None
    size_bytes: int | None = None

    @property
    def ready(self) -> bool:
        """ACTIVE, with every index ACTIVE and no backfill running."""
        return self.status == READY and all(
            i.status == READY and not i.backfilling for i in self.indexes.values()
        )


def _keys(schema: list[dict[str, str]], types: dict[str, str]) -> tuple[KeyAttr, KeyAttr | None]:
    hash_key = next(k["AttributeName"] for k in schema if k["KeyType"] == "HASH")
    range_key = next((k["AttributeName"] for k in schema if k["KeyType"] == "RANGE"), None)
    partition = KeyAttr(name=hash_key, type=types.get(hash_key, "S"))  # type: ignore[arg-type]
    sort = None if range_key is None else KeyAttr(name=range_key, type=types.get(range_key, "S"))  # type: ignore[arg-type]
    return partition, sort


def _projection(raw: dict[str, Any]) -> Projection:
    kind = raw.get("ProjectionType", "ALL")
    non_key = tuple(sorted(raw.get("NonKeyAttributes", []))) if kind == "INCLUDE" else ()
    if kind == "INCLUDE" and not non_key:  # INCLUDE of nothing projects the keys only
        kind = "KEYS_ONLY"
    return Projection(type=kind, non_key=non_key)


def _limits(raw: dict[str, Any] | None) -> OnDemandLimits | None:
    """OnDemandThroughput; -1 (or absent) means no limit."""
    if not raw:
        return None
    read = raw.get("MaxReadRequestUnits")
    write = raw.get("MaxWriteRequestUnits")
    read = read if isinstance(read, int) and read > 0 else None
    write = write if isinstance(write, int) and write > 0 else None
    return (
        None if read is None and write is None else OnDemandLimits(max_read=read, max_write=write)
    )


def _sse(raw: dict[str, Any] | None) -> Sse:
    if not raw or raw.get("Status") in {"DISABLED", "DISABLING", None}:
        return Sse(kind="aws_owned")
    key = raw.get("KMSMasterKeyArn")
    # AWS-managed keys live under alias/aws/dynamodb; a customer key is reported by ARN.
    if not key or str(key).endswith("alias/aws/dynamodb"):
        return Sse(kind="aws_managed")
    return Sse(kind="kms", kms_key=str(key))


def _billing(table: dict[str, Any]) -> Billing:
    if table.get("BillingModeSummary", {}).get("BillingMode") == "PAY_PER_REQUEST":
        return Billing(mode="PAY_PER_REQUEST", on_demand=_limits(table.get("OnDemandThroughput")))
    throughput = table.get("ProvisionedThroughput", {})
    return Billing(
        mode="PROVISIONED",
        throughput=Throughput(
            read=throughput.get("ReadCapacityUnits", 0),
            write=throughput.get("WriteCapacityUnits", 0),
        ),
    )


def _gsis(
    table: dict[str, Any], types: dict[str, str], on_demand: bool
) -> tuple[list[Gsi], dict[str, IndexState]]:
    gsis, states = [], {}
    for raw in table.get("GlobalSecondaryIndexes", []):
        partition, sort = _keys(raw["KeySchema"], types)
        capacity = raw.get("ProvisionedThroughput", {})
        gsis.append(
            Gsi(
                name=raw["IndexName"],
                partition_key=partition,
                sort_key=sort,
                projection=_projection(raw.get("Projection", {})),
                throughput=None
                if on_demand
                else Throughput(
                    read=capacity.get("ReadCapacityUnits", 0),
                    write=capacity.get("WriteCapacityUnits", 0),
                ),
                on_demand=_limits(raw.get("OnDemandThroughput")) if on_demand else None,
            )
        )
        states[raw["IndexName"]] = IndexState(
            status=raw.get("IndexStatus", READY), backfilling=bool(raw.get("Backfilling"))
        )
    return sorted(gsis, key=lambda g: g.name), states


def _lsis(table: dict[str, Any], types: dict[str, str]) -> list[Lsi]:
    lsis = []
    for raw in table.get("LocalSecondaryIndexes", []):
        _, sort = _keys(raw["KeySchema"], types)
        if sort is None:
            raise ValueError(f"local index {raw['IndexName']} has no RANGE key")
        lsis.append(
            Lsi(
                name=raw["IndexName"],
                sort_key=sort,
                projection=_projection(raw.get("Projection", {})),
            )
        )
    return sorted(lsis, key=lambda i: i.name)


def _ttl(ttl: dict[str, Any] | None) -> str | None:
    description = (ttl or {}).get("TimeToLiveDescription", {})
    enabled = description.get("TimeToLiveStatus") in {"ENABLED", "ENABLING"}
    return description.get("AttributeName") if enabled else None


def _pitr(backups: dict[str, Any] | None) -> bool:
    status = (
        (backups or {})
        .get("ContinuousBackupsDescription", {})
        .get("PointInTimeRecoveryDescription", {})
        .get("PointInTimeRecoveryStatus")
    )
    return bool(status == "ENABLED")


def normalize(
    table: dict[str, Any],
    ttl: dict[str, Any] | None = None,
    backups: dict[str, Any] | None = None,
    tags: list[dict[str, str]] | None = None,
    notes: list[str] | None = None,
) -> LiveTable:
    """A DescribeTable ``Table`` (+ TTL, backups, tags) -> LiveTable; computed fields dropped,
    defaults explicit, lists that DynamoDB orders freely sorted."""
    types = {a["AttributeName"]: a["AttributeType"] for a in table.get("AttributeDefinitions", [])}
    partition, sort = _keys(table["KeySchema"], types)
    billing = _billing(table)
    gsis, states = _gsis(table, types, on_demand=billing.mode == "PAY_PER_REQUEST")
    stream = table.get("StreamSpecification") or {}
    spec = TableSpec(
        logical_name="",
        name=table["TableName"],
        partition_key=partition,
        sort_key=sort,
        billing=billing,
        gsis=tuple(gsis),
        lsis=tuple(_lsis(table, types)),
        ttl=_ttl(ttl),
        pitr=_pitr(backups),
        sse=_sse(table.get("SSEDescription")),
        stream=stream.get("StreamViewType") if stream.get("StreamEnabled") else None,
        deletion_protection=bool(table.get("DeletionProtectionEnabled", False)),
        table_class=table.get("TableClassSummary", {}).get("TableClass", "STANDARD"),
        tags={t["Key"]: t["Value"] for t in tags or []},
    )
    spec, dropped = without_projected_keys(spec)  # a listed key changes nothing in DynamoDB
    if notes is not None:
        notes += dropped
    return LiveTable(
        spec=spec,
        status=table.get("TableStatus", "UNKNOWN"),
        arn=table.get("TableArn", ""),
        indexes=states,
        item_count=table.get("ItemCount"),
        size_bytes=table.get("TableSizeBytes"),
    )
