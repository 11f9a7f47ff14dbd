"""What every part of the store shares: the client, the table names, the cursor key, the call
that turns a missing table into TableMissing, and loading items into entities."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from dynaform.aws.client import DynamoDBClient, translate_error
from dynaform.data.wire import WireClient
from dynaform.entities import cursor as cursors
from dynaform.entities.errors import TableMissing
from dynaform.entities.model import Entity
from dynaform.settings import is_loopback_url

E = TypeVar("E", bound=Entity)


@dataclass
class StoreBase:
    client: DynamoDBClient
    tables: Mapping[str, str] = field(default_factory=dict)
    # Signs pagination cursors; None: DYNAFORM_CURSOR_KEY, else (loopback only) a random key.
    cursor_key: bytes | str | None = field(default=None, repr=False)
    hide_expired: bool = True
    wire: WireClient | None = None  # the data plane's client: batch_write goes through it
    _cursor_secret: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        endpoint = str(getattr(self.client.meta, "endpoint_url", "") or "")
        self._cursor_secret = cursors.signing_key(
            self.cursor_key, os.environ, loopback=is_loopback_url(endpoint), endpoint=endpoint
        )

    def table(self, entity: type[Entity]) -> str:
        logical = entity.binding().table
        return self.tables.get(logical, logical)

    def _call(self, operation: str, table: str, **params: Any) -> dict[str, Any]:
        """One botocore call; a missing table is TableMissing, connection trouble a
        DynaformError, and other ClientErrors are raised as they are (callers read codes)."""
        try:
            return dict(getattr(self.client, operation)(**params))
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code == "ResourceNotFoundException":
                raise TableMissing(f"table {table} does not exist") from exc
            raise
        except Exception as exc:
            raise translate_error(exc, table) from exc

    def _read(self, entity: type[Entity], keys: Mapping[str, Any]) -> dict[str, Any] | None:
        """The stored item as it is now (a consistent read), expired or not."""
        table = self.table(entity)
        answer = self._call(
            "get_item", table, TableName=table, Key=entity.key_of(**keys), ConsistentRead=True
        )
        item = answer.get("Item")
        return dict(item) if item is not None else None

    def _expired(self, entity: type[Entity], item: Mapping[str, Any]) -> bool:
        ttl = entity.binding().ttl
        if not (self.hide_expired and ttl and ttl in item and "N" in item[ttl]):
            return False
        return int(float(item[ttl]["N"])) <= int(datetime.now(UTC).timestamp())

    def _load(self, entity: type[E], item: dict[str, Any] | None) -> E | None:
        if item is None or self._expired(entity, item):
            return None
        return entity.from_item(item)
