"""Transactions: TransactWriteItems (puts, updates, deletes, checks) and TransactGetItems.

A ``TxUpdate`` is planned like ``Store.update``: it refuses key changes, counts the version,
and rewrites the index keys built from the fields it changes, conditional on those fields.
When another writer changes them first, the transaction is cancelled having written nothing,
and it is planned and sent again (a bounded number of times)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from dynaform.aws.client import translate_error
from dynaform.entities.base import StoreBase
from dynaform.entities.errors import TransactionFailed
from dynaform.entities.expressions import Condition, Placeholders, Update, all_of, not_exists
from dynaform.entities.guards import FieldsRead, version_condition
from dynaform.entities.model import ENCODER, Entity
from dynaform.entities.updates import ATTEMPTS, pause, plan_update

CANCELLED = "TransactionCanceledException"


@dataclass
class TxPut:
    entity: Entity
    condition: Condition | None = None
    must_not_exist: bool = False
    expected_version: int | None = None  # replace only this version; stored as expected + 1


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
    expected_version: int | None = None


@dataclass
class TxCheck:
    cls: type[Entity]
    keys: dict[str, Any]
    condition: Condition


TxOperation = TxPut | TxUpdate | TxDelete | TxCheck


@dataclass
class Prepared:
    """One TransactItems entry, what it is (for errors), and for a reindexing update the
    fields it read and how to read them again."""

    request: dict[str, Any]
    what: str
    guard: FieldsRead | None = None
    read: Callable[[], dict[str, Any] | None] | None = None


def _conditioned(body: dict[str, Any], conditions: list[Condition]) -> dict[str, Any]:
    if not conditions:
        return body
    p = Placeholders(ENCODER.value)
    return body | {"ConditionExpression": all_of(*conditions)(p)} | p.request()


class Transactions(StoreBase):
    def transact_write(self, operations: list[TxOperation]) -> None:
        """All or nothing; TransactionFailed says which operation failed and why."""
        for attempt in range(ATTEMPTS):
            prepared = [self._prepare(op) for op in operations]
            try:
                self._call(
                    "transact_write_items",
                    self._tables_of(operations),
                    TransactItems=[p.request for p in prepared],
                )
                return
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != CANCELLED:
                    raise translate_error(exc, "transaction") from exc
                reasons = list(exc.response.get("CancellationReasons", []))
                if not _fields_moved(prepared, reasons):
                    raise _cancelled(exc, prepared, reasons) from exc
                pause(attempt)
        raise TransactionFailed(
            f"transaction cancelled: the fields index keys are built from kept changing "
            f"({ATTEMPTS} attempts)",
            [],
        )

    def _tables_of(self, operations: list[TxOperation]) -> str:
        tables = {self.table(type(o.entity) if isinstance(o, TxPut) else o.cls) for o in operations}
        return " or ".join(sorted(tables))

    def _prepare(self, op: TxOperation) -> Prepared:
        if isinstance(op, TxPut):
            return self._prepare_put(op)
        if isinstance(op, TxUpdate):
            return self._prepare_update(op)
        body = {"TableName": self.table(op.cls), "Key": op.cls.key_of(**op.keys)}
        conditions = [op.condition] if op.condition is not None else []
        if isinstance(op, TxDelete):
            version = version_condition(op.cls.binding(), op.expected_version)
            conditions += [version] if version is not None else []
            return Prepared({"Delete": _conditioned(body, conditions)}, f"delete {_name(op)}")
        return Prepared({"ConditionCheck": _conditioned(body, conditions)}, f"check {_name(op)}")

    def _prepare_put(self, op: TxPut) -> Prepared:
        cls = type(op.entity)
        b = cls.binding()
        entity = op.entity
        conditions = [not_exists(b.pk_attribute)] if op.must_not_exist else []
        version = version_condition(b, op.expected_version)
        if version is not None and op.expected_version is not None and b.version:
            conditions.append(version)
            entity = entity.model_copy(update={b.version: op.expected_version + 1})
        if op.condition is not None:
            conditions.append(op.condition)
        body = {"TableName": self.table(cls), "Item": entity.to_item()}
        return Prepared({"Put": _conditioned(body, conditions)}, f"put {cls.__name__}")

    def _prepare_update(self, op: TxUpdate) -> Prepared:
        table = self.table(op.cls)

        def read() -> dict[str, Any] | None:
            return self._read(op.cls, op.keys)

        plan = plan_update(
            op.cls,
            op.keys,
            op.update,
            expected_version=op.expected_version,
            condition=op.condition,
            read=read,
        )
        request = plan.request(table)
        if plan.guard is not None:
            request["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        return Prepared({"Update": request}, f"update {_name(op)}", plan.guard, read)

    def transact_get(self, requests: list[tuple[type[Entity], dict[str, Any]]]) -> list[Any]:
        items = [
            {"Get": {"TableName": self.table(cls), "Key": cls.key_of(**keys)}}
            for cls, keys in requests
        ]
        tables = " or ".join(sorted({self.table(cls) for cls, _ in requests}))
        answer = self._call("transact_get_items", tables, TransactItems=items)
        return [
            self._load(cls, r.get("Item"))
            for (cls, _), r in zip(requests, answer.get("Responses", []), strict=True)
        ]


def _name(op: TxUpdate | TxDelete | TxCheck) -> str:
    return f"{op.cls.__name__} {op.keys}"


def _fields_moved(prepared: list[Prepared], reasons: list[dict[str, Any]]) -> bool:
    """Whether a reindexing update failed because its index fields changed since its read
    (then the whole transaction is planned again)."""
    for step, reason in zip(prepared, reasons, strict=False):
        if step.guard is None or reason.get("Code") != "ConditionalCheckFailed":
            continue
        found = reason.get("Item")
        if found is None and step.read is not None:
            found = step.read()
        if step.guard.changed_in(found):
            return True
    return False


def _cancelled(
    exc: ClientError, prepared: list[Prepared], reasons: list[dict[str, Any]]
) -> TransactionFailed:
    failed = [
        (index, prepared[index].what, str(reason.get("Code")), str(reason.get("Message", "")))
        for index, reason in enumerate(reasons)
        if reason.get("Code") not in (None, "", "None") and index < len(prepared)
    ]
    summary = "; ".join(f"#{i} {what}: {code}" for i, what, code, _ in failed)
    return TransactionFailed(f"transaction cancelled: {summary or 'unknown reason'}", failed)
