"""Safety of the entity layer against the session's DynamoDB Local: index keys under
concurrency, cursor keys and cursor bodies, version and batch edge cases."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dynaform.aws.client import dynamodb_client
from dynaform.entities import (
    ConflictError,
    Entity,
    EntityError,
    EntityValidationError,
    InvalidCursor,
    NotFound,
    Store,
    TableMissing,
    TransactionFailed,
    TxDelete,
    TxPut,
    TxUpdate,
)
from dynaform.entities import batches as batches_module
from dynaform.entities.expressions import Update
from dynaform.settings import Settings

KEY = b"k" * 32


class Task(Entity):
    task_id: str
    owner: str
    status: str
    title: str = ""
    points: int = 0
    blob: bytes | None = None
    version: int = 0

    class Meta:
        table = "tasks"
        pk = "TASK#{task_id}"
        sk = "TASK"
        indexes = {
            "GSI1": ("GSI1PK", "OWNER#{owner}#{status}", "GSI1SK", "TASK#{task_id}"),
            "GSI2": ("GSI2PK", "STATUS#{status}#{points}", "GSI2SK", "TASK#{task_id}"),
        }
        version = "version"


class Sample(Entity):
    """A table keyed on the entity's own fields, the sort key a number."""

    sensor: str
    seq: int
    value: int = 0

    class Meta:
        table = "samples"
        key_attributes = ("sensor", "seq")
        pk = "{sensor}"
        sk = "{seq}"


