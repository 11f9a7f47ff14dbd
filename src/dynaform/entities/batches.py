"""Batches: BatchGetItem with backoff (one loop, for batch_get and for index reads that fetch
whole items), and writes through the data plane's bulk writer (one path for every store)."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Hashable, Iterable, Mapping
from pathlib import Path
from typing import Any

import orjson

from dynaform.aws.client import DynamoDBClient
from dynaform.data.bulk import BulkWriter, RejectFile, WriteStats, backoff
from dynaform.data.codec import marshal, unmarshal
from dynaform.data.wire import WireClient
from dynaform.entities.base import E, StoreBase
from dynaform.entities.errors import EntityError, TableMissing
from dynaform.entities.model import (
    DECODER,
    ENCODER,
    WIRE_ENCODER,
    Binding,
    Entity,
    item_of,
    primary_key,
)

GET_CHUNK = 100  # BatchGetItem's limit
RETRY_ROUNDS = 12
RETRY_BASE_DELAY = 0.05
RETRY_MAX_DELAY = 5.0


def identity(key: Mapping[str, Any]) -> tuple[Hashable, ...]:
    """A key's values, comparable however the number was written (3 == 3.0)."""
    return tuple((name, DECODER.value(key[name])) for name in sorted(key))


def fetch_items(
    store: StoreBase, table: str, keys: list[dict[str, Any]]
) -> dict[tuple[Hashable, ...], dict[str, Any]]:
    """The stored items for ``keys`` (each asked once), by ``identity`` of their key; missing
    ones are absent. UnprocessedKeys are retried with backoff, a bounded number of times."""
    if not keys:
        return {}
    names = sorted(keys[0])
    unique = list({identity(key): key for key in keys}.values())
    found: dict[tuple[Hashable, ...], dict[str, Any]] = {}
    for start in range(0, len(unique), GET_CHUNK):
        request: dict[str, Any] = {table: {"Keys": unique[start : start + GET_CHUNK]}}
        attempt = 0
        while request:
            answer = store._call("batch_get_item", table, RequestItems=request)
            for item in answer.get("Responses", {}).get(table, []):
                found[identity({n: item[n] for n in names})] = item
            request = answer.get("UnprocessedKeys") or {}
            if request:
                attempt += 1
                pause(attempt, f"{table} kept refusing reads (throttled)")
    return found


def pause(attempt: int, refusal: str) -> None:
    """Full-jitter exponential backoff between retries of unprocessed keys."""
    if attempt > RETRY_ROUNDS:
        raise EntityError(refusal, hint="retry later, or raise the table's capacity")
    time.sleep(backoff(attempt, RETRY_BASE_DELAY, RETRY_MAX_DELAY))


class Batches(StoreBase):
    def batch_get(self, entity: type[E], keys: list[dict[str, Any]]) -> list[E]:
        """The items in the order of ``keys`` (a key given twice counts once); missing and
        expired items are left out."""
        wanted = [entity.key_of(**k) for k in keys]
        found = fetch_items(self, self.table(entity), wanted)
        seen: set[tuple[Hashable, ...]] = set()
        out: list[E] = []
        for key in wanted:
            ident = identity(key)
            if ident in seen:
                continue
            seen.add(ident)
            loaded = self._load(entity, found.get(ident))
            if loaded is not None:
                out.append(loaded)
        return out

    def batch_write(
        self,
        puts: Iterable[Entity] = (),
        deletes: Iterable[tuple[type[Entity], dict[str, Any]]] = (),
    ) -> int:
        """Puts, then deletes, through the data plane's bulk writer: 25-item batches, several
        in flight, UnprocessedItems and throttling retried with backoff. Nothing is dropped:
        items DynamoDB refuses go to a reject file, and EntityError names it."""
        groups: dict[tuple[str, tuple[str, ...], bool], list[dict[str, Any]]] = {}
        for entity in puts:
            b = type(entity).binding()
            group = (self.table(type(entity)), _key_names(b), False)
            groups.setdefault(group, []).append(item_of(entity, WIRE_ENCODER))
        for cls, keys in deletes:
            group = (self.table(cls), _key_names(cls.binding()), True)
            groups.setdefault(group, []).append(primary_key(cls, keys, WIRE_ENCODER))
        wire = self.wire if self.wire is not None else _ClientWire(self.client)
        return sum(
            _write(wire, table, names, items, delete)
            for (table, names, delete), items in groups.items()
        )


def _key_names(b: Binding) -> tuple[str, ...]:
    return (b.pk_attribute, b.sk_attribute) if b.sk_attribute else (b.pk_attribute,)


def _write(
    wire: WireClient, table: str, names: tuple[str, ...], items: list[dict[str, Any]], delete: bool
) -> int:
    folder = Path(tempfile.mkdtemp(prefix="dynaform-rejects-"))
    rejects = folder / f"{table}.jsonl"
    writer = BulkWriter(wire, table, names, RejectFile(rejects), delete=delete)
    stats = writer.run(enumerate(items))
    if not stats.rejected:
        shutil.rmtree(folder, ignore_errors=True)
        return stats.items
    raise _refused(table, stats, rejects)


def _refused(table: str, stats: WriteStats, rejects: Path) -> EntityError:
    reasons = "; ".join(f"{count} {reason}" for reason, count in stats.reasons.items())
    if all(reason.startswith("ResourceNotFoundException") for reason in stats.reasons):
        return TableMissing(f"table {table} does not exist (nothing written; see {rejects})")
    return EntityError(
        f"{stats.rejected} item(s) could not be written to {table} ({reasons}); "
        f"they are in {rejects}",
        hint="fix them and `dynaform data import` the file",
    )


class _ClientWire(WireClient):
    """The bulk writer's transport over the store's own botocore client (its credentials,
    endpoint and retries), for a store built without the data plane's client. The bulk
    writer speaks the wire form (binary as base64 text); botocore takes bytes."""

    def __init__(self, client: DynamoDBClient) -> None:  # the wire's own HTTP set-up: unused
        self.client = client
        self.endpoint_url = str(client.meta.endpoint_url)
        self.region = str(client.meta.region_name)
        self.requests = 0
        self.retries = 0

    def call(self, operation: str, payload: bytes | dict[str, Any]) -> dict[str, Any]:
        if operation != "BatchWriteItem":  # the bulk writer sends nothing else through it
            raise EntityError(f"the store's batch transport only writes batches, not {operation}")
        request = orjson.loads(payload) if isinstance(payload, bytes) else payload
        self.requests += 1
        answer = self.client.batch_write_item(
            RequestItems={
                table: [_convert(w, _to_botocore) for w in writes]
                for table, writes in request["RequestItems"].items()
            }
        )
        left = answer.get("UnprocessedItems") or {}
        return {
            "UnprocessedItems": {
                table: [_convert(w, marshal) for w in writes] for table, writes in left.items()
            }
        }


def _to_botocore(values: Mapping[str, Any]) -> dict[str, Any]:
    return ENCODER.item(values)


def _convert(write: dict[str, Any], encode: Any) -> dict[str, Any]:
    """One PutRequest/DeleteRequest with its item or key re-encoded."""
    if "PutRequest" in write:
        return {"PutRequest": {"Item": encode(unmarshal(write["PutRequest"]["Item"]))}}
    return {"DeleteRequest": {"Key": encode(unmarshal(write["DeleteRequest"]["Key"]))}}
