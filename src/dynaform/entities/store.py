"""The store: entity operations on a botocore client (the shell of the entity layer).

store = Store.connect(settings, tables={"main": "calendsync-dev-main"}, cursor_key=secret)
store.create(User(user_id="u1", name="Ada"))
user = store.get(User, user_id="u1")
page = store.query(CalendarEntry, calendar_id=cid, sk=("begins_with", "ENTRY#2024-06"))
more = store.query(CalendarEntry, calendar_id=cid, cursor=page.cursor)

Each job lives in its own module: reads (get, find, query, scan, count), writes (create, put,
update, delete), batches, transactions; ``base`` holds what they share.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dynaform.aws.client import dynamodb_client
from dynaform.data.wire import WireClient
from dynaform.entities.batches import Batches
from dynaform.entities.reads import Page, Reads
from dynaform.entities.transactions import (
    Transactions,
    TxCheck,
    TxDelete,
    TxOperation,
    TxPut,
    TxUpdate,
)
from dynaform.entities.writes import Writes
from dynaform.settings import Settings

__all__ = ["Page", "Store", "TxCheck", "TxDelete", "TxOperation", "TxPut", "TxUpdate"]


class Store(Reads, Writes, Batches, Transactions):
    """``Store(client, tables={logical: physical}, cursor_key=..., hide_expired=True)``.

    ``cursor_key`` (at least 32 bytes; else ``DYNAFORM_CURSOR_KEY``) signs pagination cursors.
    """

    @classmethod
    def connect(cls, settings: Settings, endpoint_url: str | None = None, **kwargs: Any) -> Store:
        """A store whose batch writes go through the data plane's lean client."""
        client = dynamodb_client(settings, endpoint_url)
        wire = WireClient(settings, endpoint_url, client=client)
        return cls(client, wire=wire, **kwargs)

    @classmethod
    def from_project(
        cls, path: str | Path | None = None, env: str | None = None, **options: Any
    ) -> Store:
        """A store on the project file's environment: ``dynaform.yaml`` found as the CLI finds
        it, ``env`` else ``$DYNAFORM_ENV`` else ``default_env``, physical names, endpoint and
        credentials (the managed local engine started when the target is local), and the
        cursor key from ``DYNAFORM_CURSOR_KEY``. Options: ``environ``, ``endpoint_url``,
        ``region``, ``profile``, ``local``, ``cursor_key``, ``hide_expired``."""
        from dynaform.entities.project import store_from_project

        return store_from_project(path, env, **options)
