"""Declared tables vs live tables -> classified changes (pure; no engine needed)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from dynaform.core.capabilities import Capabilities
from dynaform.core.live import LiveTable
from dynaform.core.model import Billing, Gsi, KeyAttr, Lsi, Projection, Sse, TableSpec

ChangeKind = Literal["create", "update", "index-rebuild", "table-rebuild", "delete"]
SEVERITY: dict[ChangeKind, int] = {
    "update": 1,
    "create": 2,
    "index-rebuild": 3,
    "delete": 4,
    "table-rebuild": 5,
}


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: str
    after: str
    reason: str = ""


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    logical: str
    table: str
    fields: tuple[FieldChange, ...] = ()
    desired: TableSpec | None = None
    live: TableSpec | None = None
    blocked: str = ""  # why apply refuses it as planned

    def field_names(self) -> set[str]:
        return {f.field for f in self.fields}


@dataclass(frozen=True)
class Diff:
    changes: tuple[Change, ...]
    skipped: dict[str, tuple[str, ...]] = field(default_factory=dict)
    unchanged: tuple[str, ...] = ()


# --- how values read in a plan ----------------------------------------------------------


def key_text(key: KeyAttr | None) -> str:
    return "-" if key is None else f"{key.name} ({key.type})"


def billing_text(billing: Billing) -> str:
    if billing.mode == "PROVISIONED" and billing.throughput:
        return f"provisioned {billing.throughput.read}/{billing.throughput.write}"
    limits = billing.on_demand
    if limits and (limits.max_read or limits.max_write):
        return f"on demand (max {limits.max_read or '-'}/{limits.max_write or '-'})"
    return "on demand"


def projection_text(projection: Projection) -> str:
    if projection.type == "INCLUDE":
        return "include " + ",".join(projection.non_key)
    return projection.type.lower()


def gsi_text(gsi: Gsi) -> str:
    keys = key_text(gsi.partition_key) + (f" / {key_text(gsi.sort_key)}" if gsi.sort_key else "")
    capacity = f", {gsi.throughput.read}/{gsi.throughput.write}" if gsi.throughput else ""
    return f"{keys}, {projection_text(gsi.projection)}{capacity}"


def lsi_text(lsi: Lsi) -> str:
    return f"{key_text(lsi.sort_key)}, {projection_text(lsi.projection)}"


def sse_text(sse: Sse) -> str:
    return f"kms {sse.kms_key}" if sse.kind == "kms" else sse.kind.replace("_", " ")


def sse_equivalent(desired: Sse, live: Sse) -> bool:
    """DescribeTable reports a KMS key by ARN only: an AWS-managed key and a customer key look
    alike, and an alias cannot be resolved without KMS. Compare what can be compared."""
    if desired.kind == "aws_owned" or live.kind == "aws_owned":
        return desired.kind == live.kind
    if desired.kind == "aws_managed" or live.kind == "aws_managed":
        return True
    wanted, actual = desired.kms_key or "", live.kms_key or ""
    if wanted.startswith("arn:") and actual.startswith("arn:"):
        return wanted == actual
    if wanted.startswith("alias/"):
        return True
    return actual.endswith(wanted)


def _on_off(value: object) -> str:
    if value is None or value is False:
        return "off"
    return "on" if value is True else str(value).lower()


# --- what the endpoint can hold ---------------------------------------------------------


def supported_view(spec: TableSpec, caps: Capabilities) -> tuple[TableSpec, tuple[str, ...]]:
    """The spec as this endpoint can hold it, and what had to be skipped."""
    updates: dict[str, object] = {}
    skipped: list[str] = []
    engine = {"dynamodb-local": "DynamoDB Local"}.get(caps.engine, caps.engine)
    if not caps.tags and spec.tags:
        updates["tags"] = {}
        skipped.append(f"tags ({engine} has no tags)")
    if not caps.pitr and spec.pitr:
        updates["pitr"] = False
        skipped.append(f"point-in-time recovery ({engine} has no PITR)")
    if not caps.sse and spec.sse != Sse():
        updates["sse"] = Sse()
        skipped.append(f"encryption {sse_text(spec.sse)} ({engine} has no SSE settings)")
    if not caps.table_class and spec.table_class != "STANDARD":
        updates["table_class"] = "STANDARD"
        skipped.append(f"table class {spec.table_class} ({engine} has no table classes)")
    if not caps.on_demand_limits:
        if spec.billing.on_demand is not None:
            updates["billing"] = spec.billing.model_copy(update={"on_demand": None})
            skipped.append(f"on-demand throughput limits ({engine} ignores them)")
        if any(g.on_demand for g in spec.gsis):
            updates["gsis"] = tuple(g.model_copy(update={"on_demand": None}) for g in spec.gsis)
            skipped.append(f"index on-demand throughput limits ({engine} ignores them)")
    return (spec.model_copy(update=updates) if updates else spec), tuple(skipped)


# --- comparing --------------------------------------------------------------------------


def _gsi_changes(desired: TableSpec, live: TableSpec) -> tuple[list[FieldChange], bool]:
    changes: list[FieldChange] = []
    rebuild = False
    wanted = {g.name: g for g in desired.gsis}
    present = {g.name: g for g in live.gsis}
    for name in sorted(present.keys() - wanted.keys()):
        changes.append(
            FieldChange(f"index {name}", gsi_text(present[name]), "-", "no longer declared")
        )
    for name in sorted(wanted.keys() - present.keys()):
        changes.append(FieldChange(f"index {name}", "-", gsi_text(wanted[name]), "new index"))
    for name in sorted(wanted.keys() & present.keys()):
        new, old = wanted[name], present[name]
        if new.shape() != old.shape():
            rebuild = True
            changes.append(
                FieldChange(
                    f"index {name}",
                    gsi_text(old),
                    gsi_text(new),
                    "keys or projection changed: the index is deleted and "
                    "created again (queries on it fail meanwhile)",
                )
            )
        elif new.throughput != old.throughput or new.on_demand != old.on_demand:
            changes.append(FieldChange(f"index {name} capacity", gsi_text(old), gsi_text(new)))
    return changes, rebuild


def _rebuild_reasons(desired: TableSpec, live: TableSpec) -> list[FieldChange]:
    reasons = []
    if desired.partition_key != live.partition_key:
        reasons.append(
            FieldChange(
                "partition key",
                key_text(live.partition_key),
                key_text(desired.partition_key),
                "DynamoDB cannot change a table's keys in place",
            )
        )
    if desired.sort_key != live.sort_key:
        reasons.append(
            FieldChange(
                "sort key",
                key_text(live.sort_key),
                key_text(desired.sort_key),
                "DynamoDB cannot change a table's keys in place",
            )
        )
    wanted = {lsi.name: lsi for lsi in desired.lsis}
    present = {lsi.name: lsi for lsi in live.lsis}
    for name in sorted(wanted.keys() | present.keys()):
        if wanted.get(name) != present.get(name):
            before = lsi_text(present[name]) if name in present else "-"
            after = lsi_text(wanted[name]) if name in wanted else "-"
            reasons.append(
                FieldChange(
                    f"local index {name}",
                    before,
                    after,
                    "local indexes are fixed when a table is created",
                )
            )
    return reasons


def _simple_changes(desired: TableSpec, live: TableSpec) -> list[FieldChange]:
    changes = []
    if desired.billing != live.billing:
        changes.append(
            FieldChange("billing", billing_text(live.billing), billing_text(desired.billing))
        )
    pairs: list[tuple[str, object, object, str]] = [
        ("table class", live.table_class, desired.table_class, ""),
        (
            "stream",
            live.stream,
            desired.stream,
            "changing the view type turns the stream off and on: consumers get a new stream ARN"
            if live.stream and desired.stream
            else "",
        ),
        (
            "encryption",
            sse_text(live.sse),
            sse_text(live.sse if sse_equivalent(desired.sse, live.sse) else desired.sse),
            "",
        ),
        (
            "ttl",
            live.ttl,
            desired.ttl,
            "TTL is turned off, then on for the new attribute; AWS may refuse re-enabling "
            "for up to an hour"
            if live.ttl and desired.ttl
            else "",
        ),
        ("point-in-time recovery", live.pitr, desired.pitr, ""),
        ("deletion protection", live.deletion_protection, desired.deletion_protection, ""),
    ]
    for name, before, after, reason in pairs:
        if before != after:
            changes.append(FieldChange(name, _on_off(before), _on_off(after), reason))
    if desired.tags != live.tags:
        removed = sorted(live.tags.keys() - desired.tags.keys())
        changed = sorted(k for k, v in desired.tags.items() if live.tags.get(k) != v)
        before = ", ".join(f"{k}={live.tags[k]}" for k in removed + changed if k in live.tags)
        after = ", ".join(f"{k}={desired.tags[k]}" for k in changed)
        changes.append(
            FieldChange(
                "tags",
                before or "-",
                after or "-",
                f"removes {', '.join(removed)}" if removed else "",
            )
        )
    return changes


def diff_table(desired: TableSpec, live: LiveTable | None, caps: Capabilities) -> Change | None:
    wanted, _ = supported_view(desired, caps)
    if live is None:
        return Change("create", desired.logical_name, desired.name, desired=wanted)
    current = live.spec
    rebuild = _rebuild_reasons(wanted, current)
    gsi_changes, index_rebuild = _gsi_changes(wanted, current)
    fields = (*rebuild, *_simple_changes(wanted, current), *gsi_changes)
    if not fields:
        return None
    kind: ChangeKind = (
        "table-rebuild" if rebuild else "index-rebuild" if index_rebuild else "update"
    )
    blocked = ""
    if rebuild:
        blocked = "needs a new table and a copy of every item; refused unless --allow-rebuild"
    return Change(kind, desired.logical_name, desired.name, tuple(fields), wanted, current, blocked)


def diff(
    desired: Iterable[TableSpec],
    live: Mapping[str, LiveTable | None],
    caps: Capabilities,
    prune: Iterable[LiveTable] = (),
) -> Diff:
    """Every declared table against its live state; ``prune`` lists undeclared live tables of
    this project to delete."""
    changes: list[Change] = []
    skipped: dict[str, tuple[str, ...]] = {}
    unchanged: list[str] = []
    for spec in desired:
        _, skips = supported_view(spec, caps)
        if skips:
            skipped[spec.name] = skips
        change = diff_table(spec, live.get(spec.name), caps)
        if change is None:
            unchanged.append(spec.name)
        else:
            changes.append(change)
    for table in prune:
        blocked = ""
        if table.spec.deletion_protection:
            blocked = (
                "deletion protection is on; turn it off first (AWS console, or "
                "`aws dynamodb update-table --no-deletion-protection-enabled`)"
            )
        changes.append(
            Change(
                "delete",
                "",
                table.spec.name,
                live=table.spec,
                blocked=blocked,
                fields=(
                    FieldChange(
                        "table",
                        table.spec.name,
                        "-",
                        f"not declared; {table.item_count or 0} item(s) will be lost",
                    ),
                ),
            )
        )
    return Diff(tuple(changes), skipped, tuple(unchanged))
