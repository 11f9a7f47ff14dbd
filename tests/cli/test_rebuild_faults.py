"""Fault injection for TABLE REBUILD: `dynaform apply --allow-rebuild` as a real process, against
a persistent DynamoDB Local this module starts itself; at a random moment either the client
(SIGKILL) or the engine (SIGKILL, then started again on the same port) dies. Every trial then
runs `dynaform apply` until it succeeds and must end with exactly the source items in the table
as declared, no holding table left, and no run that exits 0 with fewer items.

`make test` runs DYNAFORM_FAULT_TRIALS (default 2) trials of each kind; set it higher for more.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dynaform.aws.client import dynamodb_client
from dynaform.local import engine
from tests.conftest import local_settings

TRIALS = int(os.environ.get("DYNAFORM_FAULT_TRIALS", "2"))
ITEMS = 1000
SEED = int(os.environ.get("DYNAFORM_FAULT_SEED", str(random.randrange(1_000_000))))


@pytest.fixture(scope="module")
def persistent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, int]]:
    state_dir = tmp_path_factory.mktemp("faults") / ".dynaform" / "local"
    port = engine.free_port()
    engine.start(state_dir, port=port, in_memory=False)
    try:
        yield state_dir, port
    finally:
        engine.stop(state_dir)


def restart(state_dir: Path, port: int) -> None:
    if not engine.status(state_dir).running:
        engine.start(state_dir, port=port, in_memory=False)


def kill_engine(state_dir: Path) -> None:
    record = engine.status(state_dir).record
    assert record is not None
    os.killpg(record.pid, signal.SIGKILL)
    for _ in range(100):
        if not engine.status(state_dir).running:
            return
        time.sleep(0.05)


def cli(project: Path, endpoint: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "dynaform", "-f", str(project), "--endpoint-url", endpoint, *args],
        cwd=project.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"},
    )


def fill(ddb: Any, table: str) -> set[str]:
    keys = set()
    for start in range(0, ITEMS, 25):
        requests = []
        for i in range(start, min(start + 25, ITEMS)):
            keys.add(str(i))
            item = {"PK": {"S": f"p{i % 11}"}, "SK": {"S": str(i)}, "pad": {"S": "x" * 200}}
            requests.append({"PutRequest": {"Item": item}})
        ddb.batch_write_item(RequestItems={table: requests})
    return keys


def sort_keys(ddb: Any, table: str) -> list[str]:
    found: list[str] = []
    for page in ddb.get_paginator("scan").paginate(TableName=table):
        found += [item["SK"]["N"] for item in page["Items"]]
    return found


def setup(project: Path, endpoint: str, name: str) -> tuple[Any, str, set[str]]:
    project.write_text(
        f"project: {name}\nenvironments:\n  dev: {{target: local}}\n"
        "tables:\n  main: {partition_key: PK, sort_key: SK}\n"
    )
    assert cli(project, endpoint, "apply", "--yes").wait(60) == 0
    ddb = dynamodb_client(local_settings(endpoint))
    table = f"{name}-dev-main"
    source = fill(ddb, table)
    project.write_text(project.read_text().replace("sort_key: SK", "sort_key: {name: SK, type: N}"))
    return ddb, table, source


@pytest.fixture(scope="module")
def rebuild_seconds(
    persistent: tuple[Path, int], tmp_path_factory: pytest.TempPathFactory
) -> float:
    """How long one undisturbed rebuild takes here: the kills are spread over that span, so
    they land inside the run (a fixed span mostly hit a run that had already finished)."""
    state_dir, port = persistent
    restart(state_dir, port)
    endpoint = f"http://127.0.0.1:{port}"
    project = tmp_path_factory.mktemp("calibrate") / "dynaform.yaml"
    setup(project, endpoint, "calibrate")
    started = time.monotonic()
    assert cli(project, endpoint, "apply", "--yes", "--allow-rebuild").wait(240) == 0
    return time.monotonic() - started


@pytest.mark.parametrize("victim", ["client", "engine"])
@pytest.mark.parametrize("trial", range(TRIALS))
def test_a_rebuild_killed_at_a_random_moment_resumes_to_exactly_the_source(
    persistent: tuple[Path, int], rebuild_seconds: float, tmp_path: Path, victim: str, trial: int
) -> None:
    state_dir, port = persistent
    restart(state_dir, port)
    endpoint = f"http://127.0.0.1:{port}"
    rng = random.Random(SEED * 100 + trial * 2 + (victim == "engine"))
    name = f"fault{trial}{victim}{rng.randrange(10**6)}"
    project = tmp_path / "dynaform.yaml"
    ddb, table, source = setup(project, endpoint, name)
    delay = rng.uniform(0.05, 0.95) * rebuild_seconds
    print(f"seed {SEED} trial {trial}: kill the {victim} after {delay:.2f}s")
    running = cli(project, endpoint, "apply", "--yes", "--allow-rebuild")
    try:
        code = running.wait(delay)
    except subprocess.TimeoutExpired:
        if victim == "client":
            running.send_signal(signal.SIGKILL)
            code = running.wait(30)
        else:
            kill_engine(state_dir)
            code = running.wait(60)  # an unreachable engine stops the run, quickly
            restart(state_dir, port)
    outcomes = [code]
    said = [(running.stderr.read() if running.stderr else "")[-2000:]]
    for _ in range(4):  # resume until it reports success
        if outcomes[-1] == 0:
            break
        resumed = cli(project, endpoint, "apply", "--yes")
        outcomes.append(resumed.wait(240))
        said.append((resumed.stdout.read() if resumed.stdout else "")[-2000:])
        said.append((resumed.stderr.read() if resumed.stderr else "")[-2000:])
    print(f"  exit codes, first run then resumes: {outcomes}")
    assert outcomes[-1] == 0, (outcomes, said)
    found = sorted(sort_keys(ddb, table), key=int)
    assert found == sorted(source, key=int), (outcomes, len(found), len(source), said)
    assert f"{table}.dynaform-rebuild" not in ddb.list_tables()["TableNames"]
