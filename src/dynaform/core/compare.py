"""Declared vs live, once: one comparison per aspect of a table, each emitting typed
operations that carry both what the plan shows and the requests that make the change (pure).

Alembic's shape (compare -> ops): ``compare_table`` runs every aspect; ``diff.py`` groups the
operations into changes, ``order.py`` orders their steps, ``render.py`` prints them.
"""

from __future__ import annotations

from collections.abc import Callable

from dynaform.core import operations as ops
from dynaform.core.capabilities import Capabilities
from dynaform.core.model import Gsi, TableSpec
from dynaform.core.operations import Operation, Step
from dynaform.core.text import (
    billing_text,
    gsi_text,
    key_text,
    lsi_text,
    on_off,
    sse_equivalent,
    sse_text,
)

REBUILD_REFUSED = "needs a new table and a copy of every item; refused unless --allow-rebuild"
KEYS_FIXED = "DynamoDB cannot change a table's keys in place"

Aspect = Callable[[TableSpec, TableSpec, Capabilities], list[Operation]]


def compare_keys(new: TableSpec, old: TableSpec, caps: Capabilities) -> list[Operation]:
    """Keys and local indexes are fixed at creation: any change is a TABLE REBUILD."""
    found: list[Operation] = []
    for label, before, after in (
        ("partition key", old.partition_key, new.partition_key),
        ("sort key", old.sort_key, new.sort_key),
    ):
        if before != after:
            found.append(_rebuild(new.name, label, key_text(before), key_text(after), KEYS_FIXED))
    wanted = {lsi.name: lsi for lsi in new.lsis}
    present = {lsi.name: lsi for lsi in old.lsis}
    for name in sorted(wanted.keys() | present.keys()):
        if wanted.get(name) != present.get(name):
            before_text = lsi_text(present[name]) if name in present else "-"
            after_text = lsi_text(wanted[name]) if name in wanted else "-"
            reason = "local indexes are fixed when a table is created"
            found.append(_rebuild(new.name, f"local index {name}", before_text, after_text, reason))
    return found


def _rebuild(table: str, field: str, before: str, after: str, reason: str) -> Operation:
    return Operation("rebuild_table", table, field, before, after, reason, (), REBUILD_REFUSED)


def compare_billing(new: TableSpec, old: TableSpec, caps: Capabilities) -> list[Operation]:
    if new.billing == old.billing:
        return []
    params = ops.billing_params(new.billing)
    if new.billing.mode == "PROVISIONED" and old.billing.mode != "PROVISIONED":
        # Switching to provisioned must give every remaining index its capacity, in this call.
        updates = [
            {
                "Update": {
                    "IndexName": g.name,
                    "ProvisionedThroughput": ops.capacity(g.throughput.read, g.throughput.write),
                }
            }
            for g in new.gsis
            if g.throughput and (kept := old.gsi(g.name)) is not None and g.shape() == kept.shape()
        ]
        if updates:
            params["GlobalSecondaryIndexUpdates"] = updates
    step = ops.update_step(
        new.name, f"set billing to {new.billing.mode.lower()}", ops.BILLING, **params
    )
    before, after = billing_text(old.billing), billing_text(new.billing)
    return [Operation("set_billing", new.name, "billing", before, after, "", (step,))]


def compare_table_class(new: TableSpec, old: TableSpec, caps: Capabilities) -> list[Operation]:
    if new.table_class == old.table_class:
        return []
    steps: tuple[Step, ...] = ()
    if caps.table_class:
        steps = (
            ops.update_step(
                new.name,
                f"set table class {new.table_class}",
                ops.TABLE_CLASS,
                TableClass=new.table_class,
            ),
        )
    before, after = on_off(old.table_class), on_off(new.table_class)
    return [Operation("set_table_class", new.name, "table class", before, after, "", steps)]


