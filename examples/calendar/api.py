"""Seed 004's calendar HTTP API on dynaform.entities and the project file (FastAPI).

    python examples/calendar/api.py --port 8080          # the project's default_env (dev)
    python examples/calendar/api.py -e staging --port 8080

    GET    /users/{userId}/agenda?week=YYYY-MM-DD[&limit=N&cursor=C]   the week, start order
    GET    /users/{userId}/events/{eventId}                            200 + ETag | 404
    POST   /users/{userId}/events                                      201 + Location + ETag
    PATCH  /users/{userId}/events/{eventId}      If-Match required     200 | 412 | 428
           (on a recurring master: the series, master and occurrences in one transaction)
    DELETE /users/{userId}/events/{eventId}      If-Match required     204 | 412 | 428
    PUT    /users/{userId}/shares/{otherUserId}  {"role": "reader" | "writer"}, owner only
    DELETE /users/{userId}/shares/{otherUserId}; GET /users/{userId}/shares (owner only)
    OpenAPI: /docs (and /openapi.json)

The caller is named by the ``X-User-Id`` header: a stand-in for real authentication (put the
API behind something that sets it from a verified token). The owner may do everything; a
``writer`` may read and write events, a ``reader`` only read; anyone else gets 403.
Errors are ``application/problem+json`` (RFC 9457). ETags are the item's version.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Body, FastAPI, Header, Query, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

sys.path.insert(0, str(Path(__file__).parent))  # the entities beside this file

from events import (
    ISO,
    RECURRENCE,
    YEAR_VIEW,
    Account,
    Event,
    Instance,
    Master,
    Recurrence,
    Share,
    occurrences,
    utc,
)
from problems import Problem, etag, install_errors

from dynaform.entities import (
    AlreadyExists,
    ConflictError,
    NotFound,
    Store,
    TransactionFailed,
    TxPut,
)

ALLOWED = {"read": {"owner", "writer", "reader"}, "write": {"owner", "writer"}, "share": {"owner"}}
Caller = Annotated[str | None, Header(alias="X-User-Id", description="who is calling")]
IfMatch = Annotated[str | None, Header(alias="If-Match", description='"<version>" from ETag')]


# --- JSON shapes (the names clients rely on) ----------------------------------------------


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class EventIn(_In):
    title: str = Field(min_length=1, max_length=500)
    start: AwareDatetime
    end: AwareDatetime | None = None
    all_day: bool = Field(False, alias="allDay")
    recurrence: Recurrence | None = None


class EventPatch(_In):
    title: str | None = Field(None, min_length=1, max_length=500)
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None
    all_day: bool | None = Field(None, alias="allDay")


class ShareIn(_In):
    role: Literal["reader", "writer"]


def event_json(event: Event | Master) -> dict[str, Any]:
    body: dict[str, Any] = {
        "eventId": event.event_id,
        "userId": event.user_id,
        "title": event.title,
        "start": event.start.strftime(ISO),
        "end": event.end.strftime(ISO) if event.end else None,
        "allDay": event.all_day,
        "version": event.version,
        "kind": type(event).binding().type_name,  # event | instance | master
    }
    if isinstance(event, Event) and event.master_id:  # read through the shared year view
        body["kind"] = Instance.binding().type_name
    if isinstance(event, Master):
        body["recurrence"] = event.recurrence.model_dump()
    elif event.master_id:
        body["masterId"] = event.master_id
    return body


def expected_version(if_match: str | None) -> int | None:
    """If-Match as a version: 428 without it; ``*`` means any version (None)."""
    if if_match is None or not if_match.strip():
        raise Problem(428, "Precondition Required", "send If-Match with the event's ETag")
    tag = if_match.split(",")[0].strip().removeprefix("W/").strip('"')
    if tag == "*":
        return None
    if not tag.isdigit():
        raise Problem(412, "Precondition Failed", f"If-Match {if_match!r} matches no version")
    return int(tag)


# --- the application ----------------------------------------------------------------------


def authorize(store: Store, caller: str | None, owner: str, action: str) -> str:
    """The caller's role on ``owner``'s calendar, or 401/403."""
    if not caller:
        raise Problem(401, "Unauthorized", "name the caller in the X-User-Id header")
    role = "owner" if caller == owner else None
    if role is None:
        share = store.find(Share, owner_id=owner, user_id=caller)
        role = share.role if share else None
    if role not in ALLOWED[action]:
        what = f"has no access to {owner}'s calendar" if role is None else f"is a {role}"
        raise Problem(403, "Forbidden", f"{caller} {what}; {action} is not allowed")
    return role


def ensure_account(store: Store, user_id: str) -> None:
    """Users are implicit: the account item is written on a user's first write."""
    if store.find(Account, user_id=user_id) is None:
        with contextlib.suppress(AlreadyExists):  # a concurrent first write made it
            store.create(Account(user_id=user_id, created_at=datetime.now(UTC)))


def locate(store: Store, user_id: str, event_id: str) -> Event | Master:
    for kind in (Event, Instance, Master):
        found = store.find(kind, consistent=True, user_id=user_id, event_id=event_id)
        if found is not None:
            return found
    raise Problem(404, "Not Found", f"no event {event_id} in {user_id}'s calendar")


