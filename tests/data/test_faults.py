"""Fault injection: the `dynaform data` commands, run as a user runs them (a subprocess),
against a persistent DynamoDB Local this module starts itself, with the engine or the client
killed at random points. Every trial ends, after `--resume`, with exactly
the source, and no run exits 0 with less.

Kills: SIGKILL of the engine (restarted on the same port after a short outage, or only after
the client gave up), SIGKILL of the client, SIGINT (Ctrl-C) of the client. Operations: import,
export to a folder, export to one file (including kills during the join), copy.

    DYNAFORM_FAULT_TRIALS=100 DYNAFORM_FAULT_SEED=1234 pytest tests/data/test_faults.py -s

The plan (and each trial's own seed) is printed; the same seed replays the same plan.
"""

from __future__ import annotations

import csv
import io
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest

from dynaform.data import ops
from dynaform.data.scan import scan_pages
from dynaform.data.wire import WireClient
from dynaform.local import engine
from tests.conftest import local_settings
from tests.data.test_bulk import canonical, every_type_item, make_table, read_items

TRIALS = int(os.environ.get("DYNAFORM_FAULT_TRIALS", "20"))
SEED = int(os.environ.get("DYNAFORM_FAULT_SEED", str(random.SystemRandom().randrange(10**6))))
IMPORT_ITEMS = 600  # paced with --rate, so that kills land mid-run
COPY_ITEMS = 500
EXPORT_ITEMS = 3_000
SHAPES = [  # (operation, victim): each appears at least once in every plan
    ("import", "engine"),
    ("import", "engine-long"),
    ("import", "client"),
    ("import", "sigint"),
    ("export-file", "engine"),
    ("export-file", "client"),
    ("export-file", "client-join"),
    ("export-folder", "engine"),
    ("export-folder", "client"),
    ("copy", "engine"),
    ("copy", "client"),
]


@dataclass(frozen=True)
class Trial:
    number: int
    operation: str
    victim: str
    seed: int

    def __str__(self) -> str:
        return f"trial {self.number}: {self.operation} / {self.victim} (seed {self.seed})"


def plan(seed: int, trials: int) -> list[Trial]:
    rng = random.Random(seed)
    chosen = list(SHAPES)[:trials]
    # The rest at random, except the slow long outage.
    chosen += [rng.choice(SHAPES[:1] + SHAPES[2:]) for _ in range(trials - len(chosen))]
    return [Trial(n, op, victim, rng.randrange(10**9)) for n, (op, victim) in enumerate(chosen)]


PLAN = plan(SEED, TRIALS)
print(f"\nfault trials: DYNAFORM_FAULT_SEED={SEED} DYNAFORM_FAULT_TRIALS={TRIALS}")


