"""TABLE REBUILD: a key schema or local index change, done without losing an item.

DynamoDB cannot change keys in place, and a table name cannot be reused while the old table
exists. So, in order, each step verified before the next:

1. create a holding table ``<name>.dynaform-rebuild`` with the old keys;
2. copy every item into it and check the exact counts match;
3. delete the old table (only now: every item is safe in the holding table);
4. create the table as declared (indexes, TTL, PITR …);
5. copy every item back, converting key values whose type changed (S <-> N);
6. check the counts match, then delete the holding table.

If step 5 cannot write some items (a string key that is not a number, say), they go to the
reject file, the holding table is kept with every item, and the command fails saying so.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from dynaform.aws.execute import Runner
from dynaform.core.capabilities import Capabilities
from dynaform.core.diff import Change
from dynaform.core.live import normalize
from dynaform.core.model import TableSpec
from dynaform.core.operations import create_steps
from dynaform.core.ownership import holding_name
from dynaform.data import ops
from dynaform.data.bulk import WireItem
from dynaform.data.codec import number_text
from dynaform.data.wire import WireClient
from dynaform.errors import DynaformError

Report = Callable[[str], None]


def convert_keys(changes: dict[str, tuple[str, str]]) -> Callable[[WireItem], WireItem]:
    """Wire-item transform for key attributes whose type changed: {name: (old, new)}."""

    def convert(item: WireItem) -> WireItem:
        for name, (old, new) in changes.items():
            value = item.get(name)
            if value is None or old not in value:
                continue
            raw = value[old]
            if new == "S":
                item[name] = {"S": str(raw)}
            elif new == "N":
                # Not a number: left as is, DynamoDB refuses it, it lands in the reject file.
                with contextlib.suppress(InvalidOperation, ValueError):
                    item[name] = {"N": number_text(Decimal(str(raw)))}
        return item

    return convert


def _describe(client: Any, name: str) -> dict[str, Any] | None:
    try:
        table: dict[str, Any] = client.describe_table(TableName=name)["Table"]
    except client.exceptions.ResourceNotFoundException:
        return None
    return table


def _old_table(client: Any, name: str, runner: Runner, deadline: float) -> dict[str, Any] | None:
    """The table as it is now, once no create or delete is in flight (None when gone)."""
    table = _describe(client, name)
    if table is not None and table.get("TableStatus") == "DELETING":
        runner.wait_gone(name, deadline)
        return None
    if table is not None:
        runner.wait_ready(name, deadline)
    return table


def _is_declared_shape(raw: dict[str, Any], new: TableSpec) -> bool:
    """Whether the live table already has the declared keys and local indexes (the rebuild
    created it), as opposed to being the old table still waiting to be emptied."""
    spec = normalize(raw).spec
    return (spec.partition_key, spec.sort_key) == (new.partition_key, new.sort_key) and {
        i.name: i for i in spec.lsis
    } == {i.name: i for i in new.lsis}


def _create_holding(
    client: Any, old: TableSpec, hold: str, runner: Runner, deadline: float
) -> None:
    if old.deletion_protection:
        raise DynaformError(
            f"{old.name} has deletion protection, which a rebuild must lift",
            hint="set deletion_protection: false, apply, then rebuild",
        )
    types = old.attribute_types()
    keys = [old.partition_key] + ([old.sort_key] if old.sort_key else [])
    client.create_table(
        TableName=hold,
        AttributeDefinitions=[
            {"AttributeName": k.name, "AttributeType": types[k.name]} for k in keys
        ],
        KeySchema=[
            {"AttributeName": k.name, "KeyType": kind}
            for k, kind in zip(keys, ("HASH", "RANGE"), strict=False)
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    runner.wait_ready(hold, deadline)


def _hold_everything(wire: WireClient, client: Any, name: str, hold: str, rejects: Path) -> int:
    """Copy the old table into the holding table (again, when resuming: puts are idempotent),
    verify the counts, and only then delete the old table."""
    first = ops.copy_table(wire, name, wire, hold, rejects=rejects)
    source_count = ops.count_items(wire, name)
    held = ops.count_items(wire, hold)
    if first.stats.rejected or held < source_count:
        raise DynaformError(
            f"{name}: the holding copy has {held} of {source_count} item(s); the table was "
            "not deleted",
            hint=f"see {rejects}; run `dynaform apply` again to resume the rebuild",
        )
    client.delete_table(TableName=name)
    return held


def rebuild(
    client: Any,
    wire: WireClient,
    change: Change,
    runner: Runner,
    caps: Capabilities,
    *,
    rejects: Path,
    report: Report,
    timeout: float = 1800.0,
) -> None:
    """Run (or resume) a TABLE REBUILD. Where it stands is read from DynamoDB itself: the
    holding table exists from step 1 until the very end, and the live table is either the old
    one, gone, or already the declared one. So a rebuild killed at any point is resumed by the
    next ``apply``, and no item is ever only in memory."""
    new = change.desired
    assert new is not None
    deadline = time.monotonic() + timeout
    hold = holding_name(new.name)
    live = _old_table(client, new.name, runner, deadline)
    held = _old_table(client, hold, runner, deadline)
    if held is None:
        if live is None or change.live is None:
            raise DynaformError(f"{new.name}: nothing to rebuild (no table, no holding table)")
        report(f"{new.name}: create the holding table {hold}")
        _create_holding(client, change.live, hold, runner, deadline)
    elif _restored(client, hold):
        report(f"{new.name}: every item was already verified back; delete {hold}")
        client.delete_table(TableName=hold)
        runner.wait_gone(hold, deadline)
        return
    else:
        report(f"{new.name}: resuming an interrupted rebuild ({hold} exists)")
        _check_holding(new.name, live, held, new)
        if live is not None and _is_declared_shape(live, new):
            _check_copy_back_unfinished(wire, new.name, hold)
    if live is not None and not _is_declared_shape(live, new):
        report(f"{new.name}: copy every item into {hold}, verify, delete the old table")
        _hold_everything(wire, client, new.name, hold, rejects)
        runner.wait_gone(new.name, deadline)
        live = None
    if live is None:
        report(f"{new.name}: create the table as declared")
        for step in create_steps(new, caps):
            runner.call(step)
            if step.wait == "ready":
                runner.wait_ready(step.table, deadline)
    _copy_back(wire, client, new, hold, rejects, report)
    runner.wait_gone(hold, deadline)


RESTORED = "dynaform_rebuild_restored"  # TTL attribute no item has: the holding table's mark


def _restored(client: Any, hold: str) -> bool:
    """Whether the copy back into the declared table was verified (the mark is set)."""
    described = client.describe_time_to_live(TableName=hold).get("TimeToLiveDescription", {})
    return bool(described.get("AttributeName") == RESTORED)


def _key_schema(raw: dict[str, Any]) -> list[tuple[str, str, str]]:
    types = {a["AttributeName"]: a["AttributeType"] for a in raw.get("AttributeDefinitions", [])}
    return [
        (k["AttributeName"], k["KeyType"], types.get(k["AttributeName"], ""))
        for k in raw["KeySchema"]
    ]


def _check_holding(
    name: str, live: dict[str, Any] | None, held: dict[str, Any], new: TableSpec
) -> None:
    """A holding table this rebuild did not make (its keys are not the old table's, nor, once
    the old table is gone, different from the declared ones) is never copied anywhere."""
    old_table = live is not None and not _is_declared_shape(live, new)
    if old_table and live is not None and _key_schema(held) != _key_schema(live):
        raise DynaformError(
            f"{holding_name(name)} exists but its keys are not those of {name}: it was not made "
            "by a rebuild of this table; nothing was changed",
            hint="look at it, then delete or rename it and run `dynaform apply` again",
        )


def _check_copy_back_unfinished(wire: WireClient, name: str, hold: str) -> None:
    """An interrupted copy back leaves the table with at most the held items; a table holding
    more has been written to since, and the holding table is not copied over it."""
    held, present = ops.count_items(wire, hold), ops.count_items(wire, name)
    if present > held:
        raise DynaformError(
            f"{name} holds {present:,} item(s), more than the {held:,} in {hold}: this is not an "
            "interrupted copy back, and copying it over the table could undo newer writes; "
            "nothing was changed",
            hint=f"compare the two tables, then delete {hold} (or import what it holds)",
        )


def _copy_back(
    wire: WireClient, client: Any, new: TableSpec, hold: str, rejects: Path, report: Report
) -> None:
    raw_hold = _describe(client, hold)
    assert raw_hold is not None
    old_types = {a["AttributeName"]: a["AttributeType"] for a in raw_hold["AttributeDefinitions"]}
    changed = {
        name: (old_types[name], kind)
        for name, kind in new.attribute_types().items()
        if name in old_types and old_types[name] != kind
    }
    report(f"{new.name}: copy every item back")
    back = ops.copy_table(
        wire,
        hold,
        wire,
        new.name,
        rejects=rejects,
        wire_transform=convert_keys(changed) if changed else None,
    )
    held = ops.count_items(wire, hold)
    rebuilt = ops.count_items(wire, new.name)
    if back.stats.rejected or rebuilt < held:
        raise DynaformError(
            f"{new.name}: {rebuilt} of {held} item(s) fit the new keys; the others are in "
            f"{rejects}, and {hold} still holds every item",
            hint=f"fix those items, import them, then delete {hold}",
        )
    report(f"{new.name}: {rebuilt} item(s) verified; delete {hold}")
    # Durable mark, before the delete: a rebuild killed right here is finished by deleting the
    # holding table, never by copying it over items the application may have written since.
    client.update_time_to_live(
        TableName=hold, TimeToLiveSpecification={"Enabled": True, "AttributeName": RESTORED}
    )
    client.delete_table(TableName=hold)