def week_bounds(week: date | None) -> tuple[datetime, datetime]:
    day = week or datetime.now(UTC).date()
    monday = day - timedelta(days=day.weekday())
    start = datetime(monday.year, monday.month, monday.day, tzinfo=UTC)
    return start, start + timedelta(days=7)


def agenda(
    store: Store, user_id: str, week: date | None, limit: int, cursor: str | None
) -> dict[str, Any]:
    """One query on the year view per year the week touches (two across New Year), in start
    order; the cursor is ``<year>.<the store's signed cursor>``."""
    start, end = week_bounds(week)
    years = sorted({start.year, (end - timedelta(seconds=1)).year})
    inner: str | None = None
    if cursor:
        year_text, _, inner_text = cursor.partition(".")
        if not year_text.isdigit() or int(year_text) not in years:
            raise Problem(400, "Bad Request", "the cursor is not one of this week's")
        years = [y for y in years if y >= int(year_text)]
        inner = inner_text or None
    events: list[dict[str, Any]] = []
    for position, year in enumerate(years):
        page = store.query(
            Event,
            index=YEAR_VIEW,
            user_id=user_id,
            start=datetime(year, 1, 1, tzinfo=UTC),
            sk=("between", start.strftime(ISO), end.strftime(ISO)),
            limit=limit - len(events),
            cursor=inner,
            all_types=True,  # events and recurring instances share the view
        )
        inner = None
        events += [event_json(e) for e in page.items]
        if page.cursor:
            return {"events": events, "cursor": f"{year}.{page.cursor}"}
        if len(events) >= limit and position + 1 < len(years):
            return {"events": events, "cursor": f"{years[position + 1]}."}
    return {"events": events, "cursor": None}


def create_event(store: Store, user_id: str, body: EventIn) -> Event | Master:
    start, end = utc(body.start), utc(body.end) if body.end else None
    if end is not None and end < start:
        raise Problem(422, "Unprocessable Content", "end: is before start", errors=[_err("end")])
    ensure_account(store, user_id)
    fields = {"user_id": user_id, "event_id": str(uuid.uuid4()), "title": body.title}
    fields |= {"start": start, "end": end, "all_day": body.all_day}
    if body.recurrence is None:
        return store.create(Event(**fields))
    master = Master(**fields, **body.recurrence.model_dump())
    puts = [TxPut(master, must_not_exist=True)]
    puts += [TxPut(i, must_not_exist=True) for i in occurrences(master)]
    store.transact_write(puts)  # the master and every instance, or nothing
    return master


def update_event(
    store: Store, user_id: str, event_id: str, body: EventPatch, if_match: str | None
) -> Event | Master:
    expected = expected_version(if_match)
    current = locate(store, user_id, event_id)
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        raise Problem(422, "Unprocessable Content", "nothing to change", errors=[])
    if "start" in changes and changes["start"] is None:
        raise Problem(
            422,
            "Unprocessable Content",
            "start: may not be null",
            errors=[_err("start", "may not be null")],
        )
    for name in ("start", "end"):
        if changes.get(name) is not None:
            changes[name] = utc(changes[name])
    merged = current.model_dump() | changes
    if merged["end"] is not None and merged["end"] < merged["start"]:
        raise Problem(422, "Unprocessable Content", "end: is before start", errors=[_err("end")])
    if isinstance(current, Master):
        version = current.version if expected is None else expected
        return update_series(store, Master(**merged), version)
    remove = [name for name, value in changes.items() if value is None]
    values = {name: value for name, value in changes.items() if value is not None}
    return store.update(
        type(current),
        {"user_id": user_id, "event_id": event_id},
        set=values,
        remove=remove,
        expected_version=current.version if expected is None else expected,
    )


def update_series(store: Store, master: Master, version: int) -> Master:
    """Editing a recurring event edits the series: the master (only at ``version``) and every
    occurrence rewritten from it, in one transaction. An occurrence edited on its own is
    replaced by the series' values, as calendar apps do for "all events"."""
    puts = [TxPut(master, expected_version=version)]
    puts += [TxPut(instance) for instance in occurrences(master)]  # same ids: overwritten
    try:
        store.transact_write(puts)
    except TransactionFailed as exc:
        if not any(index == 0 for index, *_ in exc.reasons):
            raise
        now = store.find(Master, consistent=True, user_id=master.user_id, event_id=master.event_id)
        raise ConflictError(exc.message, now.version if now else None) from exc
    return master.model_copy(update={"version": version + 1})


def delete_event(store: Store, user_id: str, event_id: str, if_match: str | None) -> None:
    expected = expected_version(if_match)
    current = locate(store, user_id, event_id)
    version = current.version if expected is None else expected
    store.delete(type(current), expected_version=version, user_id=user_id, event_id=event_id)
    if isinstance(current, Master):  # its occurrences go with it
        instances = list(store.query_all(Instance, index=RECURRENCE, master_id=event_id))
        keys = [{"user_id": user_id, "event_id": i.event_id} for i in instances]
        store.batch_write(deletes=[(Instance, key) for key in keys])


