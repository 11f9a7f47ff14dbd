"""Single-item writes: create, put, update, delete."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from botocore.exceptions import ClientError

from dynaform.entities.base import E, StoreBase
from dynaform.entities.expressions import Condition, Placeholders, Update, exists, not_exists
from dynaform.entities.guards import (
    gave_up,
    raise_existing_failure,
    raise_put_failure,
    stored_item,
    version_condition,
)
from dynaform.entities.model import ENCODER, Entity, stored_field
from dynaform.entities.updates import ATTEMPTS, pause, plan_update


class Writes(StoreBase):
    def create(self, entity: E) -> E:
        """Write a new item; AlreadyExists if its key is taken. Versions start at 0."""
        b = type(entity).binding()
        if b.version:
            entity = entity.model_copy(update={b.version: 0})
        self._put(entity, not_exists(b.pk_attribute), creating=True)
        return entity

    def put(self, entity: E, *, expected_version: int | None = None) -> E:
        """Create or replace. With a version attribute and ``expected_version``, only replaces
        that version; the stored version becomes expected + 1."""
        b = type(entity).binding()
        version = version_condition(b, expected_version)
        if b.version and expected_version is not None:
            entity = entity.model_copy(update={b.version: expected_version + 1})
        self._put(entity, version, creating=False)
        return entity

    def _put(self, entity: Entity, condition: Condition | None, *, creating: bool) -> None:
        table = self.table(type(entity))
        params: dict[str, Any] = {"TableName": table, "Item": entity.to_item()}
        if condition is not None:
            p = Placeholders(ENCODER.value)
            params |= {
                "ConditionExpression": condition(p),
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                **p.request(),
            }
        try:
            self._call("put_item", table, **params)
        except ClientError as exc:
            raise_put_failure(exc, type(entity), creating=creating)
            raise

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
        """A partial update of an existing item; returns the item as stored afterwards.
        Index keys built from the fields it changes are rewritten in the same write."""
        b = entity.binding()
        change = Update(
            set={k: stored_field(b, k, v) for k, v in (set or {}).items()},
            remove=list(remove),
            add=dict(add or {}),
            append={k: list(v) for k, v in (append or {}).items()},
            if_not_exists={k: stored_field(b, k, v) for k, v in (if_not_exists or {}).items()},
        )
        table = self.table(entity)
        for attempt in range(ATTEMPTS):
            plan = plan_update(
                entity,
                keys,
                change,
                expected_version=expected_version,
                condition=condition,
                read=lambda: self._read(entity, keys),
            )
            try:
                answer = self._call(
                    "update_item",
                    table,
                    **plan.request(table),
                    ReturnValues="ALL_NEW",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except ClientError as exc:
                if plan.guard is not None and plan.guard.changed_in(stored_item(exc)):
                    pause(attempt)
                    continue
                raise_existing_failure(exc, entity, keys)
                raise
            return entity.from_item(answer["Attributes"])
        gave_up(entity, keys, ATTEMPTS)

    def delete(
        self, entity: type[Entity], *, expected_version: int | None = None, **keys: Any
    ) -> None:
        b = entity.binding()
        p = Placeholders(ENCODER.value)
        version = version_condition(b, expected_version)
        condition = version if version is not None else exists(b.pk_attribute)
        table = self.table(entity)
        try:
            self._call(
                "delete_item",
                table,
                TableName=table,
                Key=entity.key_of(**keys),
                ConditionExpression=condition(p),
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                **p.request(),
            )
        except ClientError as exc:
            raise_existing_failure(exc, entity, keys)
            raise
