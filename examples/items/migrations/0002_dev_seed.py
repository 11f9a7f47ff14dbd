"""Seed 003's dev_seed.js: five sample items, in dev only.

Runs through m.store with the example's own entities (the project folder is on the import
path). Items are created only when missing, so running it again (a resumed run) changes nothing.
"""

from datetime import UTC, datetime, timedelta

from dynaform.entities import AlreadyExists
from entities import Item

DAY = timedelta(days=1)
SAMPLES = [  # (name, description, status, created days ago, updated days ago)
    ("Laptop", "High-performance laptop for development", "active", 7, 2),
    ("Monitor", "27-inch 4K display", "active", 5, 1),
    ("Keyboard", "Mechanical keyboard with RGB lighting", "active", 3, 0),
    ("Mouse", "Wireless ergonomic mouse", "inactive", 10, 5),
    ("USB Hub", "7-port USB 3.0 hub", "archived", 30, 15),
]


def up(m):
    if m.env != "dev":
        m.log(f"sample data is for dev only: nothing to do in {m.env}")
        return
    now = datetime.now(UTC)
    created = 0
    for number, (name, description, status, made, changed) in enumerate(SAMPLES):
        item = Item(
            id=f"550e8400-e29b-41d4-a716-44665544000{number}",
            name=name,
            description=description,
            status=status,
            createdAt=int((now - made * DAY).timestamp()),
            updatedAt=int((now - changed * DAY).timestamp()),
            createdBy="seed-script",
        )
        try:
            m.store.create(item)
            created += 1
        except AlreadyExists:
            pass
    m.log(f"{created} sample item(s) created")
