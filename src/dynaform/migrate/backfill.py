"""A resumable, shareable backfill: a parallel Scan in N segments, each segment leased on its
own in the control table and checkpointed after every page.

The segment count is fixed when a backfill starts (its plan item) so a resumed run, or another
machine joining, splits the table the same way. A process works up to ``threads`` segments at
once; each page's items are filled and written by a shared pool of writers, and only when all of
them are written is the segment's checkpoint (the page's LastEvaluatedKey, with the counts)
saved, conditional on the segment's lease still being this process's. After a kill the page in
flight is read again: ``fill`` is idempotent, so the end state is the one of an uninterrupted run.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import orjson

from dynaform.data.scan import ScanRequest
from dynaform.errors import DynaformError
from dynaform.migrate.control import ControlTable, now_ms
from dynaform.migrate.lock import Heartbeat
from dynaform.migrate.writes import Tally, Target, process

PAGE = 500  # items a page, so a checkpoint every 500 items
CHUNK = 25  # items a writer task


@dataclass
class Job:
    """One backfill of one migration run by this process."""

    control: ControlTable
    heartbeat: Heartbeat
    migration: str
    number: int  # the backfill's place in up()
    target: Target
    fill: Callable[[Any], Any]
    segments: int
    threads: int = 4
    writers: int = 16
    who: str = ""
    progress: Callable[[int], None] | None = None
    abort: Callable[[], bool] = lambda: False  # True: the run lost its lock, stop now
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    stop: threading.Event = field(default_factory=threading.Event)
    errors: list[BaseException] = field(default_factory=list)
    lost: list[int] = field(default_factory=list)
    segments_total: int = 0  # as recorded in the backfill's plan
    page: int = PAGE

    @property
    def pk(self) -> str:
        return f"backfill#{self.migration}"

    def seg_key(self, segment: int) -> tuple[str, str]:
        return self.pk, f"{self.number:03d}#{segment:05d}"


def plan(job: Job) -> int:
    """The backfill's segment count: the recorded one, else ``job.segments`` (recorded now)."""
    sk = f"{job.number:03d}"
    found = job.control.get(job.pk, sk)
    if found is not None:
        return int(found["segments"])
    values = {"table": job.target.table, "segments": job.segments, "started": now_ms()}
    if job.control.put(job.pk, sk, values, ("attribute_not_exists(PK)", {})):
        return job.segments
    again = job.control.get(job.pk, sk)
    assert again is not None
    return int(again["segments"])


def segment_states(job: Job) -> dict[int, dict[str, Any]]:
    items = job.control.query(job.pk, f"{job.number:03d}#")
    return {int(item["SK"].split("#")[1]): item for item in items}


def totals(job: Job) -> Tally:
    tally = Tally()
    for state in segment_states(job).values():
        for name in tally.counts():
            setattr(tally, name, getattr(tally, name) + int(state.get(name, 0)))
    return tally


def _lease(job: Job, segment: int) -> dict[str, Any] | None:
    """Take a segment that is new, or not done and with an expired lease; its state."""
    key = job.seg_key(segment)
    condition = (
        "attribute_not_exists(PK) OR (#done = :no AND #expires < :now)",
        {"no": False, "now": now_ms()},
    )
    values = {"token": job.token, "who": job.who, "expires": job.heartbeat.expiry()}
    if not job.control.set(*key, values | {"done": False}, condition):
        return None
    job.heartbeat.add(key, job.token)
    return job.control.get(*key)


def _next_segment(job: Job, count: int) -> tuple[int, dict[str, Any]] | str:
    """A segment leased for this process, else why not: "done" (every segment is), "ours"
    (the rest are worked by this process's other threads), "others" (held by other runs)."""
    states = segment_states(job)
    now = now_ms()
    held_by: set[str] = set()
    for segment in range(count):
        state = states.get(segment)
        if state is not None and state.get("done"):
            continue
        if state is not None and int(state.get("expires", 0)) >= now:
            held_by.add(str(state.get("token", "")))
            continue
        leased = _lease(job, segment)
        if leased is not None:
            return segment, leased
        held_by.add("")  # taken in between: by whom is read on the next round
    if not held_by:
        return "done"
    return "ours" if held_by == {job.token} else "others"


def _page_items(job: Job, items: list[dict[str, Any]], pool: ThreadPoolExecutor) -> Tally:
    chunks = [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]

    def work(chunk: list[dict[str, Any]]) -> Tally:
        tally = Tally()
        process(job.target, chunk, job.fill, tally)
        return tally

    total = Tally()
    failure: BaseException | None = None
    for future in [pool.submit(work, c) for c in chunks]:
        try:
            total.add(future.result())
        except BaseException as exc:  # every chunk ends before the page is judged
            failure = failure or exc
    if failure is not None:
        raise failure
    return total


