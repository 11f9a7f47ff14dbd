"""The calendar's single-table design (seeds 000 + 004) with dynaform.entities.

    PK                      SK                                  entity
    USER#<user>             PROFILE                             User
    CALENDAR#<cal>          METADATA                            Calendar
    CALENDAR#<cal>          MEMBER#<user>                       CalendarMembership
    CALENDAR#<cal>          ENTRY#<start ISO>#<entry>           CalendarEntry
    GSI1PK = CALENDAR#<cal>#<year>, GSI1SK = <start ISO>#<entry>   (year view: agenda queries)
    GSI2PK = MASTER#<recurrence>, GSI2SK = <start ISO>             (sparse: recurring only)

Run it against the example's table (dynaform apply first):

    python examples/calendar/entities.py              # default_env of its dynaform.yaml
    python examples/calendar/entities.py -e staging   # another environment

Store.from_project() reads the tables, endpoint and credentials from the dynaform.yaml
beside this file (dev: the managed DynamoDB Local, started when down).

Pagination cursors are signed with DYNAFORM_CURSOR_KEY (at least 32 random bytes); against
localhost without it, the store uses a random key for the run and warns.
"""

from __future__ import annotations

import argparse
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Literal

from dynaform.entities import Entity, NotFound, Store, TxPut

ISO = "%Y-%m-%dT%H:%M:%SZ"
Role = Literal["owner", "writer", "reader"]
PERMISSIONS: dict[str, set[str]] = {
    "owner": {"read", "write", "share", "delete"},
    "writer": {"read", "write"},
    "reader": {"read"},
}


class User(Entity):
    user_id: str
    name: str
    email: str
    version: int = 0

    class Meta:
        table = "main"
        pk = "USER#{user_id}"
        sk = "PROFILE"
        type_name = "user"
        version = "version"


class Calendar(Entity):
    calendar_id: str
    name: str
    owner_id: str
    version: int = 0

    class Meta:
        table = "main"
        pk = "CALENDAR#{calendar_id}"
        sk = "METADATA"
        type_name = "calendar"
        version = "version"


class CalendarMembership(Entity):
    calendar_id: str
    user_id: str
    role: Role

    class Meta:
        table = "main"
        pk = "CALENDAR#{calendar_id}"
        sk = "MEMBER#{user_id}"
        type_name = "membership"

    def can(self, action: str) -> bool:
        return action in PERMISSIONS[self.role]


class CalendarEntry(Entity):
    calendar_id: str
    entry_id: str
    kind: Literal["multi_day", "all_day", "timed", "task"]
    title: str
    description: str = ""
    start: datetime
    end: datetime | None = None
    all_day: bool = False
    due: datetime | None = None
    done: bool = False
    recurrence_id: str | None = None
    version: int = 0

    class Meta:
        table = "main"
        pk = "CALENDAR#{calendar_id}"
        sk = "ENTRY#{start:%Y-%m-%dT%H:%M:%SZ}#{entry_id}"
        indexes = {
            "GSI1-YearView": (
                "GSI1PK",
                "CALENDAR#{calendar_id}#{start:%Y}",
                "GSI1SK",
                "{start:%Y-%m-%dT%H:%M:%SZ}#{entry_id}",
            ),
            "GSI2-RecurrenceLookup": (
                "GSI2PK",
                "MASTER#{recurrence_id}",
                "GSI2SK",
                "{start:%Y-%m-%dT%H:%M:%SZ}",
            ),
        }
        type_name = "entry"
        version = "version"


def create_calendar(store: Store, owner: User, name: str) -> Calendar:
    """Calendar and owner membership in one transaction: both or neither."""
    calendar = Calendar(calendar_id=str(uuid.uuid4()), name=name, owner_id=owner.user_id)
    membership = CalendarMembership(
        calendar_id=calendar.calendar_id, user_id=owner.user_id, role="owner"
    )
    store.transact_write(
        [TxPut(calendar, must_not_exist=True), TxPut(membership, must_not_exist=True)]
    )
    return calendar


def share(store: Store, calendar: Calendar, by: User, to: User, role: Role) -> None:
    member = store.get(CalendarMembership, calendar_id=calendar.calendar_id, user_id=by.user_id)
    if not member.can("share"):
        raise PermissionError(f"{by.name} ({member.role}) cannot share {calendar.name}")
    store.put(CalendarMembership(calendar_id=calendar.calendar_id, user_id=to.user_id, role=role))


def add_entry(store: Store, calendar: Calendar, by: User, entry: CalendarEntry) -> CalendarEntry:
    try:
        member = store.get(CalendarMembership, calendar_id=calendar.calendar_id, user_id=by.user_id)
    except NotFound:
        raise PermissionError(f"{by.name} is not a member of {calendar.name}") from None
    if not member.can("write"):
        raise PermissionError(f"{by.name} ({member.role}) cannot add entries")
    return store.create(entry)


def week_agenda(store: Store, calendar: Calendar, monday: date) -> list[CalendarEntry]:
    """One query on the year view (GSI1); a week spanning New Year takes two."""
    start = datetime.combine(monday, datetime.min.time(), UTC)
    end = start + timedelta(days=7)
    entries: list[CalendarEntry] = []
    for year in sorted({start.year, (end - timedelta(seconds=1)).year}):
        entries += store.query_all(
            CalendarEntry,
            index="GSI1-YearView",
            calendar_id=calendar.calendar_id,
            start=datetime(year, 1, 1, tzinfo=UTC),
            sk=("between", start.strftime(ISO), end.strftime(ISO)),
        )
    return entries


def demo(store: Store) -> dict[str, object]:
    ada = store.create(User(user_id=str(uuid.uuid4()), name="Ada", email="ada@example.com"))
    bob = store.create(User(user_id=str(uuid.uuid4()), name="Bob", email="bob@example.com"))
    work = create_calendar(store, ada, "Work")
    share(store, work, ada, bob, "reader")
    monday = date(2024, 6, 10)
    for offset, kind in enumerate(["timed", "all_day", "task", "timed", "multi_day"]):
        start = datetime.combine(monday + timedelta(days=offset * 2), datetime.min.time(), UTC)
        start += timedelta(hours=9 if kind in {"timed", "task"} else 0)
        add_entry(
            store,
            work,
            ada,
            CalendarEntry(
                calendar_id=work.calendar_id,
                entry_id=str(uuid.uuid4()),
                kind=kind,
                title=f"{kind} {offset}",
                start=start,
                end=start + timedelta(hours=1),
                recurrence_id=f"weekly-{work.calendar_id}" if offset == 0 else None,
            ),
        )
    refused = ""
    try:
        add_entry(
            store,
            work,
            bob,
            CalendarEntry(
                calendar_id=work.calendar_id,
                entry_id="x",
                kind="task",
                title="nope",
                start=datetime.now(UTC),
            ),
        )
    except PermissionError as exc:
        refused = str(exc)
    agenda = week_agenda(store, work, monday)
    recurring = store.query(
        CalendarEntry, index="GSI2-RecurrenceLookup", recurrence_id=f"weekly-{work.calendar_id}"
    ).items
    return {"agenda": [e.title for e in agenda], "recurring": len(recurring), "refused": refused}


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
