"""Seed 003's items and its seven access patterns, with dynaform.entities.

Run it against the example's table (dynaform apply first):

    python examples/items/entities.py              # default_env of its dynaform.yaml
    python examples/items/entities.py -e staging   # another environment

Store.from_project() reads the tables, endpoint and credentials from the dynaform.yaml
beside this file (dev: the managed DynamoDB Local, started when down).

Pagination cursors are signed with DYNAFORM_CURSOR_KEY (at least 32 random bytes); against
localhost without it, the store uses a random key for the run and warns.
"""

from __future__ import annotations

import argparse
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from dynaform.entities import ConflictError, Entity, Page, Store, compare


class Item(Entity):
    id: str
    name: str
    description: str = ""
    status: Literal["active", "inactive", "archived"] = "active"
    createdAt: int  # noqa: N815 - the seed's attribute names
    updatedAt: int  # noqa: N815
    createdBy: str = "app"  # noqa: N815
    version: int = 0
    ttl: datetime | None = None

    class Meta:
        table = "items"
        key_attributes = ("id", None)
        pk = "{id}"
        indexes = {"status-index": ("status", "{status}", "createdAt", "{createdAt}")}
        version = "version"
        ttl = "ttl"


def now() -> int:
    return int(datetime.now(UTC).timestamp())


# The seven access patterns of seed 003.


def get_item(store: Store, item_id: str) -> Item:
    return store.get(Item, id=item_id)


def list_items(store: Store, limit: int = 20, cursor: str | None = None) -> Page[Item]:
    return store.scan(Item, limit=limit, cursor=cursor)


def items_by_status(store: Store, status: str, cursor: str | None = None) -> Page[Item]:
    return store.query(Item, index="status-index", status=status, descending=True, cursor=cursor)


def items_by_status_between(store: Store, status: str, start: int, end: int) -> list[Item]:
    page = store.query(Item, index="status-index", status=status, sk=("between", start, end))
    return page.items


def create_item(
    store: Store, name: str, description: str = "", *, expires_in: timedelta | None = None
) -> Item:
    stamp = now()
    ttl = datetime.now(UTC) + expires_in if expires_in else None
    return store.create(
        Item(
            id=str(uuid.uuid4()),
            name=name,
            description=description,
            createdAt=stamp,
            updatedAt=stamp,
            ttl=ttl,
        )
    )


def rename_item(store: Store, item: Item, name: str) -> Item:
    """Update with optimistic locking: fails with ConflictError if someone else wrote first."""
    return store.update(
        Item, {"id": item.id}, set={"name": name, "updatedAt": now()}, expected_version=item.version
    )


def delete_item(store: Store, item: Item) -> None:
    store.delete(Item, id=item.id, expected_version=item.version)


def demo(store: Store) -> dict[str, int]:
    laptop = create_item(store, "Laptop", "High-performance laptop")
    monitor = create_item(store, "Monitor", "27-inch 4K display")
    store.batch_write(
        puts=[
            Item(
                id=str(uuid.uuid4()),
                name=f"Cable {n}",
                status="inactive",
                createdAt=now() - n,
                updatedAt=now(),
            )
            for n in range(30)
        ]
    )
    renamed = rename_item(store, laptop, "Laptop Pro")
    try:
        rename_item(store, laptop, "stale write")  # laptop is version 0; stored is 1
    except ConflictError as conflict:
        assert conflict.current_version == renamed.version
    assert get_item(store, laptop.id).name == "Laptop Pro"
    listed, cursor = 0, None
    while True:
        page = list_items(store, limit=10, cursor=cursor)
        listed += len(page.items)
        if not page.cursor:
            break
        cursor = page.cursor
    recent = items_by_status_between(store, "inactive", now() - 10, now())
    delete_item(store, get_item(store, monitor.id))
    return {
        "listed": listed,
        "active": len(items_by_status(store, "active").items),
        "recent_inactive": len(recent),
        "filtered": len(store.scan(Item, filter=compare("name", "eq", "Laptop Pro")).items),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-e", "--env", help="environment of dynaform.yaml (default: default_env)")
    parser.add_argument("--endpoint-url", help="override the environment's endpoint")
    args = parser.parse_args()
    # Tables, endpoint and credentials come from the project file beside this module.
    project_file = Path(__file__).with_name("dynaform.yaml")
    print(demo(Store.from_project(project_file, args.env, endpoint_url=args.endpoint_url)))


if __name__ == "__main__":
    main()