def compare_indexes(new: TableSpec, old: TableSpec, caps: Capabilities) -> list[Operation]:
    """Removed, added, reshaped (delete + create) and resized global indexes."""
    wanted = {g.name: g for g in new.gsis}
    present = {g.name: g for g in old.gsis}
    found: list[Operation] = []
    for name in sorted(present.keys() - wanted.keys()):
        step = ops.index_delete_step(new.name, name)
        found.append(
            Operation(
                "delete_index",
                new.name,
                f"index {name}",
                gsi_text(present[name]),
                "-",
                "no longer declared",
                (step,),
            )
        )
    for name in sorted(wanted.keys() - present.keys()):
        step = ops.index_create_step(new, wanted[name])
        found.append(
            Operation(
                "create_index",
                new.name,
                f"index {name}",
                "-",
                gsi_text(wanted[name]),
                "new index",
                (step,),
            )
        )
    switched = new.billing.mode != old.billing.mode
    for name in sorted(wanted.keys() & present.keys()):
        gsi, before = wanted[name], present[name]
        if gsi.shape() != before.shape():
            found.append(_index_rebuild(new, gsi, before))
        elif gsi.throughput != before.throughput or gsi.on_demand != before.on_demand:
            found.append(_index_capacity(new, gsi, before, switched))
    return found


def _index_rebuild(new: TableSpec, gsi: Gsi, before: Gsi) -> Operation:
    steps = (ops.index_delete_step(new.name, gsi.name), ops.index_create_step(new, gsi))
    reason = (
        "keys or projection changed: the index is deleted and created again "
        "(queries on it fail meanwhile)"
    )
    return Operation(
        "rebuild_index",
        new.name,
        f"index {gsi.name}",
        gsi_text(before),
        gsi_text(gsi),
        reason,
        steps,
    )


def _index_capacity(new: TableSpec, gsi: Gsi, before: Gsi, switched: bool) -> Operation:
    """A billing switch carries index capacities itself; otherwise one UpdateTable."""
    update: dict[str, object] | None = None
    if switched:
        update = None
    elif gsi.throughput and gsi.throughput != before.throughput:
        update = {"ProvisionedThroughput": ops.capacity(gsi.throughput.read, gsi.throughput.write)}
    elif gsi.on_demand != before.on_demand and new.billing.mode == "PAY_PER_REQUEST":
        limits = gsi.on_demand
        update = {
            "OnDemandThroughput": ops.on_demand(
                limits.max_read if limits else None, limits.max_write if limits else None
            )
        }
    steps: tuple[Step, ...] = ()
    if update is not None:
        label = "capacity" if "ProvisionedThroughput" in update else "on-demand limits"
        steps = (
            ops.update_step(
                new.name,
                f"set index {gsi.name} {label}",
                ops.INDEX_CAPACITY,
                GlobalSecondaryIndexUpdates=[{"Update": {"IndexName": gsi.name, **update}}],
            ),
        )
    return Operation(
        "set_index_capacity",
        new.name,
        f"index {gsi.name} capacity",
        gsi_text(before),
        gsi_text(gsi),
        "",
        steps,
    )


def compare_stream(new: TableSpec, old: TableSpec, caps: Capabilities) -> list[Operation]:
    if new.stream == old.stream:
        return []
    steps: list[Step] = []
    if old.stream:
        steps.append(
            ops.update_step(
                new.name,
                "turn the stream off",
                ops.STREAM_OFF,
                StreamSpecification={"StreamEnabled": False},
            )
        )
    if new.stream:
        spec = {"StreamEnabled": True, "StreamViewType": new.stream}
        steps.append(
            ops.update_step(
                new.name,
                f"turn the stream on ({new.stream})",
                ops.STREAM_ON,
                StreamSpecification=spec,
            )
        )
    reason = ""
    if old.stream and new.stream:
        reason = (
            "changing the view type turns the stream off and on: consumers get a new stream ARN"
        )
    return [
        Operation(
            "set_stream",
            new.name,
            "stream",
            on_off(old.stream),
            on_off(new.stream),
            reason,
            tuple(steps),
        )
    ]


