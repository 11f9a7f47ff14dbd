"""Reads: get, find, query, scan, count; pages with signed cursors."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic

from botocore.exceptions import ClientError

from dynaform.entities import cursor as cursors
from dynaform.entities.base import E, StoreBase
from dynaform.entities.batches import fetch_items, identity
from dynaform.entities.errors import EntityValidationError, NotFound
from dynaform.entities.expressions import (
    Condition,
    Placeholders,
    all_of,
    compare,
    sort_condition,
)
from dynaform.entities.keys import KeyTemplate
from dynaform.entities.model import ENCODER, TYPE_ATTRIBUTE, Entity, is_natural, stored


@dataclass
class Page(Generic[E]):
    items: list[E]
    cursor: str | None


@dataclass(frozen=True)
class KeyQuery:
    """What a Query asks, before placeholders: the partition, a sort-key condition, filters."""

    table: str
    index: str | None
    pk_attribute: str
    pk: Any
    sort: Condition | None
    filters: list[Condition]

    def params(self, *, filtered: bool = True) -> dict[str, Any]:
        p = Placeholders(ENCODER.value)
        key = [compare(self.pk_attribute, "eq", self.pk)]
        if self.sort is not None:
            key.append(self.sort)
        params: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": all_of(*key)(p),
        }
        if self.index:
            params["IndexName"] = self.index
        if filtered and self.filters:
            params["FilterExpression"] = all_of(*self.filters)(p)
        return params | p.request()


def partition_value(
    entity: type[Entity], attribute: str, template: KeyTemplate, values: Mapping[str, Any]
) -> Any:
    """The partition key value the query's field values give (the field's own for a natural
    key, else the rendered text)."""
    text = template.render(values)
    if text is None:
        raise EntityValidationError(
            f"{entity.__name__}: the partition key needs {', '.join(template.fields)}"
        )
    return stored(values[attribute]) if is_natural(attribute, template) else text


class Reads(StoreBase):
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
        asked = self._key_query(entity, index, sk, values, filter, all_types)
        table = asked.table
        shape = {
            "op": "query",
            "table": table,
            "index": index,
            "pk": asked.pk,
            "sk": repr(sk),
            "type": b.type_name,
            "desc": descending,
        }
        extra: dict[str, Any] = {"ScanIndexForward": not descending, "ConsistentRead": consistent}
        if limit:
            extra["Limit"] = limit
        if cursor:
            extra["ExclusiveStartKey"] = cursors.decode(cursor, shape, self._cursor_secret)
        try:
            answer = self._call("query", table, **asked.params(), **extra)
        except ClientError as exc:
            message = str(exc.response.get("Error", {}).get("Message", ""))
            if not (index and "does not project" in message and filter is None and not all_types):
                raise
            # A KEYS_ONLY/INCLUDE index without the type attribute: query keys, then fetch
            # the full items by their primary keys and keep this entity's.
            answer = self._call("query", table, **asked.params(filtered=False), **extra)
        return self._page(entity, answer, shape)

    def _key_query(
        self,
        entity: type[Entity],
        index: str | None,
        sk: Any,
        values: Mapping[str, Any],
        filter: Condition | None,
        all_types: bool,
    ) -> KeyQuery:
        b = entity.binding()
        if index is None:
            pk_attr, pk_template, sk_attr = b.pk_attribute, b.pk, b.sk_attribute
        elif index in b.indexes:
            keys = b.indexes[index]
            pk_attr, pk_template, sk_attr = keys.pk_attribute, keys.pk, keys.sk_attribute
        else:
            raise EntityValidationError(
                f"{entity.__name__} has no index {index!r}; it has: "
                f"{', '.join(b.indexes) or 'none'}"
            )
        filters = [] if all_types else [compare(TYPE_ATTRIBUTE, "eq", b.type_name)]
        if filter is not None:
            filters.append(filter)
        return KeyQuery(
            table=self.table(entity),
            index=index,
            pk_attribute=pk_attr,
            pk=partition_value(entity, pk_attr, pk_template, values),
            sort=sort_condition(sk_attr, sk) if sk_attr else None,
            filters=filters,
        )

    def _page(self, entity: type[E], answer: dict[str, Any], shape: Any) -> Page[E]:
        raw = answer.get("Items", [])
        if any(TYPE_ATTRIBUTE not in item for item in raw):
            raw = self._full_items(entity, raw)
        items = [self._load(entity, item) for item in raw]
        last = answer.get("LastEvaluatedKey")
        token = cursors.encode(last, shape, self._cursor_secret) if last else None
        return Page([i for i in items if i is not None], token)

    def _full_items(self, entity: type[E], partial: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Items read from an index that does not project them, fetched whole, same order."""
        b = entity.binding()
        names = [b.pk_attribute] + ([b.sk_attribute] if b.sk_attribute else [])
        keys = [{n: item[n] for n in names} for item in partial]
        found = fetch_items(self, self.table(entity), keys)
        ordered = [found.get(identity(key)) for key in keys]
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
            params["ExclusiveStartKey"] = cursors.decode(cursor, shape, self._cursor_secret)
        return self._page(entity, self._call("scan", table, **params, **p.request()), shape)

    def count(self, entity: type[Entity], **values: Any) -> int:
        """Items of this entity: with key values, under that partition; without, in the table."""
        b = entity.binding()
        table = self.table(entity)
        if values:
            operation = "query"
            asked = KeyQuery(
                table,
                None,
                b.pk_attribute,
                partition_value(entity, b.pk_attribute, b.pk, values),
                None,
                [compare(TYPE_ATTRIBUTE, "eq", b.type_name)],
            )
            params = asked.params()
        else:
            operation = "scan"
            p = Placeholders(ENCODER.value)
            params = {
                "TableName": table,
                "FilterExpression": compare(TYPE_ATTRIBUTE, "eq", b.type_name)(p),
            }
            params |= p.request()
        params["Select"] = "COUNT"
        total = 0
        while True:
            answer = self._call(operation, table, **params)
            total += int(answer.get("Count", 0))
            if "LastEvaluatedKey" not in answer:
                return total
            params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
