"""One item of a backfill: apply ``fill``, and write the result only if the item is still what
was read.

The write is conditional: on the version attribute when the item has one (and the version is
incremented, so an application's own optimistic lock sees the change), else on every attribute
read (equal, and absent where the fill adds one). A failed condition means someone wrote the
item since it was read: it is read again (consistently) and ``fill`` applied again, so a live
write is never overwritten. Only the attributes that changed are written (UpdateItem), so an
attribute an application adds meanwhile is kept.

``fill`` may also return a list of items (split an entity, or move it to a new key): items with
other keys are created (never overwriting one that exists) and the original deleted unless it is
in the list, all in one transaction.
"""

from __future__ import annotations

import math
import traceback
import uuid
from dataclasses import dataclass, field
from typing import Any

import orjson
from botocore.exceptions import ClientError

from dynaform.data.bulk import RateLimiter
from dynaform.data.codec import CodecError, Decoder, Encoder
from dynaform.data.wire import WireClient
from dynaform.errors import DynaformError
from dynaform.migrate.control import code_of

WireItem = dict[str, Any]
MAX_ATTEMPTS = 25
SAMPLES = 5


class _Delete:
    def __repr__(self) -> str:
        return "DELETE"


DELETE: Any = _Delete()


class FillError(DynaformError):
    """``fill`` raised, or returned something that cannot be stored."""

    def __init__(self, key: dict[str, Any], table: str, detail: str, trace: str = "") -> None:
        super().__init__(
            f"fill failed on the item {key} of {table}: {detail}",
            hint="fix the migration and run `dynaform migrate up` again: it resumes where it "
            "stopped",
        )
        self.key = key
        self.trace = trace