def compare_encryption(new: TableSpec, old: TableSpec, caps: Capabilities) -> list[Operation]:
    if sse_equivalent(new.sse, old.sse):
        return []
    steps: tuple[Step, ...] = ()
    if caps.sse:
        steps = (
            ops.update_step(
                new.name,
                "change encryption",
                ops.ENCRYPTION,
                SSESpecification=ops.sse_params(new.sse),
            ),
        )
    before, after = sse_text(old.sse).lower(), sse_text(new.sse).lower()
    return [Operation("set_encryption", new.name, "encryption", before, after, "", steps)]


def compare_ttl(new: TableSpec, old: TableSpec, caps: Capabilities) -> list[Operation]:
    if new.ttl == old.ttl:
        return []
    steps: list[Step] = []
    if old.ttl:
        steps.append(ops.ttl_step(new.name, old.ttl, False))
    if new.ttl:
        steps.append(ops.ttl_step(new.name, new.ttl, True))
    reason = ""
    if old.ttl and new.ttl:
        reason = (
            "TTL is turned off, then on for the new attribute; AWS may refuse re-enabling "
            "for up to an hour"
        )
    return [
        Operation(
            "set_ttl", new.name, "ttl", on_off(old.ttl), on_off(new.ttl), reason, tuple(steps)
        )
    ]


def compare_pitr(new: TableSpec, old: TableSpec, caps: Capabilities) -> list[Operation]:
    if new.pitr == old.pitr:
        return []
    steps = (ops.pitr_step(new.name, new.pitr),) if caps.pitr else ()
    return [
        Operation(
            "set_pitr",
            new.name,
            "point-in-time recovery",
            on_off(old.pitr),
            on_off(new.pitr),
            "",
            steps,
        )
    ]


def compare_tags(new: TableSpec, old: TableSpec, caps: Capabilities) -> list[Operation]:
    if new.tags == old.tags:
        return []
    changed = {k: v for k, v in new.tags.items() if old.tags.get(k) != v}
    removed = sorted(old.tags.keys() - new.tags.keys())
    steps: list[Step] = []
    if caps.tags and changed:
        steps.append(
            Step(
                new.name,
                "TagResource",
                {"Tags": ops.tag_list(changed)},
                f"tag {', '.join(sorted(changed))}",
                wait="none",
                needs_arn=True,
                phase=ops.TAG,
            )
        )
    if caps.tags and removed:
        steps.append(
            Step(
                new.name,
                "UntagResource",
                {"TagKeys": removed},
                f"untag {', '.join(removed)}",
                wait="none",
                needs_arn=True,
                phase=ops.UNTAG,
            )
        )
    shown = sorted(changed)
    before = ", ".join(f"{k}={old.tags[k]}" for k in removed + shown if k in old.tags)
    after = ", ".join(f"{k}={new.tags[k]}" for k in shown)
    reason = f"removes {', '.join(removed)}" if removed else ""
    return [
        Operation("set_tags", new.name, "tags", before or "-", after or "-", reason, tuple(steps))
    ]


def compare_protection(new: TableSpec, old: TableSpec, caps: Capabilities) -> list[Operation]:
    if new.deletion_protection == old.deletion_protection:
        return []
    on = new.deletion_protection
    step = ops.update_step(
        new.name,
        f"turn deletion protection {'on' if on else 'off'}",
        ops.PROTECTION_ON if on else ops.PROTECTION_OFF,
        DeletionProtectionEnabled=on,
    )
    return [
        Operation(
            "set_deletion_protection",
            new.name,
            "deletion protection",
            on_off(old.deletion_protection),
            on_off(on),
            "",
            (step,),
        )
    ]


# The order here is the order a plan lists the fields in.
ASPECTS: tuple[Aspect, ...] = (
    compare_keys,
    compare_billing,
    compare_table_class,
    compare_stream,
    compare_encryption,
    compare_ttl,
    compare_pitr,
    compare_protection,
    compare_tags,
    compare_indexes,
)


def compare_table(new: TableSpec, old: TableSpec, caps: Capabilities) -> list[Operation]:
    """Every aspect of one existing table; empty when it matches."""
    return [op for aspect in ASPECTS for op in aspect(new, old, caps)]
