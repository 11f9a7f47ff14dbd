"""The store: entity operations on a botocore client (the shell of the entity layer).

store = Store.connect(settings, tables={"main": "calendsync-dev-main"}, cursor_key=b"…")
store.create(User(user_id="u1", name="Ada"))
user = store.get(User, user_id="u1")
page = store.query(CalendarEntry, calendar_id=cid, sk=("begins_with", "ENTRY#2024-06"))
more = store.query(CalendarEntry, calendar_id=cid, cursor=page.cursor)
"""

from __future__ import annotations

import builtins
import random
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Generic, TypeVar

from botocore.exceptions import ClientError

from dynaform.aws.client import DynamoDBClient, dynamodb_client, translate_error
from dynaform.data.ops import write_records
from dynaform.data.wire import WireClient
from dynaform.entities import cursor as cursors
from dynaform.entities.errors import (
    AlreadyExists,
    ConflictError,
    EntityError,
    EntityValidationError,
    NotFound,
    TableMissing,
    TransactionFailed,
)
from dynaform.entities.expressions import (
    Condition,
    Placeholders,
    Update,
    all_of,
    compare,
    exists,
    not_exists,
    sort_condition,
)
from dynaform.entities.model import (
    DECODER,
    ENCODER,
    TYPE_ATTRIBUTE,
    Entity,
    _stored,
    index_keys,
)
from dynaform.settings import Settings

E = TypeVar("E", bound=Entity)


@dataclass
class Page(Generic[E]):
    items: list[E]
    cursor: str | None


@dataclass
class TxPut:
    entity: Entity
    condition: Condition | None = None
    must_not_exist: bool = False


@dataclass
class TxUpdate:
    cls: type[Entity]
    keys: dict[str, Any]
    update: Update
    condition: Condition | None = None
    expected_version: int | None = None


@dataclass
class TxDelete:
    cls: type[Entity]
    keys: dict[str, Any]
    condition: Condition | None = None


@dataclass
class TxCheck:
    cls: type[Entity]
    keys: dict[str, Any]
    condition: Condition


