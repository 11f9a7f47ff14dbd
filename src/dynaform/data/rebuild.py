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
from dynaform.core.order import create_steps
from dynaform.data import ops
from dynaform.data.bulk import WireItem
from dynaform.data.codec import number_text
from dynaform.data.wire import WireClient
from dynaform.errors import DynaformError

Report = Callable[[str], None]
SUFFIX = ".dynaform-rebuild"


def holding_name(table: str) -> str:
    return table[: 255 - len(SUFFIX)] + SUFFIX


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
    new, old = change.desired, change.live
    assert new is not None and old is not None
    if old.deletion_protection:
        raise DynaformError(
            f"{old.name} has deletion protection, which a rebuild must lift",
            hint="set deletion_protection: false, apply, then rebuild",
        )
    deadline = time.monotonic() + timeout
    hold = holding_name(old.name)
    old_types = old.attribute_types()
    key_names = [old.partition_key.name] + ([old.sort_key.name] if old.sort_key else [])
    report(f"{old.name}: create the holding table {hold}")
    client.create_table(
        TableName=hold,
        AttributeDefinitions=[
            {"AttributeName": n, "AttributeType": old_types[n]} for n in key_names
        ],
        KeySchema=[{"AttributeName": old.partition_key.name, "KeyType": "HASH"}]
        + ([{"AttributeName": old.sort_key.name, "KeyType": "RANGE"}] if old.sort_key else []),
        BillingMode="PAY_PER_REQUEST",
    )
    runner.wait_ready(hold, deadline)

    report(f"{old.name}: copy every item into {hold}")
    first = ops.copy_table(wire, old.name, wire, hold, rejects=rejects)
    source_count = ops.count_items(wire, old.name)
    held = ops.count_items(wire, hold)
    if first.stats.rejected or held != source_count:
        raise DynaformError(
            f"{old.name}: the holding copy has {held} of {source_count} item(s); the table was "
            "not touched",
            hint=f"see {rejects}; delete {hold} when done",
        )
    report(f"{old.name}: {held} item(s) held; delete the old table")
    client.delete_table(TableName=old.name)
    runner.wait_gone(old.name, deadline)

    report(f"{new.name}: create the table as declared")
    for step in create_steps(new, caps):
        runner.call(step)
        if step.wait == "ready":
            runner.wait_ready(step.table, deadline)

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
    rebuilt = ops.count_items(wire, new.name)
    if back.stats.rejected or rebuilt != held:
        raise DynaformError(
            f"{new.name}: {rebuilt} of {held} item(s) fit the new keys; the others are in "
            f"{rejects}, and {hold} still holds every item",
            hint=f"fix those items, import them, then delete {hold}",
        )
    report(f"{new.name}: {rebuilt} item(s) verified; delete {hold}")
    client.delete_table(TableName=hold)
    runner.wait_gone(hold, deadline)


def describe_steps(change: Change) -> list[str]:
    """The rebuild as a person reads it in the plan."""
    table = change.table
    return [
        f"create holding table {holding_name(table)} and copy every item into it",
        "verify exact item counts match",
        f"delete {table}, then create it as declared",
        "copy every item back (converting changed key types), verify counts",
        f"delete {holding_name(table)}",
    ]
