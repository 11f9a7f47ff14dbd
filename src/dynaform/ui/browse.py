"""The table view's reading side: the page's parameters, the query or scan they mean, signed
cursors for next/previous, the union of the page's attributes as columns, entity types, and
the export of everything the view matches."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from dynaform.core.item_json import columns, display, dumps
from dynaform.core.item_keys import SortCondition
from dynaform.errors import UsageError

if TYPE_CHECKING:
    from dynaform.api.items import ItemTable, Page
    from dynaform.api.ui_support import EntityLayout
    from dynaform.ui.security import Signer

PAGE_SIZES = (10, 25, 50, 100, 200)
TYPE_ATTRIBUTES = ("_type", "entity")  # how single-table designs name an item's entity
MAX_HISTORY = 50  # previous-page keys a cursor carries
OPERATORS = ("=", "<", "<=", ">", ">=", "between", "begins_with")


def pack(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode()).decode()


def unpack(text: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(text.encode()))
    except (ValueError, json.JSONDecodeError):
        raise UsageError("a value in the request was damaged; reload the page") from None


@dataclass(frozen=True)
class View:
    """What a table page shows: everything in its URL."""

    table: str
    env: str | None = None
    index: str = ""
    pk: str = ""
    op: str = "="
    v1: str = ""
    v2: str = ""
    filter: str = ""
    type: str = ""
    type_attr: str = "_type"
    size: int = 25
    desc: bool = False
    sort: str = ""
    cursor: str = ""
    group: bool = False

    @classmethod
    def from_query(cls, table: str, env: str | None, args: Mapping[str, str]) -> View:
        size = int(args["size"]) if args.get("size", "").isdigit() else 25
        op = args.get("op", "=")
        return cls(
            table=table,
            env=env,
            index=args.get("index", ""),
            pk=args.get("pk", "").strip(),
            op=op if op in OPERATORS else "=",
            v1=args.get("v1", ""),
            v2=args.get("v2", ""),
            filter=args.get("filter", "").strip(),
            type=args.get("type", "").strip(),
            type_attr=args.get("type_attr", "_type") or "_type",
            size=size if size in PAGE_SIZES else 25,
            desc=args.get("desc") in ("1", "on", "true"),
            sort=args.get("sort", ""),
            cursor=args.get("cursor", ""),
            group=args.get("group") in ("1", "on", "true"),
        )

    def params(self, **changes: Any) -> str:
        """The URL query of this view with ``changes`` (empty values left out)."""
        view = replace(self, **changes)
        pairs = {
            "env": view.env or "",
            "index": view.index,
            "pk": view.pk,
            "op": view.op if view.pk else "",
            "v1": view.v1 if view.pk else "",
            "v2": view.v2 if view.pk and view.op == "between" else "",
            "filter": view.filter,
            "type": view.type,
            "type_attr": view.type_attr if view.type else "",
            "size": str(view.size) if view.size != 25 else "",
            "desc": "1" if view.desc else "",
            "sort": view.sort,
            "cursor": view.cursor,
            "group": "1" if view.group else "",
        }
        return urlencode({k: v for k, v in pairs.items() if v})

    def context(self) -> str:
        """What a cursor is bound to: the table and the query, not the page or its sorting."""
        return self.params(cursor="", sort="", size=self.size, group=False)

    def sort_condition(self) -> SortCondition | None:
        if not self.v1 and self.op != "between":
            return None
        values = (self.v1, self.v2) if self.op == "between" else (self.v1,)
        return SortCondition(self.op, values)

    def full_filter(self) -> str | None:
        type_part = f"{self.type_attr} = {json.dumps(self.type)}" if self.type else ""
        if self.filter and type_part:
            return f"({self.filter}) and {type_part}"
        return self.filter or type_part or None


@dataclass
class Rows:
    """One page, ready for the template."""

    view: View
    columns: list[str]
    rows: list[dict[str, Any]]  # {"cells": [...], "key": packed key, "item": packed item}
    next: str | None
    prev: str | None
    page_number: int
    scanned: int
    types: dict[str, int] = field(default_factory=dict)
    mode: str = "scan"
    layouts: dict[str, EntityLayout] = field(default_factory=dict)  # declared, by _type


def read(table: ItemTable, view: View, start: Any = None) -> Page:
    from dynaform.api import items

    index = view.index or None
    if view.pk:
        q = items.Query(view.pk, view.sort_condition(), index, view.full_filter(), view.desc)
        return items.query(table, q, view.size, start)
    if index:
        raise UsageError("querying an index needs its partition key value")
    return items.scan(table, view.full_filter(), view.size, start)


def page(
    table: ItemTable, view: View, signer: Signer, layouts: list[EntityLayout] | None = None
) -> Rows:
    """One page of the view. With declared entities: the chips are the declared types, a
    type's page shows its fields as columns, and ``group`` orders the page by type."""
    from dynaform.api.items import plain

    declared = {layout.type_name: layout for layout in layouts or []}

    history: list[Any] = signer.open(view.cursor, view.context()) if view.cursor else []
    result = read(table, view, history[-1] if history else None)
    items = [plain(i) for i in result.items]
    key_names = table.schema.key.names
    if view.index:
        key_names += tuple(n for n in table.schema.of(view.index).names if n not in key_names)
    if view.sort:
        items = sorted(items, key=lambda i: _sort_key(i.get(view.sort)), reverse=view.desc)
    elif view.group:
        items = grouped(items, view.type_attr, list(declared))
    names = _columns(items, key_names, declared.get(view.type))
    rows = [_row(table, item, names) for item in items]
    if view.group and not view.sort:
        _mark_groups(rows, items, view.type_attr)
    next_cursor = None
    if result.last_key is not None:
        next_cursor = signer.sign([*history, result.last_key][-MAX_HISTORY:], view.context())
    prev_cursor = None
    if history:
        prev_cursor = signer.sign(history[:-1], view.context()) if len(history) > 1 else ""
    return Rows(
        view,
        names,
        rows,
        next_cursor,
        prev_cursor,
        len(history) + 1,
        result.scanned,
        {name: 0 for name in declared} | entity_types(items, view.type_attr),
        "query" if view.pk else "scan",
        declared,
    )