# --- the engine ---------------------------------------------------------------------------


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class Engine:
    """A persistent DynamoDB Local that can be killed (SIGKILL) and started again."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.port = engine.free_port()
        started = engine.start(state_dir, port=self.port, in_memory=False)
        self.url = started.record.endpoint_url

    def kill(self) -> None:
        record = engine.read_record(self.state_dir)
        assert record is not None
        os.killpg(record.pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while _listening(self.port) and time.monotonic() < deadline:
            time.sleep(0.05)

    def ensure_running(self) -> None:
        engine.start(self.state_dir, port=self.port, in_memory=False)

    def wire(self) -> WireClient:
        return WireClient(local_settings(self.url), self.url)


@dataclass
class World:
    engine: Engine
    root: Path
    import_file: Path
    import_items: list[bytes]
    copy_source: str
    copy_items: list[bytes]
    export_source: str
    export_items: list[bytes]
    export_csv: list[bytes]  # the header, then the rows sorted


def _source_file(path: Path, first: int, count: int) -> list[bytes]:
    items = [every_type_item(i) for i in range(first, first + count)]
    path.write_bytes(b"".join(orjson.dumps({"Item": it}) + b"\n" for it in items))
    return sorted(canonical(it) for it in items)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("faults")
    running = Engine(root / ".dynaform" / "local")
    try:
        loader = running.wire()
        tables = {}
        for name, count in (("copy-source", COPY_ITEMS), ("export-source", EXPORT_ITEMS)):
            make_table(loader_client(running), name)
            path = root / f"{name}.jsonl"
            tables[name] = _source_file(path, 10_000, count)
            ops.import_files(loader, name, [path], concurrency=16)
        import_file = root / "import.jsonl"
        import_items = _source_file(import_file, 0, IMPORT_ITEMS)
        reference = root / "reference.csv"
        ops.export_table(loader, "export-source", reference, fmt="csv", segments=2)
        yield World(
            running,
            root,
            import_file,
            import_items,
            "copy-source",
            tables["copy-source"],
            "export-source",
            tables["export-source"],
            _csv_rows(reference),
        )
    finally:
        engine.stop(running.state_dir)


def loader_client(running: Engine) -> Any:
    from dynaform.aws.client import dynamodb_client

    return dynamodb_client(local_settings(running.url))


# --- running the CLI ------------------------------------------------------------------------


def _start_cli(world: World, args: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "dynaform", "--endpoint-url", world.engine.url, *args],
            cwd=world.root,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )


def _wait_for(process: subprocess.Popen[bytes], ready: Callable[[], bool], limit: float) -> bool:
    """Poll until ``ready()`` (True) or the process ended / the limit passed (False)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and process.poll() is None:
        if ready():
            return True
        time.sleep(0.005)
    return False


