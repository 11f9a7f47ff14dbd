"""Seed 004's calendar API over real HTTP against DynamoDB Local: every status code, ETags,
roles, the week across New Year, concurrent PATCHes."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

PROBLEM = "application/problem+json"


def user() -> str:
    return f"u-{uuid.uuid4().hex[:10]}"


def as_(who: str, **headers: str) -> dict[str, str]:
    return {"X-User-Id": who, **headers}


def create(api: httpx.Client, owner: str, **body: Any) -> httpx.Response:
    payload = {"title": "Stand-up", "start": "2024-06-12T09:00:00Z"} | body
    return api.post(f"/users/{owner}/events", json=payload, headers=as_(owner))


def test_create_get_patch_delete_with_etags(api: httpx.Client) -> None:
    owner = user()
    made = create(api, owner, end="2024-06-12T09:30:00+00:00", allDay=False)
    assert made.status_code == 201, made.text
    event = made.json()
    assert set(event) >= {"eventId", "userId", "title", "start", "end", "allDay", "version"}
    assert event["start"] == "2024-06-12T09:00:00Z" and event["userId"] == owner
    url = f"/users/{owner}/events/{event['eventId']}"
    assert made.headers["Location"] == url and made.headers["ETag"] == '"0"'

    got = api.get(url, headers=as_(owner))
    assert got.status_code == 200 and got.headers["ETag"] == '"0"'
    assert got.json() == event

    no_match = api.patch(url, json={"title": "x"}, headers=as_(owner))
    assert no_match.status_code == 428 and no_match.headers["content-type"] == PROBLEM

    moved = api.patch(
        url,
        json={"start": "2024-06-13T10:00:00Z", "end": None},
        headers=as_(owner, **{"If-Match": '"0"'}),
    )
    assert moved.status_code == 200, moved.text
    assert moved.headers["ETag"] == '"1"' and moved.json()["start"] == "2024-06-13T10:00:00Z"
    assert moved.json()["end"] is None

    stale = api.patch(url, json={"title": "late"}, headers=as_(owner, **{"If-Match": '"0"'}))
    assert stale.status_code == 412 and stale.headers["ETag"] == '"1"'
    assert stale.json()["currentVersion"] == 1

    assert api.delete(url, headers=as_(owner)).status_code == 428
    assert api.delete(url, headers=as_(owner, **{"If-Match": '"0"'})).status_code == 412
    assert api.delete(url, headers=as_(owner, **{"If-Match": '"1"'})).status_code == 204
    gone = api.get(url, headers=as_(owner))
    assert gone.status_code == 404 and gone.headers["content-type"] == PROBLEM
    assert (
        api.patch(url, json={"title": "x"}, headers=as_(owner, **{"If-Match": '"1"'})).status_code
        == 404
    )


def test_validation_names_the_field(api: httpx.Client) -> None:
    owner = user()
    bad = create(api, owner, start="next tuesday")
    assert bad.status_code == 422 and bad.headers["content-type"] == PROBLEM
    assert [e["field"] for e in bad.json()["errors"]] == ["start"]
    naive = create(api, owner, start="2024-06-12T09:00:00")  # no time zone: not UTC
    assert naive.status_code == 422 and "start" in naive.json()["detail"]
    backwards = create(api, owner, end="2024-06-11T09:00:00Z")
    assert backwards.status_code == 422 and backwards.json()["errors"][0]["field"] == "end"
    missing = api.post(
        f"/users/{owner}/events", json={"start": "2024-06-12T09:00:00Z"}, headers=as_(owner)
    )
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "title"


def test_roles_reader_writer_stranger(api: httpx.Client) -> None:
    owner, reader, writer, stranger = user(), user(), user(), user()
    event = create(api, owner).json()
    url = f"/users/{owner}/events/{event['eventId']}"
    assert api.get(url).status_code == 401
    assert api.get(url, headers=as_(stranger)).status_code == 403
    share = api.put(f"/users/{owner}/shares/{reader}", json={"role": "reader"}, headers=as_(owner))
    assert share.status_code == 201 and share.json()["role"] == "reader"
    assert (
        api.put(
            f"/users/{owner}/shares/{writer}", json={"role": "writer"}, headers=as_(owner)
        ).status_code
        == 201
    )
    assert (
        api.put(
            f"/users/{owner}/shares/{writer}", json={"role": "writer"}, headers=as_(owner)
        ).status_code
        == 200
    )
    assert (
        api.put(
            f"/users/{owner}/shares/{stranger}", json={"role": "writer"}, headers=as_(writer)
        ).status_code
        == 403
    )

    assert api.get(url, headers=as_(reader)).status_code == 200
    refused = api.patch(url, json={"title": "r"}, headers=as_(reader, **{"If-Match": '"0"'}))
    assert refused.status_code == 403 and refused.headers["content-type"] == PROBLEM
    assert create(api, owner, title="by reader").status_code == 201  # owner still can
    by_writer = api.post(
        f"/users/{owner}/events",
        json={"title": "w", "start": "2024-06-14T08:00:00Z"},
        headers=as_(writer),
    )
    assert by_writer.status_code == 201
    assert (
        api.patch(url, json={"title": "w"}, headers=as_(writer, **{"If-Match": '"0"'})).status_code
        == 200
    )
    assert (
        api.get(f"/users/{owner}/agenda?week=2024-06-12", headers=as_(stranger)).status_code == 403
    )
    listed = api.get(f"/users/{owner}/shares", headers=as_(owner)).json()["shares"]
    assert sorted(s["role"] for s in listed) == ["reader", "writer"]
    assert api.delete(f"/users/{owner}/shares/{reader}", headers=as_(owner)).status_code == 204
    assert api.get(url, headers=as_(reader)).status_code == 403


def test_concurrent_patches_exactly_one_wins(api: httpx.Client) -> None:
    owner = user()
    event = create(api, owner).json()
    url = f"/users/{owner}/events/{event['eventId']}"

    def patch(n: int) -> int:
        with httpx.Client(base_url=str(api.base_url), timeout=30) as own:
            headers = as_(owner, **{"If-Match": '"0"'})
            return own.patch(url, json={"title": f"edit {n}"}, headers=headers).status_code

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(patch, range(8)))
    assert sorted(codes) == [200] + [412] * 7
    final = api.get(url, headers=as_(owner))
    assert final.headers["ETag"] == '"1"' and final.json()["title"].startswith("edit ")


def test_week_across_new_year_in_start_order_with_cursor(api: httpx.Client) -> None:
    owner = user()
    starts = [
        "2024-12-29T23:59:59Z",  # the Sunday before: outside
        "2025-01-02T08:00:00Z",
        "2024-12-30T00:00:00Z",  # Monday 00:00: inside
        "2024-12-31T22:00:00Z",
        "2025-01-05T23:59:59Z",  # Sunday's last second: inside
        "2025-01-06T00:00:00Z",  # next Monday: outside
    ]
    for n, start in enumerate(starts):
        assert create(api, owner, title=f"e{n}", start=start).status_code == 201
    whole = api.get(f"/users/{owner}/agenda", params={"week": "2025-01-01"}, headers=as_(owner))
    assert whole.status_code == 200
    body = whole.json()
    assert [e["start"] for e in body["events"]] == [
        "2024-12-30T00:00:00Z",
        "2024-12-31T22:00:00Z",
        "2025-01-02T08:00:00Z",
        "2025-01-05T23:59:59Z",
    ]
    assert body["cursor"] is None
    seen, cursor = [], None
    while True:
        params = {"week": "2024-12-30", "limit": "1"} | ({"cursor": cursor} if cursor else {})
        page = api.get(f"/users/{owner}/agenda", params=params, headers=as_(owner)).json()
        seen += [e["start"] for e in page["events"]]
        cursor = page["cursor"]
        if cursor is None:
            break
    assert seen == [e["start"] for e in body["events"]]
    forged = api.get(
        f"/users/{owner}/agenda",
        params={"week": "2025-01-01", "cursor": "2025.AAAA"},
        headers=as_(owner),
    )
    assert forged.status_code == 400 and forged.headers["content-type"] == PROBLEM
    empty = api.get(f"/users/{user()}/agenda", params={"week": "2025-01-01"}, headers=as_("x"))
    assert empty.status_code == 403


def test_recurring_master_and_instances(api: httpx.Client) -> None:
    owner = user()
    made = create(
        api,
        owner,
        title="Weekly",
        start="2024-06-03T09:00:00Z",
        end="2024-06-03T09:30:00Z",
        recurrence={"freq": "weekly", "count": 3},
    )
    assert made.status_code == 201, made.text
    master = made.json()
    assert master["kind"] == "master" and master["recurrence"]["count"] == 3
    week = api.get(
        f"/users/{owner}/agenda", params={"week": "2024-06-12"}, headers=as_(owner)
    ).json()
    assert [(e["kind"], e["start"], e["masterId"]) for e in week["events"]] == [
        ("instance", "2024-06-10T09:00:00Z", master["eventId"])
    ]
    one = week["events"][0]
    url = f"/users/{owner}/events/{one['eventId']}"
    assert api.get(url, headers=as_(owner)).json()["end"] == "2024-06-10T09:30:00Z"
    master_url = f"/users/{owner}/events/{master['eventId']}"
    series = api.patch(  # editing the master edits the series: every occurrence follows
        master_url,
        json={"title": "Weekly sync", "start": "2024-06-04T10:00:00Z", "end": None},
        headers=as_(owner, **{"If-Match": '"0"'}),
    )
    assert series.status_code == 200, series.text
    assert series.headers["ETag"] == '"1"' and series.json()["title"] == "Weekly sync"
    stale = api.patch(master_url, json={"title": "x"}, headers=as_(owner, **{"If-Match": '"0"'}))
    assert stale.status_code == 412 and stale.json()["currentVersion"] == 1
    moved = api.get(
        f"/users/{owner}/agenda", params={"week": "2024-06-12"}, headers=as_(owner)
    ).json()["events"]
    assert [(e["title"], e["start"], e["end"]) for e in moved] == [
        ("Weekly sync", "2024-06-11T10:00:00Z", None)
    ]
    assert api.get(url, headers=as_(owner)).json()["title"] == "Weekly sync"
    assert api.delete(master_url, headers=as_(owner, **{"If-Match": "*"})).status_code == 204
    assert api.get(url, headers=as_(owner)).status_code == 404
    after = api.get(f"/users/{owner}/agenda", params={"week": "2024-06-12"}, headers=as_(owner))
    assert after.json()["events"] == []


def test_openapi_docs(api: httpx.Client) -> None:
    assert api.get("/docs").status_code == 200
    paths = api.get("/openapi.json").json()["paths"]
    assert {
        "/users/{userId}/agenda",
        "/users/{userId}/events",
        "/users/{userId}/events/{eventId}",
    } <= set(paths)
