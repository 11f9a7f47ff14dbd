"""``dynaform.api.items``: writes conditional on the item being unchanged since it was read
(what the web UI's edit and delete rely on), and exact page cursors, on DynamoDB Local."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dynaform import api
from dynaform.api import items
from dynaform.settings import Flags
from tests.cli.test_items import EXACT_ITEM


@pytest.fixture
def table(ddb: Any, ddb_endpoint: str, table_name: Any, clean_env: Any, tmp_path: Path) -> Any:
    name = table_name("api-items")
    ddb.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("PK", "SK")],
        KeySchema=[
            {"AttributeName": "PK", "KeyType": "HASH"},
            {"AttributeName": "SK", "KeyType": "RANGE"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    binding = api.bind(None, None, Flags(endpoint_url=ddb_endpoint), {}, project_dir=tmp_path)
    return items.open_table(binding, name)


def test_a_write_conditional_on_the_displayed_item_sees_any_change(table: Any) -> None:
    shown = items.put_item(table, EXACT_ITEM)  # maps, lists, sets and binary compared exactly
    edited = shown | {"note": {"S": "mine"}}
    items.put_item(table, edited, expected=shown)
    assert items.get_item(table, table.parse_key(["PK=EXACT", "SK=ITEM"])) == edited
    with pytest.raises(items.ItemConflictError, match="changed or was deleted since it was read"):
        items.put_item(table, shown | {"note": {"S": "theirs"}}, expected=shown)
    with pytest.raises(items.ItemConflictError, match="nothing was deleted"):
        items.delete_item(table, table.parse_key(["PK=EXACT", "SK=ITEM"]), expected=shown)
    old = items.delete_item(table, table.parse_key(["PK=EXACT", "SK=ITEM"]), expected=edited)
    assert old == edited


def test_pages_end_at_their_last_item_and_the_next_starts_right_after(table: Any) -> None:
    for n in range(7):
        items.put_item(table, {"PK": {"S": "P"}, "SK": {"S": f"{n}"}, "odd": {"N": str(n % 2)}})
    query = items.Query("P", None, None, "odd = 1")
    seen: list[str] = []
    start = None
    for _ in range(4):
        page = items.query(table, query, 2, start)
        seen += [i["SK"]["S"] for i in page.items]
        start = page.last_key
        if start is None:
            break
    assert seen == ["1", "3", "5"]
    everything = items.scan(table, None, 5)
    assert len(everything.items) == 5 and everything.last_key is not None
    rest = items.scan(table, None, 5, everything.last_key)
    assert len(rest.items) == 2 and rest.last_key is None


def test_the_condition_itself_compares_maps_sets_and_binary_exactly(table: Any) -> None:
    """Without the read first: DynamoDB's own check of every attribute shown."""
    from dynaform.core.item_keys import Expression

    shown = items.put_item(table, EXACT_ITEM)

    def put_if(expected: dict[str, Any]) -> None:
        expr = Expression()
        condition = items.unchanged_condition(expr, expected)
        request = {"TableName": table.name, "Item": shown, "ConditionExpression": condition}
        items._call(table, "PutItem", request | expr.request())

    put_if(shown)  # identical: accepted
    nested = dict(shown["nested"]["M"]) | {"deep": {"M": {"bin": {"B": "AA=="}}}}
    with pytest.raises(items.ItemConflictError):
        put_if(shown | {"nested": {"M": nested}})
    with pytest.raises(items.ItemConflictError):
        put_if(shown | {"blobs": {"BS": ["AAEC"]}})