def _columns(
    items: list[dict[str, Any]], key_names: tuple[str, ...], layout: EntityLayout | None
) -> list[str]:
    """The union of the page's attributes, keys first; on a declared entity's page its
    fields come next, in declaration order, also those no item of the page has."""
    found = columns(items, key_names)
    if layout is None:
        return found
    first = [*key_names, *(f for f in layout.fields if f not in key_names)]
    return first + [name for name in found if name not in first]


def grouped(items: list[dict[str, Any]], attribute: str, order: list[str]) -> list[dict[str, Any]]:
    """The page ordered by entity type (declared types first, in declaration order, then the
    others by name, then items without a type), each group in its own order."""

    def rank(item: dict[str, Any]) -> tuple[int, int, str]:
        value = item.get(attribute)
        if not isinstance(value, str):
            return (2, 0, "")
        return (0, order.index(value), "") if value in order else (1, 0, value)

    return sorted(items, key=rank)


def _mark_groups(rows: list[dict[str, Any]], items: list[dict[str, Any]], attribute: str) -> None:
    """Each row that starts a type's group carries the type (a header row in the table)."""
    types = [v if isinstance(v := item.get(attribute), str) else "" for item in items]
    previous: str | None = None
    for row, value in zip(rows, types, strict=True):
        if value != previous:
            row["group"] = value or "(no type)"
            row["group_type"] = value
            row["group_size"] = types.count(value)
        previous = value


def _row(table: ItemTable, item: dict[str, Any], names: list[str]) -> dict[str, Any]:
    from dynaform.api.items import wire_form

    wire = wire_form(item)
    return {
        "cells": [display(item[n], 40) if n in item else None for n in names],
        "key": pack(table.key_of(wire)),
        "item": pack(wire),
    }


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (3, "")
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return (0, Decimal(value))
    if isinstance(value, str):
        return (1, value)
    return (2, dumps(value))


def entity_types(items: list[dict[str, Any]], attribute: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        value = item.get(attribute)
        if isinstance(value, str):
            counts[value] = counts.get(value, 0) + 1
    return counts


def type_attribute(table: ItemTable) -> str:
    """``_type`` or ``entity``, whichever a first small page of the table carries."""
    from dynaform.api import items

    sample = items.scan(table, None, 25).items
    for name in TYPE_ATTRIBUTES:
        if any(name in i for i in sample):
            return name
    return TYPE_ATTRIBUTES[0]


def export_batches(table: ItemTable, view: View) -> Iterator[list[Any]]:
    """Every item the view matches (not only the page), in pages of 500 (wire form)."""
    start = None
    whole = replace(view, size=500)
    while True:
        result = read(table, whole, start)
        yield result.items
        if result.last_key is None:
            return
        start = result.last_key


def export_lines(table: ItemTable, view: View, kind: str) -> Iterator[str]:
    """Every item the view matches, as DynamoDB JSON lines (what ``dynaform data import``
    reads) or plain JSON lines with exact numbers."""
    from dynaform.api.items import plain

    for batch in export_batches(table, view):
        for item in batch:
            if kind == "ddb-json":
                yield json.dumps({"Item": item}, ensure_ascii=False) + "\n"
            else:
                yield dumps(plain(item)) + "\n"
