"""Seed 004's calendar API model: each user's events, shares, recurring events.

    PK          SK                  entity
    USER#<u>    ACCOUNT             Account   created on the user's first write
    USER#<u>    SHARE#<other>       Share     <other> may read (reader) or also write (writer)
    USER#<u>    EVENT#<event>       Event     a single event
    USER#<u>    MASTER#<event>      Master    a recurring event: its rule (not in the agenda)
    USER#<u>    INSTANCE#<event>    Instance  one occurrence of a master; <event> = <master>_<n>
    GSI1PK = USER#<u>#<year>, GSI1SK = <start ISO>#<event>   events and instances (the agenda)
    GSI2PK = MASTER#<master>, GSI2SK = <start ISO>           instances only (sparse)

Times are ISO 8601 UTC to the second. ``examples/calendar/api.py`` serves these over HTTP.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from dynaform.entities import Entity

ISO = "%Y-%m-%dT%H:%M:%SZ"
Role = Literal["reader", "writer"]
YEAR_VIEW = "GSI1-YearView"
RECURRENCE = "GSI2-RecurrenceLookup"


class Account(Entity):
    user_id: str
    created_at: datetime

    class Meta:
        table = "main"
        pk = "USER#{user_id}"
        sk = "ACCOUNT"
        type_name = "account"


class Share(Entity):
    owner_id: str
    user_id: str
    role: Role

    class Meta:
        table = "main"
        pk = "USER#{owner_id}"
        sk = "SHARE#{user_id}"
        type_name = "share"


class Event(Entity):
    user_id: str
    event_id: str
    title: str
    start: datetime
    end: datetime | None = None
    all_day: bool = False
    master_id: str | None = None  # set on instances of a recurring event
    version: int = 0

    class Meta:
        table = "main"
        pk = "USER#{user_id}"
        sk = "EVENT#{event_id}"
        indexes = {
            YEAR_VIEW: (
                "GSI1PK",
                "USER#{user_id}#{start:%Y}",
                "GSI1SK",
                "{start:" + ISO + "}#{event_id}",
            ),
        }
        type_name = "event"
        version = "version"


class Instance(Event):
    class Meta:
        table = "main"
        pk = "USER#{user_id}"
        sk = "INSTANCE#{event_id}"
        indexes = {
            YEAR_VIEW: (
                "GSI1PK",
                "USER#{user_id}#{start:%Y}",
                "GSI1SK",
                "{start:" + ISO + "}#{event_id}",
            ),
            RECURRENCE: ("GSI2PK", "MASTER#{master_id}", "GSI2SK", "{start:" + ISO + "}"),
        }
        type_name = "instance"
        version = "version"


class Recurrence(BaseModel):
    """A POST's ``recurrence``: every ``interval`` days, weeks or months, ``count`` times."""

    freq: Literal["daily", "weekly", "monthly"]
    interval: int = Field(1, ge=1, le=365)
    count: int = Field(ge=1, le=99)  # master + instances fit one transaction (100 items)


class Master(Entity):
    user_id: str
    event_id: str
    title: str
    start: datetime
    end: datetime | None = None
    all_day: bool = False
    freq: Literal["daily", "weekly", "monthly"]  # the rule, flat: DynamoDB attributes
    interval: int = 1
    count: int
    version: int = 0

    @property
    def recurrence(self) -> Recurrence:
        return Recurrence(freq=self.freq, interval=self.interval, count=self.count)

    class Meta:
        table = "main"
        pk = "USER#{user_id}"
        sk = "MASTER#{event_id}"
        type_name = "master"
        version = "version"


def add_months(moment: datetime, months: int) -> datetime:
    """The same day ``months`` later, or the month's last day when it is shorter."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def occurrences(master: Master) -> list[Instance]:
    """The master's instances, in start order (ids ``<master>_<n>``)."""
    rule = master.recurrence
    length = (master.end - master.start) if master.end else None
    found = []
    for n in range(rule.count):
        if rule.freq == "monthly":
            start = add_months(master.start, n * rule.interval)
        else:
            step = timedelta(days=rule.interval * (7 if rule.freq == "weekly" else 1))
            start = master.start + n * step
        found.append(
            Instance(
                user_id=master.user_id,
                event_id=f"{master.event_id}_{n}",
                master_id=master.event_id,
                title=master.title,
                start=start,
                end=start + length if length is not None else None,
                all_day=master.all_day,
            )
        )
    return found


def utc(moment: datetime) -> datetime:
    """Aware, in UTC, to the second (what the keys and the JSON carry)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).replace(microsecond=0)
