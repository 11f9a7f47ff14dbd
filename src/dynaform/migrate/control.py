"""The control table: one per project and environment, created on first use.

    PK                 SK                          what
    migration          <id>                        the migration's record: state, checksum, counts
    history            <started>#<id>#<run>        one entry per run (who, when, how long, counts)
    lock               lock                        the lease lock (holder, token, expiry)
    backfill#<id>      <n>                         a backfill's plan: table, segment count
    backfill#<id>      <n>#<segment>               a segment: checkpoint, lease, counts

Every write is a single-item call; whatever must not be lost (a checkpoint, a lease) is
conditional on the writer still holding what it claims to hold.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from dynaform.data.codec import marshal, unmarshal
from dynaform.data.wire import WireClient
from dynaform.errors import DynaformError

STATES = ("running", "applied", "failed")
COUNTS = ("read", "changed", "created", "deleted", "unchanged", "conflicts", "gone")


def now_ms() -> int:
    return int(time.time() * 1000)


def iso(ms: int | None = None) -> str:
    moment = datetime.fromtimestamp((now_ms() if ms is None else ms) / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def code_of(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


@dataclass
class Record:
    """A migration as recorded in one environment."""

    id: str
    checksum: str
    state: str
    by: str = ""
    started: str = ""
    finished: str = ""
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    error: str = ""
    description: str = ""

    @classmethod
    def of(cls, item: dict[str, Any]) -> Record:
        return cls(
            id=item["id"],
            checksum=item.get("checksum", ""),
            state=item.get("state", ""),
            by=item.get("by", ""),
            started=item.get("started", ""),
            finished=item.get("finished", ""),
            seconds=float(item.get("seconds", 0)),
            counts={k: int(v) for k, v in item.get("counts", {}).items()},
            error=item.get("error", ""),
            description=item.get("description", ""),
        )

    def plain(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "checksum": self.checksum,
            "state": self.state,
            "by": self.by,
            "started": self.started,
            "finished": self.finished,
            "seconds": round(self.seconds, 3),
            "counts": dict(self.counts),
            "error": self.error,
            "description": self.description,
        }


class ControlTable:
    def __init__(self, wire: WireClient, name: str) -> None:
        self.wire = wire
        self.name = name

    # --- the table itself -----------------------------------------------------------------

    def exists(self) -> bool:
        try:
            self.wire.call("DescribeTable", {"TableName": self.name})
        except ClientError as exc:
            if code_of(exc) == "ResourceNotFoundException":
                return False
            raise
        return True

    def ensure(self, timeout: float = 300.0) -> None:
        """Create the table when it is missing, and wait until it is ACTIVE."""
        if not self.exists():
            try:
                self.wire.call("CreateTable", _definition(self.name))
            except ClientError as exc:
                if code_of(exc) != "ResourceInUseException":  # another run created it
                    raise
        deadline = time.monotonic() + timeout
        while True:
            table = self.wire.call("DescribeTable", {"TableName": self.name})["Table"]
            if table.get("TableStatus") == "ACTIVE":
                return
            if time.monotonic() > deadline:
                raise DynaformError(f"the control table {self.name} did not become ACTIVE")
            time.sleep(0.5)

    # --- items ----------------------------------------------------------------------------

    def get(self, pk: str, sk: str) -> dict[str, Any] | None:
        answer = self.wire.call_patiently(
            "GetItem",
            {"TableName": self.name, "Key": _key(pk, sk), "ConsistentRead": True},
        )
        return unmarshal(answer["Item"]) if "Item" in answer else None

    def query(self, pk: str, prefix: str | None = None) -> list[dict[str, Any]]:
        condition = "PK = :pk" + (" AND begins_with(SK, :p)" if prefix else "")
        values: dict[str, Any] = {":pk": {"S": pk}}
        if prefix:
            values[":p"] = {"S": prefix}
        request: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "ConsistentRead": True,
        }
        items: list[dict[str, Any]] = []
        while True:
            answer = self.wire.call_patiently("Query", request)
            items += [unmarshal(i) for i in answer.get("Items", [])]
            if "LastEvaluatedKey" not in answer:
                return items
            request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def put(self, pk: str, sk: str, values: dict[str, Any], condition: Cond | None = None) -> bool:
        """Put; with ``condition`` False (nothing written) when it does not hold."""
        request: dict[str, Any] = {
            "TableName": self.name,
            "Item": marshal({**values, "PK": pk, "SK": sk}),
        }
        return self.send(_with(request, condition))

    def set(
        self,
        pk: str,
        sk: str,
        values: dict[str, Any],
        condition: Cond | None = None,
        *,
        add: dict[str, int] | None = None,
        remove: tuple[str, ...] = (),
    ) -> bool:
        """SET (and ADD, REMOVE) attributes; False when ``condition`` does not hold."""
        parts = []
        if values:
            parts.append("SET " + ", ".join(f"#{k} = :set_{k}" for k in values))
        if add:
            parts.append("ADD " + ", ".join(f"#{k} :add_{k}" for k in add))
        if remove:
            parts.append("REMOVE " + ", ".join(f"#{k}" for k in remove))
        bound = {f"set_{k}": v for k, v in values.items()} | {
            f"add_{k}": v for k, v in (add or {}).items()
        }
        request: dict[str, Any] = {
            "TableName": self.name,
            "Key": _key(pk, sk),
            "UpdateExpression": " ".join(parts),
        }
        expression, extra = condition if condition is not None else ("", {})
        return self.send(_with(request, (expression, {**extra, **bound})))

    def delete(self, pk: str, sk: str, condition: Cond | None = None) -> bool:
        return self.send(_with({"TableName": self.name, "Key": _key(pk, sk)}, condition))

    def send(self, request: dict[str, Any]) -> bool:
        """One write (Put, Update or Delete, told by its fields); False on a failed condition."""
        operation = (
            "PutItem"
            if "Item" in request
            else "UpdateItem"
            if "UpdateExpression" in request
            else "DeleteItem"
        )
        try:
            self.wire.call_patiently(operation, request)
        except ClientError as exc:
            if code_of(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    # --- records --------------------------------------------------------------------------

    def records(self) -> dict[str, Record]:
        if not self.exists():
            return {}
        return {item["SK"]: Record.of(item) for item in self.query("migration")}

    def save_record(self, record: Record) -> None:
        self.put("migration", record.id, _clean(record.plain()))

    def add_history(self, record: Record, action: str = "up") -> None:
        entry = {**record.plain(), "action": action}
        sk = f"{record.started or iso()}#{record.id}#{now_ms()}"
        self.put("history", sk, _clean(entry))

    def history(self) -> list[dict[str, Any]]:
        if not self.exists():
            return []
        return self.query("history")


Cond = tuple[str, dict[str, Any]]  # "#token = :token", {"token": "..."}
NAME = re.compile(r"#(\w+)")


def _with(request: dict[str, Any], condition: Cond | None) -> dict[str, Any]:
    """A condition (and every expression) with names ``#attr`` and values ``:name`` bound."""
    if condition is not None and condition[0]:
        request["ConditionExpression"] = condition[0]
    text = " ".join(str(request.get(k, "")) for k in ("ConditionExpression", "UpdateExpression"))
    names = {f"#{n}": n for n in NAME.findall(text)}
    if names:
        request["ExpressionAttributeNames"] = names
    values = condition[1] if condition is not None else {}
    if values:
        request["ExpressionAttributeValues"] = marshal({":" + k: v for k, v in values.items()})
    return request


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"PK": {"S": pk}, "SK": {"S": sk}}


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    """Floats become exact decimals (the codec refuses floats); empty strings are kept."""
    from decimal import Decimal

    return {k: Decimal(repr(v)) if isinstance(v, float) else v for k, v in values.items()}


def _definition(name: str) -> dict[str, Any]:
    return {
        "TableName": name,
        "AttributeDefinitions": [
            {"AttributeName": "PK", "AttributeType": "S"},
            {"AttributeName": "SK", "AttributeType": "S"},
        ],
        "KeySchema": [
            {"AttributeName": "PK", "KeyType": "HASH"},
            {"AttributeName": "SK", "KeyType": "RANGE"},
        ],
        "BillingMode": "PAY_PER_REQUEST",
    }