def _checkpoint(job: Job, segment: int, last_key: Any, tally: Tally) -> bool:
    """Save where the segment is and what it did, if the lease is still this process's."""
    key = job.seg_key(segment)
    values: dict[str, Any] = {"expires": job.heartbeat.expiry()}
    remove: tuple[str, ...] = ()
    if last_key:
        values["last_key"] = orjson.dumps(last_key).decode()
    else:
        values["done"] = True
        remove = ("last_key",)
    return job.control.set(
        *key, values, ("#token = :tok", {"tok": job.token}), add=tally.counts(), remove=remove
    )


def _work_segment(job: Job, segment: int, state: dict[str, Any], pool: ThreadPoolExecutor) -> None:
    raw = state.get("last_key")
    last_key = orjson.loads(raw) if raw else None
    request = ScanRequest(job.target.table, job.segments_total, limit=job.page).for_segment(segment)
    while not job.stop.is_set():
        if job.abort():
            raise StoppedError(
                "this run lost the migration lock (its lease was not renewed in time), so it "
                "stopped",
                hint="run `dynaform migrate up` again; it resumes from the checkpoints",
            )
        if last_key:
            request["ExclusiveStartKey"] = last_key
        answer = job.target.wire.call_patiently("Scan", request)
        items = answer.get("Items", [])
        tally = _page_items(job, items, pool)
        last_key = answer.get("LastEvaluatedKey")
        if job.seg_key(segment) in job.heartbeat.lost or not _checkpoint(
            job, segment, last_key, tally
        ):
            job.lost.append(segment)  # taken over: whoever has it now goes on
            job.heartbeat.remove(job.seg_key(segment))
            return
        if job.progress is not None:
            job.progress(len(items))
        if not last_key:
            job.heartbeat.remove(job.seg_key(segment))
            return


def _release(job: Job, segment: int) -> None:
    """Stopping early: let the next run take the segment at once."""
    key = job.seg_key(segment)
    job.heartbeat.remove(key)
    try:
        job.control.set(*key, {"expires": 0}, ("#token = :tok", {"tok": job.token}))
    except Exception:  # the lease expires anyway
        return


def _thread(job: Job, count: int, pool: ThreadPoolExecutor, join: bool) -> None:
    try:
        while not job.stop.is_set():
            found = _next_segment(job, count)
            if found in ("done", "ours") or (found == "others" and join):
                return
            if isinstance(found, str):  # wait for other runs' segments: done, or expired
                job.stop.wait(min(2.0, max(0.2, job.heartbeat.seconds / 6)))
                continue
            segment, state = found
            try:
                _work_segment(job, segment, state, pool)
            finally:  # stopped early (an error, a stop): the next run takes it at once
                if job.heartbeat.holds(job.seg_key(segment)):
                    _release(job, segment)
    except BaseException as exc:
        job.errors.append(exc)
        job.stop.set()


def run(job: Job, *, join: bool = False) -> Tally:
    """Work the backfill until every segment is done (``join``: until none is free), with
    ``job.threads`` segments at once. Dry runs read every segment here, without leases."""
    count = plan(job) if not job.target.dry_run else job.segments
    job.segments_total = count
    if job.target.dry_run:
        return _dry_run(job, count)
    with ThreadPoolExecutor(job.writers, thread_name_prefix="dynaform-fill") as pool:
        threads = [
            threading.Thread(target=_thread, args=(job, count, pool, join), daemon=True)
            for _ in range(min(job.threads, count))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    if job.errors:
        raise job.errors[0]
    if not join and not done(job):
        raise StoppedError(
            f"the backfill of {job.target.table} stopped before every segment was done",
            hint="run `dynaform migrate up` again; it resumes from the checkpoints",
        )
    return totals(job)


def _dry_run(job: Job, count: int) -> Tally:
    from dynaform.data.scan import scan_pages

    total = Tally()
    with ThreadPoolExecutor(job.writers, thread_name_prefix="dynaform-fill") as pool:
        for page in scan_pages(job.target.wire, job.target.table, count, limit=job.page):
            total.add(_page_items(job, page.items, pool))
            if job.progress is not None:
                job.progress(len(page.items))
    return total


def done(job: Job) -> bool:
    count = plan(job)
    states = segment_states(job)
    return all(states.get(s, {}).get("done") for s in range(count))


class StoppedError(DynaformError):
    """The run stopped before the backfill was done (lock lost, segment taken over)."""
