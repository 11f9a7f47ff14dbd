"""Planning a partial update (``Store.update`` and ``TxUpdate`` alike).

An update that touches a field an index key is built from rewrites that index key in the same
write: it reads the item, computes the keys from the merged fields, and is conditional on the
fields the keys depend on still holding the values read (``FieldsRead``). A concurrent change
to one of them fails the condition and the caller plans again from a fresh read.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from dynaform.entities.expressions import Condition, Placeholders, Update, all_of, exists
from dynaform.entities.guards import FieldsRead, refuse_key_changes, version_condition
from dynaform.entities.model import DECODER, ENCODER, Entity, IndexKeys, index_keys, validated

ATTEMPTS = 16  # plans per update when the index fields keep changing under it
Read = Callable[[], dict[str, Any] | None]


@dataclass
class UpdatePlan:
    key: dict[str, Any]
    change: Update
    conditions: list[Condition]
    guard: FieldsRead | None  # set when index keys were rewritten

    def request(self, table: str) -> dict[str, Any]:
        p = Placeholders(ENCODER.value)
        expression = self.change.render(p)
        return {
            "TableName": table,
            "Key": self.key,
            "UpdateExpression": expression,
            "ConditionExpression": all_of(*self.conditions)(p),
            **p.request(),
        }


def plan_update(
    entity: type[Entity],
    keys: Mapping[str, Any],
    change: Update,
    *,
    expected_version: int | None,
    condition: Condition | None,
    read: Read,
) -> UpdatePlan:
    """The request for ``change`` (never modified) with every condition it needs; ``read``
    fetches the stored item when index keys must be rewritten."""
    refuse_key_changes(entity, change)
    b = entity.binding()
    change = _copy(change)
    guard = None
    indexes = affected_indexes(entity, change)
    if indexes:
        item = read()
        if item is None:  # the write fails (NotFound) unless the item appears meanwhile
            guard = FieldsRead({}, missing_key=b.pk_attribute)
        else:
            guard = reindex(entity, change, item, indexes)
    conditions = [exists(b.pk_attribute)]
    version = version_condition(b, expected_version)
    if version is not None:
        conditions.append(version)
    if b.version:
        change.add[b.version] = 1
    if condition is not None:
        conditions.append(condition)
    if guard is not None:
        conditions.append(guard.condition())
    return UpdatePlan(entity.key_of(**keys), change, conditions, guard)


def affected_indexes(entity: type[Entity], change: Update) -> list[IndexKeys]:
    """Indexes with a derived key attribute built from a field ``change`` touches."""
    b = entity.binding()
    touched = change.touched()
    return [
        index
        for index in b.indexes.values()
        if index_keys(b, {}, [index]) and touched & _fields([index])
    ]


def reindex(
    entity: type[Entity], change: Update, item: dict[str, Any], indexes: list[IndexKeys]
) -> FieldsRead:
    """Rewrite ``indexes``' keys in ``change`` from ``item`` with ``change`` applied."""
    fields = _fields(indexes)
    current = DECODER.item(item)
    _settle(change, fields, current)
    merged = {**current, **change.set, **dict.fromkeys(change.remove)}
    for attribute, key in index_keys(entity.binding(), _typed(entity, merged), indexes).items():
        if key is None:
            change.remove.append(attribute)
        else:
            change.set[attribute] = key
    return FieldsRead({name: item.get(name) for name in fields})


def pause(attempt: int) -> None:
    """Full jitter between plans, so racing writers stop colliding."""
    time.sleep(random.random() * min(0.2, 0.005 * 2**attempt))


def _fields(indexes: list[IndexKeys]) -> set[str]:
    return {f for index in indexes for t in (index.pk, index.sk) if t for f in t.fields}


def _settle(change: Update, fields: set[str], current: Mapping[str, Any]) -> None:
    """ADD, append and if_not_exists on index fields become plain SETs of the value they give
    on ``current``: the keys need that value, and the guard keeps it right."""
    for name in fields & set(change.add):
        delta, now = change.add.pop(name), current.get(name)
        change.set[name] = (
            delta if now is None else (now | delta if isinstance(now, set) else now + delta)
        )
    for name in fields & set(change.append):
        change.set[name] = list(current.get(name) or []) + change.append.pop(name)
    for name in fields & set(change.if_not_exists):
        fallback, now = change.if_not_exists.pop(name), current.get(name)
        change.set[name] = fallback if now is None else now


def _typed(entity: type[Entity], values: dict[str, Any]) -> dict[str, Any]:
    """The fields as the entity types them (key templates format datetimes, not text)."""
    return dict(validated(entity, values, "the item after this update").__dict__)


def _copy(change: Update) -> Update:
    return Update(
        set=dict(change.set),
        remove=list(change.remove),
        add=dict(change.add),
        append={k: list(v) for k, v in change.append.items()},
        if_not_exists=dict(change.if_not_exists),
    )
