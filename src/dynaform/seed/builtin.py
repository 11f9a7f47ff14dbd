"""Built-in generators for the examples: ``calendar``, ``items`` and ``workbench``."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dynaform.data.files import workbench_items
from dynaform.seed.registry import Item, Option, generator
from dynaform.seed.template import iso, new_uuid

if TYPE_CHECKING:
    from faker import Faker

# --- calendar (seeds 000 + 004) ---------------------------------------------------------

KIND_SHARES = (("multi_day", 0.15), ("all_day", 0.20), ("timed", 0.45), ("task", 0.20))


def calendar_id(text: str) -> str:
    try:
        return str(uuid.UUID(text))
    except ValueError as exc:
        raise ValueError(
            f"{text!r} is not a UUID (e.g. 0f8fad5b-d9cb-469f-a165-70867728950e)"
        ) from exc


def day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a date like 2024-06-15") from exc


def today() -> date:
    return datetime.now(UTC).date()


def kinds_for(count: int, rng: random.Random) -> list[str]:
    """Exactly the documented shares (rounded), in a seeded random order."""
    counts = {kind: round(count * share) for kind, share in KIND_SHARES}
    counts["timed"] += count - sum(counts.values())
    kinds = [kind for kind, n in counts.items() for _ in range(n)]
    rng.shuffle(kinds)
    return kinds


def _entry(kind: str, calendar: str, highlighted: date, rng: random.Random, fake: Faker) -> Item:
    offset = max(-45, min(45, round(rng.gauss(0, 6))))  # most within a couple of weeks
    midnight = datetime.combine(highlighted + timedelta(days=offset), datetime.min.time(), UTC)
    entry_id = new_uuid(rng)
    item: Item = {
        "entity": "entry",
        "kind": kind,
        "calendarId": calendar,
        "entryId": entry_id,
        "title": fake.sentence(nb_words=4).rstrip("."),
        "description": fake.paragraph(nb_sentences=2),
        "version": 1,
    }
    if kind == "multi_day":
        start = midnight
        item |= {
            "start": iso(start),
            "end": iso(start + timedelta(days=rng.randint(2, 5))),
            "allDay": True,
        }
    elif kind == "all_day":
        start = midnight
        item |= {"start": iso(start), "end": iso(start + timedelta(days=1)), "allDay": True}
    elif kind == "timed":
        start = midnight + timedelta(hours=rng.randint(7, 19), minutes=rng.choice((0, 15, 30, 45)))
        item |= {
            "start": iso(start),
            "end": iso(start + timedelta(minutes=rng.choice((30, 45, 60, 90, 120, 180)))),
            "allDay": False,
        }
    else:
        start = midnight + timedelta(hours=rng.randint(9, 17))
        item |= {
            "start": iso(start),
            "due": iso(start),
            "done": rng.random() < 0.3,
            "allDay": False,
        }
    stamp = item["start"]
    item |= {
        "PK": f"CALENDAR#{calendar}",
        "SK": f"ENTRY#{stamp}#{entry_id}",
        "GSI1PK": f"CALENDAR#{calendar}#{start.year}",
        "GSI1SK": f"{stamp}#{entry_id}",
    }
    return item


@generator(
    "calendar",
    table="main",
    report_by="kind",
    count=50,
    options=[
        Option("calendar_id", calendar_id, None, "The calendar to fill (a UUID).", required=True),
        Option("highlighted_day", day, today, "Entries cluster around this day (YYYY-MM-DD)."),
        Option("owner_name", str, None, "Name of the calendar's owner (default: from Faker)."),
    ],
)
def calendar(
    count: int, rng: random.Random, fake: Faker, options: dict[str, Any], context: Any
) -> Iterator[Item]:
    """Mock calendar entries (~15% multi-day, ~20% all-day, ~45% timed, ~20% tasks) around a
    day, plus the calendar, its owner and the owner's membership when they are missing."""
    cal = options["calendar_id"]
    user_id = new_uuid(rng)
    owner = options["owner_name"] or fake.name()
    email = fake.email()  # drawn either way, so entries do not depend on what exists
    calendar_key = {"PK": f"CALENDAR#{cal}", "SK": "METADATA"}
    if not context.exists(calendar_key):
        yield calendar_key | {
            "entity": "calendar",
            "calendarId": cal,
            "ownerId": user_id,
            "name": f"{owner.split()[0]}'s calendar",
            "version": 1,
        }
        yield {
            "PK": f"USER#{user_id}",
            "SK": "PROFILE",
            "entity": "user",
            "userId": user_id,
            "name": owner,
            "email": email,
            "version": 1,
        }
        yield {
            "PK": f"CALENDAR#{cal}",
            "SK": f"MEMBER#{user_id}",
            "entity": "membership",
            "calendarId": cal,
            "userId": user_id,
            "role": "owner",
        }
    for kind in kinds_for(count, rng):
        yield _entry(kind, cal, options["highlighted_day"], rng, fake)


# --- items (seed 003) -------------------------------------------------------------------

SEED_003 = (
    ("Laptop", "active", 7, 2, "High-performance laptop for development"),
    ("Monitor", "active", 5, 1, "27-inch 4K display"),
    ("Keyboard", "active", 3, 0, "Mechanical keyboard with brown switches"),
    ("Mouse", "inactive", 10, 5, "Wireless ergonomic mouse"),
    ("USB Hub", "archived", 30, 15, "7-port USB 3.0 hub"),
)


@generator("items", table="items", report_by="status", count=5)
def items(
    count: int, rng: random.Random, fake: Faker, options: dict[str, Any], context: Any
) -> Iterator[Item]:
    """Seed 003's five sample items (Laptop, Monitor, Keyboard: active; Mouse: inactive;
    USB Hub: archived), created and updated relative to now."""
    now: datetime = context.now
    for index in range(count):
        name, status, created, updated, description = SEED_003[index % len(SEED_003)]
        suffix = "" if index < len(SEED_003) else f" #{index // len(SEED_003) + 1}"
        yield {
            "id": new_uuid(rng),
            "name": name + suffix,
            "description": description,
            "status": status,
            "createdAt": int((now - timedelta(days=created)).timestamp()),
            "updatedAt": int((now - timedelta(days=updated)).timestamp()),
            "createdBy": "seed",
            "version": 1,
        }


# --- workbench --------------------------------------------------------------------------


@generator(
    "workbench",
    count=0,
    wire=True,
    options=[
        Option("model", Path, None, "A NoSQL Workbench model (JSON).", required=True),
        Option("model_table", str, None, "The model's table, when it has several."),
    ],
)
def workbench(
    count: int, rng: random.Random, fake: Faker, options: dict[str, Any], context: Any
) -> Iterator[Item]:
    """The sample items (TableData) of a NoSQL Workbench model, as they are."""
    found = workbench_items(options["model"], options["model_table"])
    yield from found if count <= 0 else found[:count]