@dataclass
class Store:
    client: DynamoDBClient
    tables: Mapping[str, str] = field(default_factory=dict)
    cursor_key: bytes = b"dynaform-development-key-change-me"
    hide_expired: bool = True
    wire: WireClient | None = None  # the data plane's client: batch_write goes through it

    @classmethod
    def connect(cls, settings: Settings, endpoint_url: str | None = None, **kwargs: Any) -> Store:
        client = dynamodb_client(settings, endpoint_url)
        wire = WireClient(settings, endpoint_url, client=client)
        return cls(client, wire=wire, **kwargs)

    # --- plumbing ------------------------------------------------------------------------

    def table(self, entity: type[Entity]) -> str:
        logical = entity.binding().table
        return self.tables.get(logical, logical)

    def _call(self, operation: str, table: str, **params: Any) -> dict[str, Any]:
        try:
            return dict(getattr(self.client, operation)(**params))
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code == "ResourceNotFoundException":
                raise TableMissing(f"table {table} does not exist") from exc
            raise
        except Exception as exc:
            raise translate_error(exc, table) from exc

    def _expired(self, entity: type[Entity], item: dict[str, Any]) -> bool:
        ttl = entity.binding().ttl
        if not (self.hide_expired and ttl and ttl in item and "N" in item[ttl]):
            return False
        return int(float(item[ttl]["N"])) <= int(datetime.now(UTC).timestamp())

    def _load(self, entity: type[E], item: dict[str, Any] | None) -> E | None:
        if item is None or self._expired(entity, item):
            return None
        return entity.from_item(item)

    # --- single items --------------------------------------------------------------------

    def get(self, entity: type[E], *, consistent: bool = False, **keys: Any) -> E:
        found = self.find(entity, consistent=consistent, **keys)
        if found is None:
            raise NotFound(f"no {entity.__name__} with {keys}")
        return found

    def find(self, entity: type[E], *, consistent: bool = False, **keys: Any) -> E | None:
        table = self.table(entity)
        answer = self._call(
            "get_item", table, TableName=table, Key=entity.key_of(**keys), ConsistentRead=consistent
        )
        return self._load(entity, answer.get("Item"))

    def create(self, entity: E) -> E:
        """Write a new item; AlreadyExists if its key is taken. Versions start at 0."""
        b = type(entity).binding()
        if b.version:
            entity = entity.model_copy(update={b.version: 0})
        p = Placeholders(ENCODER.value)
        condition = not_exists(b.pk_attribute)(p)
        self._put(entity, condition, p, exists_error=True)
        return entity

    def put(self, entity: E, *, expected_version: int | None = None) -> E:
        """Create or replace. With a version attribute and ``expected_version``, only replaces
        that version; the stored version becomes expected + 1."""
        b = type(entity).binding()
        p = Placeholders(ENCODER.value)
        condition = None
        if b.version and expected_version is not None:
            condition = compare(b.version, "eq", expected_version)(p)
            entity = entity.model_copy(update={b.version: expected_version + 1})
        self._put(entity, condition, p, exists_error=False)
        return entity

    def _put(
        self, entity: Entity, condition: str | None, p: Placeholders, exists_error: bool
    ) -> None:
        table = self.table(type(entity))
        params: dict[str, Any] = {"TableName": table, "Item": entity.to_item()}
        if condition:
            params |= {
                "ConditionExpression": condition,
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                **p.request(),
            }
        try:
            self._call("put_item", table, **params)
        except ClientError as exc:
            self._conditional(exc, type(entity), exists_error)
            raise

    def _missing_or_conflict(
        self, exc: ClientError, entity: type[Entity], keys: Mapping[str, Any]
    ) -> None:
        """A failed condition on an existing-item write: NotFound when there was no item
        (DynamoDB returns none), else ConflictError with the stored version."""
        failed = exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"
        if failed and not exc.response.get("Item"):
            raise NotFound(f"no {entity.__name__} with {dict(keys)}") from exc
        self._conditional(exc, entity, exists_error=False)

    def _conditional(self, exc: ClientError, entity: type[Entity], exists_error: bool) -> None:
        if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            return
        old = exc.response.get("Item")
        version_attr = entity.binding().version
        if exists_error:
            raise AlreadyExists(f"{entity.__name__} already exists") from exc
        current = None
        if old and version_attr and version_attr in old:
            current = int(DECODER.value(old[version_attr]))
        raise ConflictError(
            f"{entity.__name__} changed (stored version {current})"
            if old
            else f"{entity.__name__} does not exist or its condition failed",
            current_version=current,
            current=entity.from_item(old) if old else None,
        ) from exc

    def update(
        self,
        entity: type[E],
        keys: Mapping[str, Any],
        *,
        set: Mapping[str, Any] | None = None,
        remove: Iterable[str] = (),
        add: Mapping[str, Any] | None = None,
        append: Mapping[str, list[Any]] | None = None,
        if_not_exists: Mapping[str, Any] | None = None,
        expected_version: int | None = None,
        condition: Condition | None = None,
    ) -> E:
        """A partial update of an existing item; returns the item as stored afterwards."""
        b = entity.binding()
        change = Update(
            set={k: _stored(v) for k, v in (set or {}).items()},
            remove=list(remove),
            add=dict(add or {}),
            append={k: list(v) for k, v in (append or {}).items()},
            if_not_exists={k: _stored(v) for k, v in (if_not_exists or {}).items()},
        )
        key_fields = {f for t in (b.pk, b.sk) if t for f in t.fields}
        clash = change.touched() & (key_fields | {b.pk_attribute, b.sk_attribute or ""})
        if clash:
            raise EntityValidationError(
                f"{entity.__name__}: {', '.join(sorted(clash))} is part "
                "of the key; write a new item instead"
            )
        self._reindex(entity, keys, set or {}, change)
        conditions = [exists(b.pk_attribute)]
        if b.version:
            change.add[b.version] = 1
            if expected_version is not None:
                conditions.append(compare(b.version, "eq", expected_version))
        if condition is not None:
            conditions.append(condition)
        p = Placeholders(ENCODER.value)
        expression = change.render(p)
        table = self.table(entity)
        try:
            answer = self._call(
                "update_item",
                table,
                TableName=table,
                Key=entity.key_of(**keys),
                UpdateExpression=expression,
                ConditionExpression=all_of(*conditions)(p),
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                **p.request(),
            )
        except ClientError as exc:
            self._missing_or_conflict(exc, entity, dict(keys))
            raise
        return entity.from_item(answer["Attributes"])

    def _reindex(
        self, entity: type[Entity], keys: Mapping[str, Any], raw: Mapping[str, Any], change: Update
    ) -> None:
        """An update touching a field an index key is built from rewrites that index key (or
        removes it, leaving the sparse index), reading the stored item for the other fields."""
        b = entity.binding()
        fields = {f for i in b.indexes.values() for t in (i.pk, i.sk) if t for f in t.fields}
        touched = fields & (builtins.set(change.set) | builtins.set(change.remove))
        if not touched:
            return
        values: dict[str, Any] = dict(keys)
        needed = fields - builtins.set(values) - builtins.set(change.set)
        if needed:
            current = self.find(entity, consistent=True, **keys)
            if current is not None:
                values = {**current.__dict__, **values}
        values.update(raw)  # the caller's values (datetimes, not their stored text)
        for name in change.remove:
            values[name] = None
        for attribute, value in index_keys(b, values).items():
            if value is None:
                change.remove.append(attribute)
            else:
                change.set[attribute] = value

    def delete(
        self, entity: type[Entity], *, expected_version: int | None = None, **keys: Any
    ) -> None:
        b = entity.binding()
        p = Placeholders(ENCODER.value)
        conditions = [exists(b.pk_attribute)]
        if b.version and expected_version is not None:
            conditions.append(compare(b.version, "eq", expected_version))
        table = self.table(entity)
        try:
            self._call(
                "delete_item",
                table,
                TableName=table,
                Key=entity.key_of(**keys),
                ConditionExpression=all_of(*conditions)(p),
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                **p.request(),
            )
        except ClientError as exc:
            self._missing_or_conflict(exc, entity, keys)
            raise

    # --- many items ----------------------------------------------------------------------

    def query(
        self,
        entity: type[E],
        *,
        index: str | None = None,
        sk: Any = None,
        filter: Condition | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        descending: bool = False,
        consistent: bool = False,
        all_types: bool = False,
        **values: Any,
    ) -> Page[E]:
        """Items whose partition key the values fill; ``sk`` a sort-key condition
        (``("begins_with", "EVENT#2024")``, ``("between", a, b)``, ``("gte", x)`` or a value)."""
        b = entity.binding()
        if index is None:
            pk_attr, pk_template, sk_attr = b.pk_attribute, b.pk, b.sk_attribute
        else:
            if index not in b.indexes:
                raise EntityValidationError(
                    f"{entity.__name__} has no index {index!r}; it has: "
                    f"{', '.join(b.indexes) or 'none'}"
                )
            keys = b.indexes[index]
            pk_attr, pk_template, sk_attr = keys.pk_attribute, keys.pk, keys.sk_attribute
        pk_text = pk_template.render(values)
        if pk_text is None:
            raise EntityValidationError(
                f"{entity.__name__}: the partition key needs {', '.join(pk_template.fields)}"
            )
        natural = pk_template.single_field
        pk: Any = _stored(values[natural]) if natural and natural == pk_attr else pk_text
        p = Placeholders(ENCODER.value)
        key_conditions = [compare(pk_attr, "eq", pk)]
        sort = sort_condition(sk_attr, sk) if sk_attr else None
        if sort is not None:
            key_conditions.append(sort)
        filters = [] if all_types else [compare(TYPE_ATTRIBUTE, "eq", b.type_name)]
        if filter is not None:
            filters.append(filter)
        table = self.table(entity)
        params: dict[str, Any] = {
            "TableName": table,
            "KeyConditionExpression": " AND ".join(f"({c(p)})" for c in key_conditions),
            "ScanIndexForward": not descending,
            "ConsistentRead": consistent,
        }
        if index:
            params["IndexName"] = index
        if filters:
            params["FilterExpression"] = all_of(*filters)(p)
        if limit:
            params["Limit"] = limit
        shape = {
            "op": "query",
            "table": table,
            "index": index,
            "pk": pk,
            "sk": repr(sk),
            "type": b.type_name,
            "desc": descending,
        }
        if cursor:
            params["ExclusiveStartKey"] = _from_json(cursors.decode(cursor, shape, self.cursor_key))
        try:
            answer = self._call("query", table, **params, **p.request())
        except ClientError as exc:
            message = str(exc.response.get("Error", {}).get("Message", ""))
            if not (index and "does not project" in message and filters and not filter):
                raise
            # A KEYS_ONLY/INCLUDE index without the type attribute: query keys, then fetch
            # the full items by their primary keys and keep this entity's.
            params.pop("FilterExpression")
            placeholders = p.request()
            names = placeholders.get("ExpressionAttributeNames", {})
            values = placeholders.get("ExpressionAttributeValues", {})
            answer = self._call("query", table, **params, **_only_used(params, names, values))
        return self._page(entity, answer, shape)

    def _page(self, entity: type[E], answer: dict[str, Any], shape: Any) -> Page[E]:
        raw = answer.get("Items", [])
        if any(TYPE_ATTRIBUTE not in item for item in raw):
            raw = self._full_items(entity, raw)
        items = [self._load(entity, item) for item in raw]
        last = answer.get("LastEvaluatedKey")
        token = cursors.encode(_to_json(last), shape, self.cursor_key) if last else None
        return Page([i for i in items if i is not None], token)

    def _full_items(self, entity: type[E], partial: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Items read from an index that does not project them, fetched whole, same order."""
        b = entity.binding()
        key_names = [b.pk_attribute] + ([b.sk_attribute] if b.sk_attribute else [])
        table = self.table(entity)
        keys = [{k: item[k] for k in key_names} for item in partial]
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(keys), 100):
            request: dict[str, Any] = {table: {"Keys": keys[start : start + 100]}}
            while request:
                answer = self._call("batch_get_item", table, RequestItems=request)
                for item in answer.get("Responses", {}).get(table, []):
                    found[repr([item[k] for k in key_names])] = item
                request = answer.get("UnprocessedKeys") or {}
        ordered = [found.get(repr([k[n] for n in key_names])) for k in keys]
        return [
            item
            for item in ordered
            if item is not None and item.get(TYPE_ATTRIBUTE, {}).get("S") == b.type_name
        ]

    def query_all(self, entity: type[E], **kwargs: Any) -> Iterator[E]:
        cursor = None
        while True:
            page = self.query(entity, cursor=cursor, **kwargs)
            yield from page.items
            if not page.cursor:
                return
            cursor = page.cursor

    def scan(
        self,
        entity: type[E],
        *,
        limit: int | None = None,
        cursor: str | None = None,
        filter: Condition | None = None,
    ) -> Page[E]:
        b = entity.binding()
        table = self.table(entity)
        p = Placeholders(ENCODER.value)
        conditions = [compare(TYPE_ATTRIBUTE, "eq", b.type_name)]
        if filter is not None:
            conditions.append(filter)
        params: dict[str, Any] = {"TableName": table, "FilterExpression": all_of(*conditions)(p)}
        if limit:
            params["Limit"] = limit
        shape = {"op": "scan", "table": table, "type": b.type_name}
        if cursor:
            params["ExclusiveStartKey"] = _from_json(cursors.decode(cursor, shape, self.cursor_key))
        return self._page(entity, self._call("scan", table, **params, **p.request()), shape)

    def count(self, entity: type[Entity], **values: Any) -> int:
        """Items of this entity: with key values, under that partition; without, in the table."""
        b = entity.binding()
        table = self.table(entity)
        p = Placeholders(ENCODER.value)
        params: dict[str, Any] = {
            "TableName": table,
            "Select": "COUNT",
            "FilterExpression": compare(TYPE_ATTRIBUTE, "eq", b.type_name)(p),
        }
        operation = "scan"
        if values:
            operation = "query"
            natural = b.pk.single_field
            value = (
                _stored(values[natural])
                if natural and natural == b.pk_attribute
                else b.pk.render(values)
            )
            params["KeyConditionExpression"] = compare(b.pk_attribute, "eq", value)(p)
        total = 0
        while True:
            answer = self._call(operation, table, **params, **p.request())
            total += int(answer.get("Count", 0))
            if "LastEvaluatedKey" not in answer:
                return total
            params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def batch_get(self, entity: type[E], keys: list[dict[str, Any]]) -> list[E]:
        """Chunks of 100; UnprocessedKeys retried with backoff. Missing items are left out."""
        table = self.table(entity)
        wanted = [entity.key_of(**k) for k in keys]
        found: list[E] = []
        for start in range(0, len(wanted), 100):
            request: dict[str, Any] = {table: {"Keys": wanted[start : start + 100]}}
            attempt = 0
            while request:
                answer = self._call("batch_get_item", table, RequestItems=request)
                for item in answer.get("Responses", {}).get(table, []):
                    loaded = self._load(entity, item)
                    if loaded is not None:
                        found.append(loaded)
                request = answer.get("UnprocessedKeys") or {}
                if request:
                    attempt += 1
                    _back_off(attempt, f"{table} kept refusing reads (throttled)")
        return found

    def batch_write(
        self,
        puts: Iterable[Entity] = (),
        deletes: Iterable[tuple[type[Entity], dict[str, Any]]] = (),
    ) -> int:
        """Puts and deletes in 25-item batches, UnprocessedItems retried (no conditions).
        With the data plane's client (``Store.connect``) this is its bulk writer: several
        batches in flight, and nothing dropped (what cannot be written raises, naming the
        reject file)."""
        if self.wire is not None:
            return self._bulk_write(list(puts), list(deletes))
        requests: dict[str, list[dict[str, Any]]] = {}
        for entity in puts:
            requests.setdefault(self.table(type(entity)), []).append(
                {"PutRequest": {"Item": entity.to_item()}}
            )
        for cls, keys in deletes:
            requests.setdefault(self.table(cls), []).append(
                {"DeleteRequest": {"Key": cls.key_of(**keys)}}
            )
        written = 0
        for table, writes in requests.items():
            for start in range(0, len(writes), 25):
                pending = {table: writes[start : start + 25]}
                attempt = 0
                while pending:
                    answer = self._call("batch_write_item", table, RequestItems=pending)
                    left = answer.get("UnprocessedItems") or {}
                    written += len(pending[table]) - len(left.get(table, []))
                    pending = left
                    if pending:
                        attempt += 1
                        _back_off(attempt, f"{table} kept refusing writes (throttled)")
        return written

    def _bulk_write(
        self, puts: list[Entity], deletes: list[tuple[type[Entity], dict[str, Any]]]
    ) -> int:
        assert self.wire is not None
        groups: dict[tuple[str, bool], list[dict[str, Any]]] = {}
        for entity in puts:
            groups.setdefault((self.table(type(entity)), False), []).append(_wire(entity.to_item()))
        for cls, keys in deletes:
            groups.setdefault((self.table(cls), True), []).append(_wire(cls.key_of(**keys)))
        written = 0
        for (table, delete), items in groups.items():
            rejects = Path(tempfile.gettempdir()) / f"{table}.entities-rejects.jsonl"
            stats = write_records(
                self.wire, table, iter(enumerate(items)), rejects=rejects, delete=delete
            )
            written += stats.items
            if stats.rejected:
                raise EntityError(
                    f"{stats.rejected} item(s) could not be written to {table}; "
                    f"they are in {rejects}",
                    hint="fix them and `dynaform data import` the file",
                )
        return written

    # --- transactions --------------------------------------------------------------------

    def transact_write(self, operations: list[TxPut | TxUpdate | TxDelete | TxCheck]) -> None:
        items: list[dict[str, Any]] = []
        described: list[str] = []
        for op in operations:
            p = Placeholders(ENCODER.value)
            if isinstance(op, TxPut):
                cls = type(op.entity)
                body: dict[str, Any] = {"TableName": self.table(cls), "Item": op.entity.to_item()}
                conditions = [not_exists(cls.binding().pk_attribute)] if op.must_not_exist else []
                if op.condition:
                    conditions.append(op.condition)
                if conditions:
                    body["ConditionExpression"] = all_of(*conditions)(p)
                items.append({"Put": body | p.request()})
                described.append(f"put {cls.__name__}")
            elif isinstance(op, TxUpdate):
                b = op.cls.binding()
                conditions = [exists(b.pk_attribute)]
                if b.version:
                    op.update.add[b.version] = 1
                    if op.expected_version is not None:
                        conditions.append(compare(b.version, "eq", op.expected_version))
                if op.condition:
                    conditions.append(op.condition)
                expression = op.update.render(p)
                items.append(
                    {
                        "Update": {
                            "TableName": self.table(op.cls),
                            "Key": op.cls.key_of(**op.keys),
                            "UpdateExpression": expression,
                            "ConditionExpression": all_of(*conditions)(p),
                            **p.request(),
                        }
                    }
                )
                described.append(f"update {op.cls.__name__} {op.keys}")
            elif isinstance(op, TxDelete):
                body = {"TableName": self.table(op.cls), "Key": op.cls.key_of(**op.keys)}
                if op.condition:
                    body["ConditionExpression"] = op.condition(p)
                items.append({"Delete": body | p.request()})
                described.append(f"delete {op.cls.__name__} {op.keys}")
            else:
                items.append(
                    {
                        "ConditionCheck": {
                            "TableName": self.table(op.cls),
                            "Key": op.cls.key_of(**op.keys),
                            "ConditionExpression": op.condition(p),
                            **p.request(),
                        }
                    }
                )
                described.append(f"check {op.cls.__name__} {op.keys}")
        try:
            self.client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise translate_error(exc, "transaction") from exc
            reasons = []
            for index, reason in enumerate(exc.response.get("CancellationReasons", [])):
                code = reason.get("Code", "None")
                if code and code != "None":
                    reasons.append((index, described[index], code, reason.get("Message", "")))
            summary = "; ".join(f"#{i} {what}: {code}" for i, what, code, _ in reasons)
            raise TransactionFailed(
                f"transaction cancelled: {summary or 'unknown reason'}", reasons
            ) from exc

    def transact_get(self, requests: list[tuple[type[Entity], dict[str, Any]]]) -> list[Any]:
        items = [
            {"Get": {"TableName": self.table(cls), "Key": cls.key_of(**keys)}}
            for cls, keys in requests
        ]
        answer = self._call("transact_get_items", "transaction", TransactItems=items)
        return [
            self._load(cls, r.get("Item"))
            for (cls, _), r in zip(requests, answer.get("Responses", []), strict=True)
        ]


def _back_off(attempt: int, refusal: str, limit: int = 12) -> None:
    """Full-jitter exponential backoff between retries of unprocessed keys or items."""
    if attempt > limit:
        raise EntityError(refusal, hint="retry later, or raise the table's capacity")
    time.sleep(random.random() * min(5.0, 0.05 * 2**attempt))


def _only_used(
    params: dict[str, Any], names: dict[str, str], values: dict[str, Any]
) -> dict[str, Any]:
    """The placeholders the remaining expressions still use."""
    text = " ".join(str(params.get(k, "")) for k in ("KeyConditionExpression",))
    out: dict[str, Any] = {}
    used_names = {k: v for k, v in names.items() if k in text}
    used_values = {k: v for k, v in values.items() if k in text}
    if used_names:
        out["ExpressionAttributeNames"] = used_names
    if used_values:
        out["ExpressionAttributeValues"] = used_values
    return out


def _wire(item: dict[str, Any]) -> dict[str, Any]:
    """botocore form (binary as bytes) -> wire form (binary as base64 text)."""
    import base64

    def fix(av: Any) -> Any:
        if not isinstance(av, dict):
            return av
        if "B" in av and isinstance(av["B"], bytes):
            return {"B": base64.b64encode(av["B"]).decode()}
        if "BS" in av:
            return {
                "BS": [
                    base64.b64encode(b).decode() if isinstance(b, bytes) else b for b in av["BS"]
                ]
            }
        if "M" in av:
            return {"M": {k: fix(v) for k, v in av["M"].items()}}
        if "L" in av:
            return {"L": [fix(v) for v in av["L"]]}
        return av

    return {k: fix(v) for k, v in item.items()}


def _to_json(key: dict[str, Any]) -> dict[str, Any]:
    """LastEvaluatedKey (botocore form) -> JSON-safe (binary as base64)."""
    import base64

    def fix(av: dict[str, Any]) -> dict[str, Any]:
        if "B" in av:
            return {"B": base64.b64encode(av["B"]).decode()}
        return av

    return {k: fix(v) for k, v in key.items()}


def _from_json(key: dict[str, Any]) -> dict[str, Any]:
    import base64

    return {k: ({"B": base64.b64decode(v["B"])} if "B" in v else v) for k, v in key.items()}
