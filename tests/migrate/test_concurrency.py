"""`dynaform migrate up` as real processes against DynamoDB Local: two at once (one runs, the
other names the holder), SIGKILL mid-backfill three times then an exact end state, a live
application writing the same items (no update lost), two workers sharing one backfill (every
item touched exactly once), and unlock only for a holder that is gone.

Kill moments are random (DYNAFORM_FAULT_SEED reproduces a run)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.migrate.conftest import ADD_OWNER, Project, put_items, scan_all

SEED = int(os.environ.get("DYNAFORM_FAULT_SEED", str(random.randrange(1_000_000))))
SHORT_LEASE = {"DYNAFORM_MIGRATE_LEASE": "1.5"}

GATED = '''"""Waits for the test to say go."""
import os
import pathlib
import time


def up(m):
    folder = pathlib.Path(os.environ["GATE"])
    (folder / "started").write_text(str(os.getpid()))
    deadline = time.time() + 60
    while not (folder / "go").exists() and time.time() < deadline:
        time.sleep(0.05)
    m.log("went")
'''

VISIT = '''"""Count visits, and who made each (not idempotent on purpose: a second visit shows)."""
import os


def up(m):
    def fill(item):
        return {**item, "visits": item.get("visits", 0) + 1, "by": os.getpid()}

    m.backfill("items", fill)
'''


def wait_for(check: Any, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def finish(process: subprocess.Popen[str], timeout: float = 120) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def checkpoints(ddb: Any, project: Project) -> int:
    """Items read as checkpointed so far (the sum over the segments)."""
    try:
        answer = ddb.query(
            TableName=project.control,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": "backfill#0001_add_owner"}},
            ConsistentRead=True,
        )
    except ClientError:
        return 0
    return sum(int(i.get("read", {}).get("N", "0")) for i in answer["Items"])


def lock_item(ddb: Any, project: Project) -> dict[str, Any] | None:
    try:
        answer = ddb.get_item(
            TableName=project.control,
            Key={"PK": {"S": "lock"}, "SK": {"S": "lock"}},
            ConsistentRead=True,
        )
    except ClientError:
        return None
    return answer.get("Item")


def test_two_at_once_one_runs_and_unlock_needs_the_holder_gone(
    df: Any, ddb: Any, project: Project, tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    assert df("apply", "--yes").code == 0
    gate = tmp_path / "gate"
    gate.mkdir()
    project.write("0001_gated.py", GATED)
    first = project.popen("migrate", "up", env={"GATE": str(gate)})
    pid = wait_for(lambda: (gate / "started").exists() and (gate / "started").read_text())
    second = project.popen("migrate", "up", env={"GATE": str(gate)})
    code, _out, err = finish(second)
    assert code == 1
    assert "another run holds the migration lock" in err and f"pid {pid}" in err
    assert "since" in err and "running 0001_gated" in err
    refused = df("migrate", "unlock", "--yes")  # the holder is alive
    assert refused.code == 1 and "being renewed" in refused.stderr
    first.send_signal(signal.SIGKILL)
    first.wait(30)
    assert lock_item(ddb, project) is not None  # a killed holder leaves its lease behind
    removed = df("migrate", "unlock", "--yes")  # gone (same host, no such process): removable
    assert removed.code == 0 and "removed the lock" in removed.stdout
    (gate / "go").write_text("")
    clean_env.setenv("GATE", str(gate))
    resumed = df("--json", "migrate", "up")
    assert resumed.code == 0, resumed.stderr
    history = json.loads(df("--json", "migrate", "history").stdout)
    assert [h["state"] for h in history] == ["applied"]  # the killed run recorded nothing
    assert lock_item(ddb, project) is None


def test_killed_three_times_mid_backfill_then_up_gives_the_exact_end_state(
    df: Any, ddb: Any, project: Project
) -> None:
    rng = random.Random(SEED)
    count = 3000
    assert project.popen("apply", "--yes").wait(60) == 0
    put_items(ddb, project.items, count, version={"N": "1"})
    project.write("0001_add_owner.py", ADD_OWNER.replace("fill)", "fill, page=100)"))
    args = ("migrate", "up", "--segments", "4", "--rate", "1500", "--wait")
    for kill in range(3):  # near a quarter, a half, three quarters; at a random moment
        mark = int(count * (kill + 1) / 4 * rng.uniform(0.8, 1.0))
        running = project.popen(*args, env=SHORT_LEASE)
        wait_for(lambda mark=mark: checkpoints(ddb, project) >= mark)
        time.sleep(rng.uniform(0, 0.2))
        running.send_signal(signal.SIGKILL)
        code, _out, _err = finish(running)
        print(f"seed {SEED}: kill {kill + 1} with {checkpoints(ddb, project)} items checkpointed")
        assert code == -signal.SIGKILL  # killed mid-run, not finished
        status = json.loads(df("--json", "migrate", "status").stdout)
        assert status["migrations"][0]["state"] == "running"
    done = project.popen("--json", *args, env=SHORT_LEASE)
    code, out, err = finish(done)
    assert code == 0, err
    items = scan_all(ddb, project.items)
    assert len(items) == count
    for item in items.values():  # changed exactly once: the version went up by one
        assert item["owner"] == item["createdBy"] and item["version"] == {"N": "2"}, item
    (outcome,) = json.loads(out)
    counts = outcome["tables"][project.items]
    assert counts["read"] == count  # every page counted once, from the checkpoints
    assert counts["changed"] + counts["unchanged"] == count


@pytest.mark.parametrize("versioned", [True, False], ids=["version", "attributes"])
def test_a_live_writer_loses_no_increment_during_a_backfill(
    ddb: Any, project: Project, versioned: bool
) -> None:
    count = 150
    assert project.popen("apply", "--yes").wait(60) == 0
    extra = {"n": {"N": "0"}} | ({"version": {"N": "1"}} if versioned else {})
    put_items(ddb, project.items, count, **extra)
    project.write("0001_add_owner.py", ADD_OWNER)
    done: dict[str, int] = {f"i{i:05d}": 0 for i in range(count)}
    guard = threading.Lock()
    stop = threading.Event()

    def increment(key: str) -> None:
        if not versioned:
            ddb.update_item(
                TableName=project.items,
                Key={"id": {"S": key}},
                UpdateExpression="ADD n :one",
                ExpressionAttributeValues={":one": {"N": "1"}},
            )
            return
        while True:  # the application's own optimistic lock: read, then write if unchanged
            item = ddb.get_item(
                TableName=project.items, Key={"id": {"S": key}}, ConsistentRead=True
            )["Item"]
            version = item["version"]["N"]
            try:
                ddb.update_item(
                    TableName=project.items,
                    Key={"id": {"S": key}},
                    UpdateExpression="SET n = n + :one, version = :next",
                    ConditionExpression="version = :v",
                    ExpressionAttributeValues={
                        ":one": {"N": "1"},
                        ":v": {"N": version},
                        ":next": {"N": str(int(version) + 1)},
                    },
                )
                return
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise

    def writer(seed: int) -> None:
        rng = random.Random(seed)
        while not stop.is_set():
            key = f"i{rng.randrange(count):05d}"
            increment(key)
            with guard:
                done[key] += 1

    writers = [threading.Thread(target=writer, args=(SEED + i,)) for i in range(3)]
    for thread in writers:
        thread.start()
    try:
        running = project.popen("--json", "migrate", "up", "--segments", "2", "--rate", "120")
        code, out, err = finish(running)
    finally:
        stop.set()
        for thread in writers:
            thread.join()
    assert code == 0, err
    items = scan_all(ddb, project.items)
    assert sum(done.values()) > count  # the application was busy during the backfill
    for key, item in items.items():
        assert item["owner"] == item["createdBy"], item
        assert int(item["n"]["N"]) == done[key], (key, item, done[key])  # no increment lost
        if versioned:
            assert int(item["version"]["N"]) == 1 + done[key] + 1  # every write, and ours
    (outcome,) = json.loads(out)
    assert outcome["tables"][project.items]["conflicts"] > 0  # it met the writer, and won nothing


def test_two_workers_share_one_backfill_and_touch_every_item_exactly_once(
    ddb: Any, project: Project
) -> None:
    count = 1600
    assert project.popen("apply", "--yes").wait(60) == 0
    put_items(ddb, project.items, count)
    project.write("0001_visit.py", VISIT)
    args = ("migrate", "up", "--segments", "8", "--rate", "500", "--wait")
    first = project.popen(*args)
    wait_for(lambda: (lock_item(ddb, project) or {}).get("backfill", {}).get("S"))
    second = project.popen(*args)
    results = [finish(first), finish(second)]
    assert [code for code, _o, _e in results] == [0, 0], results
    assert "waiting for the migration lock" in results[1][2]
    items = scan_all(ddb, project.items)
    assert len(items) == count
    assert all(item["visits"] == {"N": "1"} for item in items.values())  # exactly once
    workers = {item["by"]["N"] for item in items.values()}
    assert workers == {str(first.pid), str(second.pid)}  # both did part of it