@dataclass
class Tally:
    read: int = 0
    changed: int = 0
    created: int = 0
    deleted: int = 0
    unchanged: int = 0
    conflicts: int = 0
    gone: int = 0  # deleted by someone else between the read and the write
    samples: list[tuple[Any, Any]] = field(default_factory=list)  # (before, after), dry run

    def add(self, other: Tally) -> None:
        for name in ("read", "changed", "created", "deleted", "unchanged", "conflicts", "gone"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        room = SAMPLES - len(self.samples)
        self.samples += other.samples[: max(0, room)]

    def counts(self) -> dict[str, int]:
        names = ("read", "changed", "created", "deleted", "unchanged", "conflicts", "gone")
        return {name: getattr(self, name) for name in names}


@dataclass
class Target:
    wire: WireClient
    table: str
    keys: tuple[str, ...]
    version: str | None = "version"
    dry_run: bool = False
    limiter: RateLimiter | None = None
    batch: int = 25  # in-place writes a transaction (1: each on its own, half the write units)
    encoder: Encoder = field(default_factory=Encoder)
    decoder: Decoder = field(default_factory=Decoder)


class Expression:
    """Names (#n0…) and values (:v0…) of one request."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}

    def name(self, attribute: str) -> str:
        alias = f"#n{len(self.names)}"
        self.names[alias] = attribute
        return alias

    def value(self, wire_value: Any) -> str:
        alias = f":v{len(self.values)}"
        self.values[alias] = wire_value
        return alias

    def bind(self, request: dict[str, Any]) -> dict[str, Any]:
        if self.names:
            request["ExpressionAttributeNames"] = self.names
        if self.values:
            request["ExpressionAttributeValues"] = self.values
        return request


def process(target: Target, items: list[WireItem], fill: Any, tally: Tally) -> None:
    """Fill and write a chunk of items. Items that change in place (or are deleted) are
    written together in one transaction (one request, every write still conditional); when
    it is refused, each of them is written on its own, re-read and re-filled on conflict."""
    batch: list[tuple[WireItem, Any, tuple[str, dict[str, Any]]]] = []
    for item in items:
        tally.read += 1
        outputs = _fill(target, item, fill)
        if outputs is None:
            tally.unchanged += 1
        elif target.dry_run:
            _dry(target, item, outputs, tally)
        else:
            operations = _operations(target, item, outputs)
            if len(operations) == 1 and target.batch > 1:
                batch.append((item, outputs, operations[0]))
            else:
                _one(target, item, fill, tally, outputs)
    for start in range(0, len(batch), target.batch):
        _together(target, batch[start : start + target.batch], fill, tally)


def _together(
    target: Target,
    batch: list[tuple[WireItem, Any, tuple[str, dict[str, Any]]]],
    fill: Any,
    tally: Tally,
) -> None:
    if len(batch) == 1:
        item, outputs, _operation = batch[0]
        _one(target, item, fill, tally, outputs)
        return
    requests = [{kind: request} for _item, _outputs, (kind, request) in batch]
    if target.limiter is not None:
        target.limiter.take(2 * sum(_units(r) for r in requests))  # transactions cost twice
    try:
        target.wire.call_patiently(
            "TransactWriteItems",
            {"TransactItems": requests, "ClientRequestToken": uuid.uuid4().hex},
        )
    except ClientError as exc:
        if code_of(exc) not in ("TransactionCanceledException", "TransactionConflictException"):
            raise
        for item, outputs, _operation in batch:  # nothing was written: one by one
            _one(target, item, fill, tally, outputs)
        return
    for item, outputs, _operation in batch:
        _count(outputs, _key_of(target, item), target, tally)


def _one(target: Target, item: WireItem, fill: Any, tally: Tally, outputs: Any) -> None:
    """One item on its own: write, and on a conflict read it again and fill it again."""
    for _attempt in range(MAX_ATTEMPTS):
        if outputs is None:
            tally.unchanged += 1
            return
        if _write(target, item, outputs, tally):
            return
        tally.conflicts += 1
        fresh = _reread(target, item)
        if fresh is None:
            tally.gone += 1
            return
        item = fresh
        outputs = _fill(target, item, fill)
    raise DynaformError(
        f"the item {_key_text(target, item)} of {target.table} changed {MAX_ATTEMPTS} times "
        "while it was being migrated",
        hint="run `dynaform migrate up` again when the table is calmer",
    )


def _fill(target: Target, item: WireItem, fill: Any) -> list[WireItem] | Any | None:
    """fill's answer as wire items (or DELETE); None when nothing changes."""
    try:
        result = fill(target.decoder.item(item))
    except Exception as exc:
        raise FillError(
            _key_plain(target, item),
            target.table,
            f"{type(exc).__name__}: {exc}",
            traceback.format_exc(),
        ) from exc
    if result is None:
        return None
    if result is DELETE:
        return DELETE
    many = result if isinstance(result, list) else [result]
    try:
        encoded = [target.encoder.item(one) for one in many]
    except (CodecError, TypeError, AttributeError) as exc:
        raise FillError(
            _key_plain(target, item), target.table, f"it returned what DynamoDB cannot store: {exc}"
        ) from exc
    for one in encoded:
        missing = [k for k in target.keys if k not in one]
        if missing:
            raise FillError(
                _key_plain(target, item),
                target.table,
                f"it returned an item without its key attribute {missing[0]!r}",
            )
    if len(encoded) == 1 and not _changes(target, item, encoded[0]):
        return None
    return encoded


def _same(target: Target, old: Any, new: Any) -> bool:
    return bool(old == new or target.decoder.value(old) == target.decoder.value(new))


def _changes(target: Target, old: WireItem, new: WireItem) -> bool:
    if any(a not in new for a in old):
        return True
    return any(a not in old or not _same(target, old[a], v) for a, v in new.items())


def _key_of(target: Target, item: WireItem) -> WireItem:
    return {k: item[k] for k in target.keys}


def _key_plain(target: Target, item: WireItem) -> dict[str, Any]:
    return target.decoder.item(_key_of(target, item))


def _key_text(target: Target, item: WireItem) -> str:
    return str(_key_plain(target, item))


def _unchanged_since_read(
    target: Target, old: WireItem, new: WireItem | None, x: Expression
) -> str:
    """The condition: the item is as read (by version, else by every attribute read)."""
    version = target.version
    if version and version in old and "N" in old[version]:
        return f"{x.name(version)} = {x.value(old[version])}"
    parts = [f"attribute_exists({x.name(target.keys[0])})"]
    for attribute, value in old.items():
        if attribute not in target.keys:
            parts.append(f"{x.name(attribute)} = {x.value(value)}")
    for attribute in new or {}:
        if attribute not in old:
            parts.append(f"attribute_not_exists({x.name(attribute)})")
    return " AND ".join(parts)


def _bumped(target: Target, old: WireItem, new: WireItem) -> WireItem:
    """The new item with its version incremented (unless fill set the version itself)."""
    version = target.version
    if not version or version not in old or "N" not in old[version]:
        return new
    if version in new and not _same(target, old[version], new[version]):
        return new
    current = target.decoder.value(old[version])
    return {**new, version: {"N": str(current + 1)}}


def _update(target: Target, old: WireItem, new: WireItem) -> dict[str, Any]:
    new = _bumped(target, old, new)
    x = Expression()
    condition = _unchanged_since_read(target, old, new, x)
    sets = [
        f"{x.name(a)} = {x.value(v)}"
        for a, v in new.items()
        if a not in target.keys and (a not in old or not _same(target, old[a], v))
    ]
    removes = [x.name(a) for a in old if a not in new]
    expression = ("SET " + ", ".join(sets) if sets else "") + (
        " REMOVE " + ", ".join(removes) if removes else ""
    )
    request = {
        "TableName": target.table,
        "Key": _key_of(target, old),
        "UpdateExpression": expression.strip(),
        "ConditionExpression": condition,
    }
    return x.bind(request)


def _delete(target: Target, old: WireItem) -> dict[str, Any]:
    x = Expression()
    condition = _unchanged_since_read(target, old, None, x)
    return x.bind(
        {"TableName": target.table, "Key": _key_of(target, old), "ConditionExpression": condition}
    )


def _create(target: Target, new: WireItem) -> dict[str, Any]:
    x = Expression()
    condition = f"attribute_not_exists({x.name(target.keys[0])})"
    return x.bind({"TableName": target.table, "Item": new, "ConditionExpression": condition})


def _units(payload: Any) -> int:
    return max(1, math.ceil(len(orjson.dumps(payload)) / 1024))


def _operations(target: Target, old: WireItem, outputs: Any) -> list[tuple[str, dict[str, Any]]]:
    """The conditional writes that turn ``old`` into ``outputs``."""
    key = _key_of(target, old)
    if outputs is DELETE:
        return [("Delete", _delete(target, old))]
    stays = [o for o in outputs if _key_of(target, o) == key]
    if len(stays) > 1:
        raise FillError(
            _key_plain(target, old), target.table, "it returned two items with the same key"
        )
    operations = [("Update", _update(target, old, o)) for o in stays]
    operations += [("Put", _create(target, o)) for o in outputs if _key_of(target, o) != key]
    if not stays:
        operations.append(("Delete", _delete(target, old)))
    return operations


def _write(target: Target, old: WireItem, outputs: Any, tally: Tally) -> bool:
    """Send the conditional write(s); False when the item changed since it was read."""
    operations = _operations(target, old, outputs)
    if target.limiter is not None:
        factor = 2 if len(operations) > 1 else 1  # transactions cost twice
        target.limiter.take(factor * sum(_units(r) for _, r in operations))
    try:
        if len(operations) == 1:
            kind, request = operations[0]
            target.wire.call_patiently(kind + "Item", request)
        else:
            items = [{kind: request} for kind, request in operations]
            target.wire.call_patiently("TransactWriteItems", {"TransactItems": items})
    except ClientError as exc:
        return _conflict(target, old, exc)
    _count(outputs, _key_of(target, old), target, tally)
    return True


def _count(outputs: Any, key: WireItem, target: Target, tally: Tally) -> None:
    if outputs is DELETE:
        tally.deleted += 1
        return
    kept = any(_key_of(target, o) == key for o in outputs)
    tally.changed += 1 if kept else 0
    tally.deleted += 0 if kept else 1
    tally.created += sum(1 for o in outputs if _key_of(target, o) != key)


def _conflict(target: Target, old: WireItem, exc: ClientError) -> bool:
    """False: the original changed (retry). A transaction refused for another reason, a new
    item that already exists, is an error naming it."""
    code = code_of(exc)
    if code == "ConditionalCheckFailedException":
        return False
    if code == "TransactionCanceledException":
        fresh = _reread(target, old)
        if fresh is None or _changes(target, old, fresh):
            return False
        raise FillError(
            _key_plain(target, old),
            target.table,
            f"an item it creates already exists, or the transaction was refused ({exc})",
        ) from exc
    raise exc


def _reread(target: Target, item: WireItem) -> WireItem | None:
    answer = target.wire.call_patiently(
        "GetItem",
        {"TableName": target.table, "Key": _key_of(target, item), "ConsistentRead": True},
    )
    found = answer.get("Item")
    return dict(found) if found else None


def _dry(target: Target, old: WireItem, outputs: Any, tally: Tally) -> None:
    _count(outputs, _key_of(target, old), target, tally)
    if len(tally.samples) < SAMPLES:
        after = None if outputs is DELETE else [target.decoder.item(o) for o in outputs]
        one = after[0] if after is not None and len(after) == 1 else after
        tally.samples.append((target.decoder.item(old), one))
