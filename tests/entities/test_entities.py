"""The typed data layer against the session's DynamoDB Local."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from dynaform.entities import (
    AlreadyExists,
    ConflictError,
    Entity,
    EntityValidationError,
    InvalidCursor,
    NotFound,
    Store,
    TableMissing,
    TransactionFailed,
    TxCheck,
    TxPut,
    TxUpdate,
    compare,
)
from dynaform.entities.expressions import Update
from dynaform.entities.model import TYPE_ATTRIBUTE


class Event(Entity):
    user_id: str
    event_id: str
    start: datetime
    title: str
    recurring: str | None = None
    version: int = 0
    expires_at: datetime | None = None

    class Meta:
        table = "app"
        pk = "USER#{user_id}"
        sk = "EVENT#{start:%Y-%m-%d}#{event_id}"
        indexes = {
            "GSI1": ("GSI1PK", "USER#{user_id}#YEAR#{start:%Y}", "GSI1SK", "{start:%m-%d}"),
            "GSI2": ("GSI2PK", "MASTER#{recurring}", "GSI2SK", "{event_id}"),
        }
        version = "version"
        ttl = "expires_at"


class Counter(Entity):
    name: str
    hits: int = 0
    version: int = 0

    class Meta:
        table = "app"
        pk = "COUNTER#{name}"
        sk = "COUNTER"
        version = "version"


class Odd(Entity):
    """Attribute names that are reserved words or look like expression syntax."""

    key: str
    name: str = ""
    status: str = ""
    size: int = 0

    class Meta:
        table = "app"
        pk = "ODD#{key}"
        sk = "ODD"


@pytest.fixture(scope="module")
def store(ddb: Any) -> Store:
    import uuid

    table = f"entities-{uuid.uuid4().hex[:8]}"
    attributes = ["PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK"]
    ddb.create_table(
        TableName=table,
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in attributes],
        KeySchema=[
            {"AttributeName": "PK", "KeyType": "HASH"},
            {"AttributeName": "SK", "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": g,
                "KeySchema": [
                    {"AttributeName": f"{g}PK", "KeyType": "HASH"},
                    {"AttributeName": f"{g}SK", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for g in ("GSI1", "GSI2")
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return Store(ddb, tables={"app": table}, cursor_key=b"test-key-" + b"0" * 32)


def event(n: int, user: str = "u1", **extra: Any) -> Event:
    start = datetime(2024, 6, 1, 9, tzinfo=UTC) + timedelta(days=n)
    return Event(user_id=user, event_id=f"e{n:03d}", start=start, title=f"Event {n}", **extra)


def test_items_carry_keys_type_iso_times_and_sparse_indexes() -> None:
    item = event(3).to_item()
    assert item["PK"] == {"S": "USER#u1"} and item["SK"] == {"S": "EVENT#2024-06-04#e003"}
    assert item["GSI1PK"] == {"S": "USER#u1#YEAR#2024"} and item["GSI1SK"] == {"S": "06-04"}
    assert "GSI2PK" not in item  # no `recurring`: not in the sparse index
    assert item["start"] == {"S": "2024-06-04T09:00:00Z"}
    assert item[TYPE_ATTRIBUTE] == {"S": "Event"}
    assert event(3, recurring="m1").to_item()["GSI2PK"] == {"S": "MASTER#m1"}
    with pytest.raises(EntityValidationError, match="needs user_id"):
        Event.key_of(event_id="x")


def test_create_get_update_delete(store: Store) -> None:
    created = store.create(event(1, user="crud"))
    assert created.version == 0
    with pytest.raises(AlreadyExists):
        store.create(event(1, user="crud"))
    keys = {"user_id": "crud", "event_id": "e001", "start": created.start}
    got = store.get(Event, **keys)
    assert got == created and got.start.tzinfo is not None
    changed = store.update(Event, keys, set={"title": "Renamed", "recurring": "m9"})
    assert changed.title == "Renamed" and changed.version == 1
    assert store.query(Event, index="GSI2", recurring="m9").items == [changed]
    changed = store.update(Event, keys, remove=["recurring"], expected_version=1)
    assert changed.recurring is None and changed.version == 2
    with pytest.raises(ConflictError) as caught:
        store.update(Event, keys, set={"title": "stale"}, expected_version=1)
    assert caught.value.current_version == 2
    store.delete(Event, **keys)
    with pytest.raises(NotFound):
        store.get(Event, **keys)
    with pytest.raises(NotFound):
        store.update(Event, keys, set={"title": "ghost"})
    with pytest.raises(EntityValidationError, match="part of the key"):
        store.update(Event, keys, set={"user_id": "other"})


def test_update_expression_builder_add_append_if_not_exists(store: Store) -> None:
    store.create(Counter(name="ops"))
    after = store.update(
        Counter,
        {"name": "ops"},
        add={"hits": 5},
        if_not_exists={"first": "yes"},
        append={"log": ["a"]},
    )
    again = store.update(
        Counter,
        {"name": "ops"},
        add={"hits": 2},
        if_not_exists={"first": "no"},
        append={"log": ["b"]},
    )
    raw = store.client.get_item(TableName=store.table(Counter), Key=Counter.key_of(name="ops"))
    assert after.hits == 5 and again.hits == 7 and again.version == 2
    assert raw["Item"]["first"] == {"S": "yes"}
    assert raw["Item"]["log"] == {"L": [{"S": "a"}, {"S": "b"}]}


def test_optimistic_locking_under_contention(store: Store) -> None:
    store.create(Counter(name="contended"))
    successes = [0] * 8
    conflicts = [0] * 8

    def worker(slot: int) -> None:
        current = store.get(Counter, name="contended", consistent=True)
        done = 0
        while done < 50:
            try:
                current = store.update(
                    Counter,
                    {"name": "contended"},
                    add={"hits": 1},
                    expected_version=current.version,
                )
                done += 1
            except ConflictError as conflict:
                conflicts[slot] += 1
                assert conflict.current_version is not None
                current = current.model_copy(update={"version": conflict.current_version})
        successes[slot] = done

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    final = store.get(Counter, name="contended", consistent=True)
    assert sum(successes) == 400
    assert final.version == 400 and final.hits == 400
    assert sum(conflicts) > 0  # the test did contend


def test_query_conditions_pagination_and_cursors(store: Store) -> None:
    for n in range(30):
        store.put(event(n, user="pager"))
    june = store.query(Event, user_id="pager", sk=("begins_with", "EVENT#2024-06"))
    assert len(june.items) == 30 and june.cursor is None
    between = store.query(
        Event, user_id="pager", sk=("between", "EVENT#2024-06-10", "EVENT#2024-06-12~")
    )
    assert [e.event_id for e in between.items] == ["e009", "e010", "e011"]
    latest = store.query(Event, user_id="pager", sk=("gte", "EVENT#2024-06-29"), descending=True)
    assert [e.event_id for e in latest.items] == ["e029", "e028"]
    year = store.query(
        Event,
        index="GSI1",
        user_id="pager",
        start=datetime(2024, 1, 1, tzinfo=UTC),
        sk=("lt", "06-05"),
    )
    assert {e.event_id for e in year.items} == {"e000", "e001", "e002", "e003"}

    seen: list[str] = []
    page = store.query(Event, user_id="pager", limit=7)
    while True:
        seen += [e.event_id for e in page.items]
        if not page.cursor:
            break
        page = store.query(Event, user_id="pager", limit=7, cursor=page.cursor)
    assert seen == [f"e{n:03d}" for n in range(30)]
    first = store.query(Event, user_id="pager", limit=5)
    assert first.cursor is not None
    tampered = first.cursor[:-3] + ("AAA" if not first.cursor.endswith("AAA") else "BBB")
    with pytest.raises(InvalidCursor):
        store.query(Event, user_id="pager", limit=5, cursor=tampered)
    with pytest.raises(InvalidCursor, match="another query"):
        store.query(Event, user_id="someone-else", limit=5, cursor=first.cursor)
    foreign = Store(store.client, tables=store.tables, cursor_key=b"another-key-" + b"0" * 32)
    with pytest.raises(InvalidCursor):
        foreign.query(Event, user_id="pager", limit=5, cursor=first.cursor)
    assert store.count(Event, user_id="pager") == 30


def test_reserved_words_and_hostile_strings_round_trip(store: Store) -> None:
    hostile = ["name = :v0 OR #n0", "'; DROP TABLE x; --", "#n0", ":v1", "a.b[0]", "${x}"]
    for n, text in enumerate(hostile):
        odd = Odd(key=f"k{n}:{text}", name=text, status=text, size=n)
        store.put(odd)
        assert store.get(Odd, key=odd.key) == odd
        changed = store.update(
            Odd,
            {"key": odd.key},
            set={"status": text + "!", "size": n + 1},
            condition=compare("name", "eq", text),
        )
        assert changed.status == text + "!" and changed.name == text
    weird = store.update(Odd, {"key": "k0:" + hostile[0]}, set={"a.b": "dotted", "#x": ":y"})
    raw = store.client.get_item(TableName=store.table(Odd), Key=Odd.key_of(key=weird.key))["Item"]
    assert raw["a.b"] == {"S": "dotted"} and raw["#x"] == {"S": ":y"}


def test_expired_items_are_hidden_by_default(store: Store) -> None:
    past = event(1, user="ttl", expires_at=datetime.now(UTC) - timedelta(minutes=1))
    future = event(2, user="ttl", expires_at=datetime.now(UTC) + timedelta(days=1))
    store.put(past)
    store.put(future)
    raw = store.client.get_item(TableName=store.table(Event), Key=past.item_key())["Item"]
    assert "N" in raw["expires_at"]  # epoch seconds, what DynamoDB TTL reads
    assert [e.event_id for e in store.query(Event, user_id="ttl").items] == ["e002"]
    assert store.find(Event, user_id="ttl", event_id="e001", start=past.start) is None
    everything = Store(store.client, tables=store.tables, hide_expired=False)
    assert len(everything.query(Event, user_id="ttl").items) == 2


def test_batches(store: Store) -> None:
    written = store.batch_write(puts=[event(n, user="batch") for n in range(130)])
    assert written == 130
    keys = [
        {"user_id": "batch", "event_id": f"e{n:03d}", "start": event(n).start} for n in range(130)
    ] + [{"user_id": "batch", "event_id": "zzz", "start": event(0).start}]
    found = store.batch_get(Event, keys)
    assert len(found) == 130  # the missing one is left out
    store.batch_write(deletes=[(Event, k) for k in keys[:30]])
    assert store.count(Event, user_id="batch") == 100


def test_transactions_commit_or_say_what_failed(store: Store) -> None:
    store.create(Counter(name="tx-a"))
    store.transact_write(
        [
            TxPut(Counter(name="tx-b"), must_not_exist=True),
            TxUpdate(Counter, {"name": "tx-a"}, Update(add={"hits": 10}), expected_version=0),
        ]
    )
    both = store.transact_get([(Counter, {"name": "tx-a"}), (Counter, {"name": "tx-b"})])
    assert both[0].hits == 10 and both[0].version == 1 and both[1].name == "tx-b"
    with pytest.raises(TransactionFailed) as caught:
        store.transact_write(
            [
                TxUpdate(Counter, {"name": "tx-a"}, Update(add={"hits": 1})),
                TxCheck(Counter, {"name": "tx-b"}, compare("hits", "gt", 100)),
            ]
        )
    [(index, what, code, _)] = caught.value.reasons
    assert index == 1 and "check Counter" in what and code == "ConditionalCheckFailed"
    assert store.get(Counter, name="tx-a").hits == 10  # nothing was written


def test_missing_table_says_to_apply(store: Store) -> None:
    lost = Store(store.client, tables={"app": "no-such-table-here"})
    with pytest.raises(TableMissing) as caught:
        lost.get(Counter, name="x")
    assert "dynaform apply" in caught.value.hint


def test_numbers_and_floats_are_exact(store: Store) -> None:
    class Price(Entity):
        sku: str
        amount: Decimal
        ratio: float

        class Meta:
            table = "app"
            pk = "PRICE#{sku}"
            sk = "PRICE"

    price = Price(sku="p1", amount=Decimal("19.990000000000000000000000000000000001"), ratio=0.1)
    store.put(price)
    assert store.get(Price, sku="p1") == price


def test_batch_write_through_the_data_plane_writer(store: Store, ddb_endpoint: str) -> None:
    from tests.conftest import local_settings

    connected = Store.connect(local_settings(ddb_endpoint), ddb_endpoint, tables=store.tables)
    assert connected.wire is not None
    assert connected.batch_write(puts=[event(n, user="bulk") for n in range(60)]) == 60
    assert connected.count(Event, user_id="bulk") == 60
    keys = [
        {"user_id": "bulk", "event_id": f"e{n:03d}", "start": event(n).start} for n in range(60)
    ]
    assert connected.batch_write(deletes=[(Event, k) for k in keys]) == 60
    assert connected.count(Event, user_id="bulk") == 0