def _err(field: str, message: str = "is before start") -> dict[str, str]:
    return {"field": field, "message": message}


def create_app(store: Store | None = None) -> FastAPI:
    """The API on ``store`` (default: ``Store.from_project()`` on the dynaform.yaml here)."""
    store = store or Store.from_project(Path(__file__).with_name("dynaform.yaml"))
    app = FastAPI(
        title="calendsync calendar API",
        version="1.0",
        description=__doc__,
        responses={400: {}, 401: {}, 403: {}, 404: {}, 412: {}, 422: {}, 428: {}},
    )
    install_errors(app)
    install_event_routes(app, store)
    install_share_routes(app, store)
    return app


def install_event_routes(app: FastAPI, store: Store) -> None:
    @app.get("/users/{userId}/agenda", tags=["events"])
    def get_agenda(
        userId: str,  # noqa: N803 - the path's names
        x_user_id: Caller = None,
        week: date | None = Query(None, description="any day of the week; default this week"),
        limit: int = Query(50, ge=1, le=500),
        cursor: str | None = None,
    ) -> dict[str, Any]:
        authorize(store, x_user_id, userId, "read")
        return agenda(store, userId, week, limit, cursor)

    @app.get("/users/{userId}/events/{eventId}", tags=["events"])
    def get_event(userId: str, eventId: str, response: Response, x_user_id: Caller = None) -> Any:  # noqa: N803
        authorize(store, x_user_id, userId, "read")
        event = locate(store, userId, eventId)
        response.headers["ETag"] = etag(event.version)
        return event_json(event)

    @app.post("/users/{userId}/events", status_code=201, tags=["events"])
    def post_event(userId: str, body: EventIn, response: Response, x_user_id: Caller = None) -> Any:  # noqa: N803
        authorize(store, x_user_id, userId, "write")
        event = create_event(store, userId, body)
        response.headers["Location"] = f"/users/{userId}/events/{event.event_id}"
        response.headers["ETag"] = etag(event.version)
        return event_json(event)

    @app.patch("/users/{userId}/events/{eventId}", tags=["events"])
    def patch_event(
        userId: str,  # noqa: N803
        eventId: str,  # noqa: N803
        body: EventPatch,
        response: Response,
        x_user_id: Caller = None,
        if_match: IfMatch = None,
    ) -> Any:
        authorize(store, x_user_id, userId, "write")
        event = update_event(store, userId, eventId, body, if_match)
        response.headers["ETag"] = etag(event.version)
        return event_json(event)

    @app.delete("/users/{userId}/events/{eventId}", status_code=204, tags=["events"])
    def remove_event(
        userId: str,  # noqa: N803
        eventId: str,  # noqa: N803
        x_user_id: Caller = None,
        if_match: IfMatch = None,
    ) -> Response:
        authorize(store, x_user_id, userId, "write")
        delete_event(store, userId, eventId, if_match)
        return Response(status_code=204)


def install_share_routes(app: FastAPI, store: Store) -> None:
    @app.put("/users/{userId}/shares/{otherUserId}", tags=["shares"])
    def put_share(
        userId: str,  # noqa: N803
        otherUserId: str,  # noqa: N803
        response: Response,
        body: ShareIn = Body(),
        x_user_id: Caller = None,
    ) -> Any:
        authorize(store, x_user_id, userId, "share")
        if otherUserId == userId:
            raise Problem(422, "Unprocessable Content", "otherUserId: is the owner", errors=[])
        ensure_account(store, userId)
        existed = store.find(Share, owner_id=userId, user_id=otherUserId) is not None
        store.put(Share(owner_id=userId, user_id=otherUserId, role=body.role))
        response.status_code = 200 if existed else 201
        return {"userId": userId, "sharedWith": otherUserId, "role": body.role}

    @app.delete("/users/{userId}/shares/{otherUserId}", status_code=204, tags=["shares"])
    def delete_share(userId: str, otherUserId: str, x_user_id: Caller = None) -> Response:  # noqa: N803
        authorize(store, x_user_id, userId, "share")
        try:
            store.delete(Share, owner_id=userId, user_id=otherUserId)
        except NotFound:
            raise Problem(404, "Not Found", f"{userId} does not share with {otherUserId}") from None
        return Response(status_code=204)

    @app.get("/users/{userId}/shares", tags=["shares"])
    def list_shares(userId: str, x_user_id: Caller = None) -> dict[str, Any]:  # noqa: N803
        authorize(store, x_user_id, userId, "share")
        shares = store.query_all(Share, owner_id=userId, sk=("begins_with", "SHARE#"))
        return {"shares": [{"userId": s.user_id, "role": s.role} for s in shares]}


# --- errors as application/problem+json ---------------------------------------------------


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="Serve the calendar API (seed 004).")
    parser.add_argument("-e", "--env", help="environment of dynaform.yaml (default: default_env)")
    parser.add_argument("--endpoint-url", help="override the environment's endpoint")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    project_file = Path(__file__).with_name("dynaform.yaml")
    store = Store.from_project(project_file, args.env, endpoint_url=args.endpoint_url)
    uvicorn.run(create_app(store), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