def _gsi(name: str, projection: str) -> dict[str, Any]:
    return {
        "IndexName": name,
        "KeySchema": [
            {"AttributeName": f"{name}PK", "KeyType": "HASH"},
            {"AttributeName": f"{name}SK", "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": projection},
    }


@pytest.fixture(scope="module")
def tables(ddb: Any) -> dict[str, str]:
    tasks, samples = f"tasks-{uuid.uuid4().hex[:8]}", f"samples-{uuid.uuid4().hex[:8]}"
    strings = ["PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK"]
    ddb.create_table(
        TableName=tasks,
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in strings],
        KeySchema=[
            {"AttributeName": "PK", "KeyType": "HASH"},
            {"AttributeName": "SK", "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=[_gsi("GSI1", "ALL"), _gsi("GSI2", "KEYS_ONLY")],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.create_table(
        TableName=samples,
        AttributeDefinitions=[
            {"AttributeName": "sensor", "AttributeType": "S"},
            {"AttributeName": "seq", "AttributeType": "N"},
        ],
        KeySchema=[
            {"AttributeName": "sensor", "KeyType": "HASH"},
            {"AttributeName": "seq", "KeyType": "RANGE"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return {"tasks": tasks, "samples": samples}


@pytest.fixture(scope="module")
def store(ddb: Any, tables: dict[str, str]) -> Store:
    return Store(ddb, tables=tables, cursor_key=KEY)


def stored(store: Store, task_id: str) -> dict[str, Any]:
    answer = store.client.get_item(
        TableName=store.table(Task), Key=Task.key_of(task_id=task_id), ConsistentRead=True
    )
    return dict(answer["Item"])


def index_keys_match_fields(item: dict[str, Any]) -> bool:
    fields = {"owner": item["owner"]["S"], "status": item["status"]["S"]}
    gsi1 = "OWNER#{owner}#{status}".format(**fields)
    gsi2 = f"STATUS#{fields['status']}#{item['points']['N']}"
    return item["GSI1PK"]["S"] == gsi1 and item["GSI2PK"]["S"] == gsi2


def race(first: Callable[[], object], second: Callable[[], object]) -> list[BaseException]:
    """Run two writes at the same moment; the errors they raised."""
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(write: Callable[[], object]) -> None:
        barrier.wait()
        try:
            write()
        except BaseException as exc:  # reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


# --- index keys under concurrency ---------------------------------------------------------


def test_concurrent_updates_of_two_key_fields_keep_the_index_key_right(store: Store) -> None:
    wrong: list[str] = []
    for trial in range(50):
        task_id = f"race-{trial}"
        store.create(Task(task_id=task_id, owner="ann", status="open"))
        keys = {"task_id": task_id}
        errors = race(
            lambda keys=keys: store.update(Task, keys, set={"owner": "bob"}),
            lambda keys=keys: store.update(Task, keys, set={"status": "done"}),
        )
        assert errors == []
        item = stored(store, task_id)
        assert (item["owner"]["S"], item["status"]["S"]) == ("bob", "done")
        assert item["version"] == {"N": "2"}
        if not index_keys_match_fields(item):
            wrong.append(f"{task_id}: {item['GSI1PK']['S']}")
    assert wrong == []


def test_update_through_add_and_if_not_exists_rewrites_index_keys(store: Store) -> None:
    store.create(Task(task_id="adder", owner="ann", status="open", points=1))
    after = store.update(Task, {"task_id": "adder"}, add={"points": 4})
    assert after.points == 5 and index_keys_match_fields(stored(store, "adder"))


def test_index_key_attributes_cannot_be_written_directly(store: Store) -> None:
    store.create(Task(task_id="direct", owner="ann", status="open"))
    with pytest.raises(EntityValidationError, match="GSI1PK"):
        store.update(Task, {"task_id": "direct"}, set={"GSI1PK": "OWNER#eve#open"})


def test_tx_update_rewrites_index_keys_and_refuses_key_changes(store: Store) -> None:
    store.create(Task(task_id="tx-index", owner="ann", status="open"))
    change = Update(set={"status": "done"})
    store.transact_write([TxUpdate(Task, {"task_id": "tx-index"}, change)])
    item = stored(store, "tx-index")
    assert item["GSI1PK"] == {"S": "OWNER#ann#done"} and index_keys_match_fields(item)
    assert change.add == {}  # the caller's Update is not changed (no version added to it)
    with pytest.raises(EntityValidationError, match="part of the key"):
        store.transact_write(
            [TxUpdate(Task, {"task_id": "tx-index"}, Update(set={"task_id": "other"}))]
        )
    with pytest.raises(EntityValidationError, match="GSI1PK"):
        store.transact_write([TxUpdate(Task, {"task_id": "tx-index"}, Update(set={"GSI1PK": "x"}))])


def test_tx_update_racing_an_update_keeps_the_index_key_right(store: Store) -> None:
    wrong: list[str] = []
    for trial in range(30):
        task_id = f"tx-race-{trial}"
        store.create(Task(task_id=task_id, owner="ann", status="open"))
        keys = {"task_id": task_id}
        errors = race(
            lambda keys=keys: store.update(Task, keys, set={"owner": "bob"}),
            lambda keys=keys: store.transact_write(
                [TxUpdate(Task, keys, Update(set={"status": "done"}))]
            ),
        )
        assert errors == []
        item = stored(store, task_id)
        assert (item["owner"]["S"], item["status"]["S"]) == ("bob", "done")
        if not index_keys_match_fields(item):
            wrong.append(f"{task_id}: {item['GSI1PK']['S']}")
    assert wrong == []


def test_tx_update_with_a_failed_condition_still_says_which(store: Store) -> None:
    store.create(Task(task_id="tx-stale", owner="ann", status="open"))
    with pytest.raises(TransactionFailed) as caught:
        store.transact_write(
            [
                TxPut(Task(task_id="tx-new", owner="ann", status="open"), must_not_exist=True),
                TxUpdate(
                    Task, {"task_id": "tx-stale"}, Update(set={"status": "x"}), expected_version=7
                ),
            ]
        )
    [(index, what, code, _)] = caught.value.reasons
    assert index == 1 and what.startswith("update Task") and code == "ConditionalCheckFailed"
    assert store.find(Task, task_id="tx-new") is None


# --- cursor keys ---------------------------------------------------------------------------


def test_no_cursor_key_off_loopback_is_refused(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.delenv("DYNAFORM_CURSOR_KEY", raising=False)
    remote = dynamodb_client(
        Settings("https://dynamodb.eu-west-1.amazonaws.com", "eu-west-1", None, False)
    )
    with pytest.raises(EntityError, match="DYNAFORM_CURSOR_KEY") as caught:
        Store(remote)
    assert "cursor_key" in caught.value.hint
    with pytest.raises(EntityError, match="at least 32 bytes"):
        Store(remote, cursor_key=b"short")
    with pytest.raises(EntityError, match="at least 32 bytes"):
        Store(remote, cursor_key=b"")
    clean_env.setenv("DYNAFORM_CURSOR_KEY", "too-short")
    with pytest.raises(EntityError, match=r"DYNAFORM_CURSOR_KEY.*at least 32 bytes"):
        Store(remote)
    clean_env.setenv("DYNAFORM_CURSOR_KEY", "e" * 40)
    assert Store(remote).cursor_key is None  # taken from the environment, never shown
    assert Store.__dataclass_fields__["cursor_key"].default is None


def test_env_cursor_key_signs_like_the_same_argument(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(3):
        store.put(Task(task_id=f"env-{n}", owner="env", status="open"))
    monkeypatch.setenv("DYNAFORM_CURSOR_KEY", KEY.decode())
    from_env = Store(store.client, tables=store.tables)
    page = from_env.query(Task, index="GSI1", owner="env", status="open", limit=1)
    assert page.cursor is not None
    assert store.query(Task, index="GSI1", owner="env", status="open", cursor=page.cursor).items


def test_loopback_store_without_a_key_gets_a_process_key_and_a_warning(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DYNAFORM_CURSOR_KEY", raising=False)
    for n in range(3):
        store.put(Task(task_id=f"loop-{n}", owner="loop", status="open"))
    with pytest.warns(UserWarning, match="random cursor key"):
        first = Store(store.client, tables=store.tables)
    with pytest.warns(UserWarning, match="random cursor key"):
        second = Store(store.client, tables=store.tables)
    page = first.query(Task, index="GSI1", owner="loop", status="open", limit=1)
    assert page.cursor is not None
    more = second.query(Task, index="GSI1", owner="loop", status="open", cursor=page.cursor)
    assert len(more.items) == 2  # one key for the whole process
    with pytest.raises(InvalidCursor):
        store.query(Task, index="GSI1", owner="loop", status="open", cursor=page.cursor)


def test_the_cursor_key_is_not_in_the_repr(store: Store) -> None:
    assert "kkkk" not in repr(store)


def _resign(cursor: str, body: bytes) -> str:
    assert hmac.compare_digest(
        base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))[:32],
        hmac.new(
            KEY, base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))[32:], "sha256"
        ).digest(),
    )
    mac = hmac.new(KEY, body, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac + body).decode().rstrip("=")


@pytest.mark.parametrize(
    "change",
    [
        lambda body: [body["k"]],  # JSON, not an object
        lambda body: "text",
        lambda body: {**body, "k": {"PK": "not-an-attribute-value"}},
        lambda body: {**body, "k": {"PK": {"S": 5}, "SK": {"S": "x"}}},
        lambda body: {**body, "k": {"PK": {"B": "!!not base64!!"}}},
        lambda body: {**body, "k": {"PK": {"S": "a", "N": "1"}}},
        lambda body: {**body, "k": {"PK": ["S", "x"]}},
        lambda body: {**body, "k": []},
        lambda body: {**body, "q": ["x"]},
        lambda body: None,
    ],
)
def test_signed_but_malformed_cursor_bodies_are_invalid_cursors(
    store: Store, change: Callable[[dict[str, Any]], Any]
) -> None:
    for n in range(3):
        store.put(Task(task_id=f"shape-{n}", owner="shape", status="open"))
    page = store.query(Task, index="GSI1", owner="shape", status="open", limit=1)
    assert page.cursor is not None
    raw = base64.urlsafe_b64decode(page.cursor + "=" * (-len(page.cursor) % 4))
    body = json.loads(raw[32:])
    forged = _resign(page.cursor, json.dumps(change(body)).encode())
    with pytest.raises(InvalidCursor):
        store.query(Task, index="GSI1", owner="shape", status="open", cursor=forged)


@pytest.mark.parametrize("body", [b"not json at all", b"\xff\xfe\x00", b""])
def test_signed_cursor_bodies_that_are_not_json_are_invalid_cursors(
    store: Store, body: bytes
) -> None:
    mac = hmac.new(KEY, body, hashlib.sha256).digest()
    forged = base64.urlsafe_b64encode(mac + body).decode().rstrip("=")
    with pytest.raises(InvalidCursor):
        store.query(Task, index="GSI1", owner="shape", status="open", cursor=forged)


# --- versions ------------------------------------------------------------------------------


def test_items_stored_without_a_version_count_as_version_zero(store: Store) -> None:
    for task_id in ("legacy-update", "legacy-put", "legacy-delete"):
        store.put(Task(task_id=task_id, owner="old", status="open"))
        store.client.update_item(
            TableName=store.table(Task),
            Key=Task.key_of(task_id=task_id),
            UpdateExpression="REMOVE version",
        )
        assert store.get(Task, task_id=task_id).version == 0
    updated = store.update(
        Task, {"task_id": "legacy-update"}, set={"title": "t"}, expected_version=0
    )
    assert updated.version == 1
    with pytest.raises(ConflictError) as caught:
        store.update(Task, {"task_id": "legacy-update"}, set={"title": "u"}, expected_version=0)
    assert caught.value.current_version == 1
    replaced = store.put(Task(task_id="legacy-put", owner="new", status="open"), expected_version=0)
    assert replaced.version == 1 and store.get(Task, task_id="legacy-put").owner == "new"
    store.delete(Task, expected_version=0, task_id="legacy-delete")
    assert store.find(Task, task_id="legacy-delete") is None


def test_put_with_an_expected_version_never_creates(store: Store) -> None:
    with pytest.raises(ConflictError):
        store.put(Task(task_id="never-there", owner="a", status="b"), expected_version=0)
    assert store.find(Task, task_id="never-there") is None


def test_the_version_attribute_is_the_store_s_to_write(store: Store) -> None:
    store.create(Task(task_id="managed", owner="a", status="b"))
    with pytest.raises(EntityValidationError, match="version"):
        store.update(Task, {"task_id": "managed"}, set={"version": 9})


def test_tx_put_and_tx_delete_take_an_expected_version(store: Store) -> None:
    store.create(Task(task_id="tx-v-put", owner="a", status="b"))
    store.create(Task(task_id="tx-v-del", owner="a", status="b"))
    with pytest.raises(TransactionFailed):
        store.transact_write(
            [TxPut(Task(task_id="tx-v-put", owner="z", status="b"), expected_version=3)]
        )
    store.transact_write(
        [
            TxPut(Task(task_id="tx-v-put", owner="z", status="b"), expected_version=0),
            TxDelete(Task, {"task_id": "tx-v-del"}, expected_version=0),
        ]
    )
    assert store.get(Task, task_id="tx-v-put").version == 1
    assert store.find(Task, task_id="tx-v-del") is None


# --- natural keys ----------------------------------------------------------------------------


def test_a_numeric_natural_sort_key_keeps_its_type(store: Store) -> None:
    store.batch_write(puts=[Sample(sensor="s1", seq=n, value=n * 10) for n in range(1, 13)])
    store.put(Sample(sensor="s1", seq=13))
    assert store.get(Sample, sensor="s1", seq=3).value == 30
    window = store.query(Sample, sensor="s1", sk=("between", 2, 10))
    assert [s.seq for s in window.items] == list(range(2, 11))  # numeric, not text, order
    assert store.update(Sample, {"sensor": "s1", "seq": 3}, set={"value": 7}).value == 7
    store.delete(Sample, sensor="s1", seq=3)
    assert store.find(Sample, sensor="s1", seq=3) is None
    assert store.count(Sample, sensor="s1") == 12


# --- batches ---------------------------------------------------------------------------------


class Flaky:
    """The real client, but BatchWriteItem and BatchGetItem hand back part of every request
    as unprocessed (as DynamoDB does under throttling)."""

    def __init__(self, client: Any, *, refuse_all_reads: bool = False) -> None:
        self.client = client
        self.meta = client.meta
        self.refuse_all_reads = refuse_all_reads
        self.refused = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def batch_write_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:  # noqa: N803
        [(table, writes)] = RequestItems.items()
        half = len(writes) // 2
        if not half:
            return dict(self.client.batch_write_item(RequestItems=RequestItems))
        self.client.batch_write_item(RequestItems={table: writes[:half]})
        self.refused += len(writes) - half
        return {"UnprocessedItems": {table: writes[half:]}}

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:  # noqa: N803
        [(table, request)] = RequestItems.items()
        keys = request["Keys"]
        if self.refuse_all_reads:
            self.refused += len(keys)
            return {"Responses": {table: []}, "UnprocessedKeys": RequestItems}
        half = len(keys) // 2
        if not half:
            return dict(self.client.batch_get_item(RequestItems=RequestItems))
        answer = self.client.batch_get_item(RequestItems={table: {**request, "Keys": keys[:half]}})
        self.refused += len(keys) - half
        return {
            "Responses": answer.get("Responses", {}),
            "UnprocessedKeys": {table: {**request, "Keys": keys[half:]}},
        }


def test_unprocessed_items_and_keys_are_retried_binary_intact(store: Store) -> None:
    flaky = Flaky(store.client)
    bumpy = Store(flaky, tables=store.tables, cursor_key=KEY)
    tasks = [
        Task(task_id=f"flaky-{n}", owner="f", status="s", blob=bytes([n, 0, 255]))
        for n in range(60)
    ]
    assert bumpy.batch_write(puts=tasks) == 60
    assert flaky.refused > 0
    keys = [{"task_id": t.task_id} for t in tasks]
    found = bumpy.batch_get(Task, keys)
    assert [t.blob for t in found] == [t.blob for t in tasks]  # all, in the order asked


def test_batch_get_takes_a_key_twice(store: Store) -> None:
    store.put(Task(task_id="twice", owner="a", status="b"))
    found = store.batch_get(Task, [{"task_id": "twice"}, {"task_id": "twice"}])
    assert [t.task_id for t in found] == ["twice"]


def test_index_reads_that_keep_being_refused_give_up(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batches_module, "RETRY_BASE_DELAY", 0.0001)
    store.put(Task(task_id="refused", owner="r", status="refused"))
    refusing = Store(
        Flaky(store.client, refuse_all_reads=True), tables=store.tables, cursor_key=KEY
    )
    outcome: list[BaseException | None] = []

    def read() -> None:
        try:
            refusing.query(Task, index="GSI2", status="refused", points=0)
            outcome.append(None)
        except BaseException as exc:  # reported below
            outcome.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=30)
    assert not reader.is_alive(), "the KEYS_ONLY index read retried forever"
    [error] = outcome
    assert isinstance(error, EntityError) and "refusing reads" in str(error)


def test_a_bad_item_in_a_batch_is_set_aside_and_the_rest_written(store: Store) -> None:
    good = [Task(task_id=f"batch-ok-{n}", owner="b", status="s") for n in range(30)]
    huge = Task(task_id="batch-huge", owner="b", status="s", title="x" * 420_000)
    with pytest.raises(EntityError) as caught:
        store.batch_write(puts=[*good[:10], huge, *good[10:]])
    [path] = [word for word in str(caught.value).split() if word.endswith(".jsonl")]
    rejects = Path(path)
    assert rejects.parent != Path("/tmp") and "batch-huge" in rejects.read_text()
    assert len(store.batch_get(Task, [{"task_id": t.task_id} for t in good])) == 30


# --- errors ----------------------------------------------------------------------------------


def test_a_transaction_on_a_missing_table_says_to_apply(store: Store) -> None:
    lost = Store(store.client, tables={"tasks": "no-such-tasks-table"}, cursor_key=KEY)
    with pytest.raises(TableMissing):
        lost.transact_write([TxPut(Task(task_id="x", owner="a", status="b"))])


def test_update_of_a_missing_item_with_index_fields_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        store.update(Task, {"task_id": "nobody"}, set={"status": "done"})
    with pytest.raises(TransactionFailed) as caught:
        store.transact_write([TxUpdate(Task, {"task_id": "nobody"}, Update(set={"status": "x"}))])
    assert caught.value.reasons[0][2] == "ConditionalCheckFailed"
    assert store.find(Task, task_id="nobody") is None


class Session(Entity):
    session_id: str
    owner: str = ""
    expires_at: datetime | None = None

    class Meta:
        table = "tasks"
        pk = "SESSION#{session_id}"
        sk = "SESSION"
        ttl = "expires_at"


def test_updating_the_ttl_field_stores_epoch_seconds(store: Store) -> None:
    store.create(Session(session_id="s1", expires_at=datetime.now(UTC) + timedelta(days=1)))
    past = datetime.now(UTC) - timedelta(minutes=5)
    store.update(Session, {"session_id": "s1"}, set={"expires_at": past})
    raw = store.client.get_item(
        TableName=store.table(Session), Key=Session.key_of(session_id="s1"), ConsistentRead=True
    )["Item"]
    assert raw["expires_at"] == {"N": str(int(past.timestamp()))}  # what DynamoDB TTL reads
    assert store.find(Session, session_id="s1") is None  # expired: hidden
