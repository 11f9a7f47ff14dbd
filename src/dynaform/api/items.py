"""Single items through the one door: get, query, scan, put and delete, with keys typed from
the table's key schema and every value exact (the data plane's codec and wire client).

Items travel in the wire form (DynamoDB JSON, binary as base64 text) so nothing is rounded or
re-typed on the way; ``plain`` turns one into Python values (int/Decimal, sets, bytes).

A page is exact: when more items were read than asked for, the cursor (``last_key``) is the key
of the last item returned, not DynamoDB's LastEvaluatedKey, so the next page starts right after
it. Filters read on until a page is full, so a filtered page is never empty while items remain.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dynaform.api.binding import Binding, Protection, translated
from dynaform.api.data import data_table
from dynaform.core.item_filter import parse_filter
from dynaform.core.item_keys import (
    Expression,
    KeySchema,
    SortCondition,
    key_condition,
    key_schema,
    parse_key,
)
from dynaform.errors import DynaformError, UsageError

if TYPE_CHECKING:
    from dynaform.data.wire import WireClient

WireItem = dict[str, Any]
VERSION_ATTRIBUTE = "version"
MAX_CONDITION_CHARS = 4000  # DynamoDB allows 4 KB of expression text


class ItemConflictError(DynaformError):
    """A conditional write was refused: the item is not as the caller last saw it."""


@dataclass
class ItemTable:
    """One physical table with its key schema, and one wire client for all its calls."""

    binding: Binding
    name: str
    schema: KeySchema
    protection: Protection | None
    _wire: WireClient | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def wire(self) -> WireClient:
        with self._lock:
            if self._wire is None:
                self._wire = self.binding.wire()
            return self._wire

    @property
    def target(self) -> str:
        return self.binding.connection().target

    def key_of(self, item: WireItem, index: str | None = None) -> WireItem:
        """The attributes a cursor needs: the table's key, plus the index's key."""
        names = list(self.schema.key.names)
        if index is not None:
            names += [n for n in self.schema.of(index).names if n not in names]
        return {n: item[n] for n in names if n in item}

    def parse_key(self, pairs: list[str]) -> WireItem:
        return parse_key(self.schema, pairs)


def open_table(binding: Binding, name: str) -> ItemTable:
    """TABLE by logical or physical name, its keys read with DescribeTable."""
    from dynaform.data import ops

    table = data_table(binding, name)
    with translated(table.target):
        described = ops.describe(table.wire(), table.name)
    return ItemTable(binding, table.name, key_schema(described), table.protection)


def plain(item: WireItem) -> dict[str, Any]:
    """Wire form -> Python values, exactly (int/Decimal, set, bytes, nested maps)."""
    from dynaform.data.codec import unmarshal

    return unmarshal(item)


def wire_form(item: dict[str, Any]) -> WireItem:
    """Python values -> wire form; a value DynamoDB cannot store is a UsageError."""
    from dynaform.data.codec import CodecError, marshal

    try:
        return marshal(item)
    except CodecError as exc:
        raise UsageError(f"the item cannot be stored: {exc}") from None


def checked_wire(item: Any) -> WireItem:
    """An item already in DynamoDB JSON, checked by decoding it once."""
    from dynaform.data.codec import CodecError, unmarshal

    if not isinstance(item, dict) or not all(isinstance(v, dict) for v in item.values()):
        raise UsageError('DynamoDB JSON is an object of {"TYPE": value} attributes')
    try:
        unmarshal(item)
    except (CodecError, ValueError, TypeError) as exc:
        raise UsageError(f"not valid DynamoDB JSON: {exc}") from None
    return item


def _call(table: ItemTable, operation: str, request: dict[str, Any]) -> dict[str, Any]:
    from botocore.exceptions import ClientError

    try:
        with translated(table.target):
            return table.wire().call(operation, request)
    except DynaformError as exc:
        cause = exc.__cause__
        if isinstance(cause, ClientError):
            code = cause.response.get("Error", {}).get("Code")
            if code == "ConditionalCheckFailedException":
                raise ItemConflictError("the condition failed") from cause
        raise


def get_item(table: ItemTable, key: WireItem, *, consistent: bool = True) -> WireItem | None:
    request = {"TableName": table.name, "Key": key, "ConsistentRead": consistent}
    found = _call(table, "GetItem", request).get("Item")
    return dict(found) if found is not None else None


@dataclass
class Page:
    items: list[WireItem]
    last_key: WireItem | None  # where the next page starts; None: nothing more
    scanned: int = 0  # items DynamoDB read (more than ``items`` when filtered)


@dataclass(frozen=True)
class Query:
    partition: str
    sort: SortCondition | None = None
    index: str | None = None
    filter: str | None = None
    descending: bool = False


def query_request(table: ItemTable, query: Query) -> dict[str, Any]:
    expr = Expression()
    key = table.schema.of(query.index)
    request: dict[str, Any] = {
        "TableName": table.name,
        "KeyConditionExpression": key_condition(expr, key, query.partition, query.sort),
        "ScanIndexForward": not query.descending,
    }
    if query.index:
        request["IndexName"] = query.index
    if query.filter:
        request["FilterExpression"] = parse_filter(query.filter, expr)
    return request | expr.request()


def scan_request(table: ItemTable, filter_text: str | None) -> dict[str, Any]:
    request: dict[str, Any] = {"TableName": table.name}
    if filter_text:
        expr = Expression()
        request["FilterExpression"] = parse_filter(filter_text, expr)
        request |= expr.request()
    return request


def read_page(
    table: ItemTable,
    operation: str,
    request: dict[str, Any],
    limit: int | None,
    start: WireItem | None = None,
    index: str | None = None,
) -> Page:
    """Reads on until ``limit`` items matched (None: until the end); an exact cursor."""
    items: list[WireItem] = []
    scanned = 0
    key = start
    while True:
        call = dict(request)
        if key:
            call["ExclusiveStartKey"] = key
        if limit is not None and "FilterExpression" not in request:
            call["Limit"] = limit - len(items)
        answer = _call(table, operation, call)
        scanned += int(answer.get("ScannedCount", 0))
        items += answer.get("Items", [])
        key = answer.get("LastEvaluatedKey")
        if limit is not None and len(items) >= limit:
            if len(items) > limit:  # read past the page: it ends at its last item
                items = items[:limit]
                key = table.key_of(items[-1], index)
            return Page(items, key, scanned)
        if not key:
            return Page(items, None, scanned)


def query(
    table: ItemTable, q: Query, limit: int | None = None, start: WireItem | None = None
) -> Page:
    return read_page(table, "Query", query_request(table, q), limit, start, q.index)


def scan(
    table: ItemTable,
    filter_text: str | None = None,
    limit: int | None = None,
    start: WireItem | None = None,
) -> Page:
    return read_page(table, "Scan", scan_request(table, filter_text), limit, start)


def parallel_scan(
    table: ItemTable, filter_text: str | None, limit: int | None, segments: int
) -> Iterator[WireItem]:
    """Scan segments in parallel threads; up to ``limit`` items in all (no cursor)."""
    if segments < 1:
        raise UsageError("--segments must be at least 1")
    base = scan_request(table, filter_text) | {"TotalSegments": segments}

    def segment(number: int) -> Page:
        return read_page(table, "Scan", base | {"Segment": number}, limit)

    with ThreadPoolExecutor(max_workers=min(segments, 8)) as pool:
        pages = list(pool.map(segment, range(segments)))
    served = 0
    for page in pages:
        for item in page.items:
            if limit is not None and served >= limit:
                return
            served += 1
            yield item


def unchanged_condition(expr: Expression, item: WireItem) -> str:
    """Every attribute as displayed (or, when that is too long, the version when there is
    one): a write under it fails if anything changed in between."""
    parts = [f"{expr.name(name)} = {expr.value(value)}" for name, value in sorted(item.items())]
    text = " AND ".join(parts)
    if len(text) + sum(len(str(v)) for v in expr.values.values()) <= MAX_CONDITION_CHARS:
        return text
    raise DynaformError(
        "the item is too large to check for concurrent changes attribute by attribute",
        hint="give it a version attribute and write with --if-version",
    )


def _still(table: ItemTable, expected: WireItem, what: str) -> None:
    """The condition compares the attributes shown; a consistent read first also catches an
    attribute added since (DynamoDB has no condition for "no other attributes")."""
    stored = get_item(table, table.key_of(expected))
    if stored is None or plain(stored) != plain(expected):
        raise ItemConflictError(
            f"the item changed or was deleted since it was read; nothing was {what}", hint=_HINT
        )


def _write_condition(
    table: ItemTable,
    expected: WireItem | None,
    if_not_exists: bool,
    if_version: int | None,
) -> tuple[str | None, Expression]:
    expr = Expression()
    if if_not_exists:
        return f"attribute_not_exists({expr.name(table.schema.key.partition[0])})", expr
    if if_version is not None:
        value = expr.value({"N": str(if_version)})
        return f"{expr.name(VERSION_ATTRIBUTE)} = {value}", expr
    if expected is not None:
        return unchanged_condition(expr, expected), expr
    return None, expr


def put_item(
    table: ItemTable,
    item: WireItem,
    *,
    if_not_exists: bool = False,
    if_version: int | None = None,
    expected: WireItem | None = None,
) -> WireItem:
    """Write an item. ``if_version N``: only when the stored version is N, and the written
    item's version becomes N+1 (unless it gives another). ``expected``: only when the stored
    item is exactly that one. A refused condition raises ``ItemConflictError``."""
    missing = [n for n in table.schema.key.names if n not in item]
    if missing:
        raise UsageError(f"the item has no {missing[0]}, a key of {table.name}")
    if if_version is not None and item.get(VERSION_ATTRIBUTE) in (None, {"N": str(if_version)}):
        item = item | {VERSION_ATTRIBUTE: {"N": str(if_version + 1)}}
    if expected is not None:
        _still(table, expected, "written")
    condition, expr = _write_condition(table, expected, if_not_exists, if_version)
    request: dict[str, Any] = {"TableName": table.name, "Item": item}
    if condition:
        request["ConditionExpression"] = condition
        request |= expr.request()
    try:
        _call(table, "PutItem", request)
    except ItemConflictError as exc:
        raise ItemConflictError(_conflict_message(if_not_exists, if_version), hint=_HINT) from exc
    return item


_HINT = "read the item again (dynaform data get) and retry on what is stored now"


def _conflict_message(if_not_exists: bool, if_version: int | None) -> str:
    if if_not_exists:
        return "the item already exists (--if-not-exists); nothing was written"
    if if_version is not None:
        return f"the stored item's {VERSION_ATTRIBUTE} is not {if_version}; nothing was written"
    return "the item changed or was deleted since it was read; nothing was written"


def delete_item(
    table: ItemTable, key: WireItem, *, expected: WireItem | None = None
) -> WireItem | None:
    """Delete by key; with ``expected``, only when the stored item is exactly that one.
    Returns the deleted item (None: there was none)."""
    request: dict[str, Any] = {"TableName": table.name, "Key": key, "ReturnValues": "ALL_OLD"}
    if expected is not None:
        _still(table, expected, "deleted")
        expr = Expression()
        request["ConditionExpression"] = unchanged_condition(expr, expected)
        request |= expr.request()
    try:
        answer = _call(table, "DeleteItem", request)
    except ItemConflictError as exc:
        raise ItemConflictError(
            "the item changed or was deleted since it was read; nothing was deleted", hint=_HINT
        ) from exc
    old = answer.get("Attributes")
    return dict(old) if old else None