def _progress(checkpoint: Path) -> int:
    try:
        state = orjson.loads(checkpoint.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return -1
    if "files" in state:
        return sum(int(v) for v in state["files"].values())
    return sum(int(p.get("items", 0)) for p in state.get("parts", {}).values())


def _table_items(world: World, table: str) -> list[bytes]:
    return sorted(
        canonical(item)
        for page in scan_pages(world.engine.wire(), table, 2, consistent=True)
        for item in page.items
    )


# --- one trial ------------------------------------------------------------------------------


@dataclass
class Setup:
    args: list[str]  # the command
    resume: list[str]  # the command that continues it
    trigger: Callable[[], bool]  # when to kill
    check: Callable[[], list[bytes]]  # what the result holds
    expected: list[bytes]


def _setup(world: World, trial: Trial, rng: random.Random, where: Path) -> Setup:
    table = f"t{trial.number}-{trial.seed % 10_000}"
    if trial.operation == "import":
        make_table(loader_client(world.engine), table)
        source = where / "items.jsonl"
        source.write_bytes(world.import_file.read_bytes())
        checkpoint = where / "items.jsonl.checkpoint.json"
        mark = rng.randrange(0, IMPORT_ITEMS * 9 // 10)
        args = ["data", "import", table, str(source), "--rate", "200"]
        return Setup(
            args,
            [*args, "--resume"],
            lambda: _progress(checkpoint) >= mark,
            lambda: _table_items(world, table),
            world.import_items,
        )
    if trial.operation == "copy":
        make_table(loader_client(world.engine), table)
        began, delay = time.monotonic(), rng.uniform(1.0, 3.0)
        args = ["data", "copy", world.copy_source, table, "--rejects", str(where / "c.rej")]
        args += ["--rate", "150"]
        return Setup(
            args,
            [*args, "--resume"],  # the copy keeps its checkpoint next to the reject file
            lambda: time.monotonic() - began > delay,
            lambda: _table_items(world, table),
            world.copy_items,
        )
    return _export_setup(world, trial, rng, where)


def _seen_for(path: Path, delay: float) -> Callable[[], bool]:
    """True ``delay`` seconds after ``path`` first appeared."""
    seen: list[float] = []

    def ready() -> bool:
        if not seen:
            if path.exists():
                seen.append(time.monotonic())
            return False
        return time.monotonic() - seen[0] >= delay

    return ready


def _csv_rows(path: Path) -> list[bytes]:
    header, *rows = csv.reader(io.StringIO(path.read_text()))
    return [orjson.dumps(header), *sorted(orjson.dumps(row) for row in rows)]


def _export_setup(world: World, trial: Trial, rng: random.Random, where: Path) -> Setup:
    folder = trial.operation == "export-folder"
    joins = trial.victim == "client-join"  # CSV: a join slow enough to be hit
    out = where / ("backup" if folder else "backup.csv" if joins else "backup.jsonl.gz")
    segments = str(rng.choice([1, 2, 4]))
    args = ["data", "export", world.export_source, "--out", str(out), "--segments", segments]
    args += ["--format", "csv"] if joins else ["--gzip"] if rng.random() < 0.5 else []
    checkpoint = out / ".checkpoint.json" if folder else where / f"{out.name}.checkpoint.json"
    parts = where / f"{out.name}.parts"
    if joins:  # the final file is being written under its temporary name
        trigger = _seen_for(where / f"{out.name}.joining", rng.uniform(0.0, 0.05))
    else:
        trigger = _seen_for(checkpoint, rng.uniform(0.0, 0.3))

    def check() -> list[bytes]:
        assert not checkpoint.exists(), "a finished export leaves no checkpoint"
        if folder:
            manifest = orjson.loads((out / "manifest.json").read_bytes())
            return sorted(x for name in manifest["files"] for x in read_items(out / name))
        assert not parts.exists(), "the parts are removed"
        return _csv_rows(out) if joins else read_items(out)

    expected = world.export_csv if joins else world.export_items
    return Setup(args, [*args, "--resume"], trigger, check, expected)


def _strike(
    world: World, trial: Trial, process: subprocess.Popen[bytes], rng: random.Random
) -> str:
    """Kill as the trial says; returns what happened, for the report."""
    if trial.victim == "sigint":
        process.send_signal(signal.SIGINT)
        return "client got SIGINT"
    if trial.victim.startswith("client"):
        process.send_signal(signal.SIGKILL)
        return "client killed"
    world.engine.kill()
    if trial.victim == "engine-long":  # down until the client gives up on its own
        killed = time.monotonic()
        process.wait(timeout=120)
        stopped = time.monotonic() - killed
        world.engine.ensure_running()
        return f"engine killed; the client stopped {stopped:.1f}s later; engine restarted"
    time.sleep(rng.uniform(0.2, 3.0))
    world.engine.ensure_running()
    return "engine killed, restarted while the client ran"


def _finish(world: World, setup: Setup, where: Path) -> int:
    """Run the continuing command until it succeeds; the number of runs it took."""
    command = setup.resume
    for attempt in range(1, 4):
        log = where / f"resume-{attempt}.log"
        if _start_cli(world, command, log).wait(timeout=300) == 0:
            return attempt
        said = log.read_text()
        assert "Traceback" not in said, said[-3000:]
        if "is a finished export" in said:  # killed after the end, before it could exit 0
            return attempt
        if "nothing to resume" in said:  # killed before its checkpoint existed
            command = setup.args
    raise AssertionError(f"no success after 3 runs:\n{said[-3000:]}")


@pytest.mark.parametrize("trial", PLAN, ids=str)
def test_killed_then_resumed_is_exactly_the_source(
    world: World, trial: Trial, tmp_path: Path
) -> None:
    print(trial)
    rng = random.Random(trial.seed)
    world.engine.ensure_running()
    setup = _setup(world, trial, rng, tmp_path)
    log = tmp_path / "stderr.log"
    process = _start_cli(world, setup.args, log)
    struck = _wait_for(process, setup.trigger, 120)
    what = _strike(world, trial, process, rng) if struck else "finished before the kill"
    code = process.wait(timeout=120)
    print(f"  {what}; exit {code}")
    if code == 0:  # it rode through the fault, or finished first: it must be whole
        assert setup.check() == setup.expected, f"{trial}: exit 0 with a different result"
        return
    errors = log.read_text()
    assert "Traceback" not in errors, errors[-3000:]
    if trial.victim == "engine-long":
        assert code == 1 and "--resume" in errors, errors[-3000:]
    runs = _finish(world, setup, tmp_path)
    print(f"  resumed in {runs} run(s)")
    assert setup.check() == setup.expected, f"{trial}: resumed, but not the source"
