"""Running the local engine: start, stop, status, logs and reset.

The engine's state lives in the project's ``.dynaform/local/``:

- ``engine.json`` — the running engine (pid, host, port, engine kind, version, data dir)
- ``data/``      — DynamoDB Local's database (``-dbPath``), kept by ``stop``, removed by ``reset``
- ``engine.log`` — everything the engine printed

It listens on 127.0.0.1 unless asked for another host (``network.py``, ``launcher.py``).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dynaform.errors import LocalEngineError, PortInUseError
from dynaform.local.command import engine_command
from dynaform.local.network import (
    LOOPBACK,
    check_port,
    exposure_warning,
    free_port,
    parse_host,
    port_in_use,
)
from dynaform.local.record import (
    ENGINES,
    EngineKind,
    EngineRecord,
    marker,
    process_alive,
    read_record,
    remove_record,
    write_record,
)
from dynaform.local.registry import engine_on_port, register, unregister

__all__ = [
    "DEFAULT_PORT",
    "ENGINES",
    "EngineKind",
    "EngineRecord",
    "EngineStatus",
    "StartResult",
    "count_tables",
    "free_port",
    "log_path",
    "port_in_use",
    "process_alive",
    "read_record",
    "reset",
    "start",
    "status",
    "stop",
]

DEFAULT_PORT = 8000
START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 15.0

LOG = "engine.log"
DATA = "data"

Report = Callable[[str], None]


@dataclass(frozen=True)
class StartResult:
    record: EngineRecord
    already_running: bool
    removed_stale_record: bool
    seconds: float


@dataclass(frozen=True)
class EngineStatus:
    running: bool
    record: EngineRecord | None
    state_dir: Path
    table_count: int | None = None
    stale_record: bool = False

    @property
    def data_dir(self) -> Path:
        return self.state_dir / DATA


# --- asking the engine ------------------------------------------------------------------


def _probe_client(endpoint_url: str, timeout: float) -> Any:
    from dynaform.aws.client import client_config, dynamodb_client
    from dynaform.settings import Settings

    settings = Settings(
        endpoint_url=endpoint_url, region="us-east-1", profile=None, use_local_engine=True
    )
    config = client_config(attempts=1, connect_timeout=timeout, read_timeout=timeout)
    return dynamodb_client(settings, config=config)


def count_tables(endpoint_url: str, timeout: float = 3.0, client: Any = None) -> int:
    """ListTables through botocore, all pages; raises on any failure."""
    client = client or _probe_client(endpoint_url, timeout)
    count = 0
    for page in client.get_paginator("list_tables").paginate():
        count += len(page.get("TableNames", []))
    return count


# --- start / stop -----------------------------------------------------------------------


def _tail(path: Path, lines: int = 6) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _port_taken(port: int) -> PortInUseError:
    other = engine_on_port(port)
    if other is not None:
        return PortInUseError(
            f"port {port} is used by dynaform's local engine for {other.project_dir}",
            hint=f"use it (point at http://localhost:{port}), stop it with `dynaform local stop` "
            f"in that folder, or pick another port: `dynaform local start --port N` (or "
            "DYNAFORM_LOCAL_PORT=N for commands that start it)",
        )
    return PortInUseError(
        f"port {port} is already in use by another program",
        hint=f"pick another port: `dynaform local start --port N`, or DYNAFORM_LOCAL_PORT=N for "
        f"commands that start the engine; find the program with `lsof -i :{port}`",
    )


def start(
    state_dir: Path,
    *,
    port: int = DEFAULT_PORT,
    host: str = LOOPBACK,
    in_memory: bool = False,
    engine: EngineKind = "dynamodb-local",
    timeout: float = START_TIMEOUT_S,
    report: Report | None = None,
) -> StartResult:
    """Start the engine unless it already runs; return once it answers ListTables.
    It listens on ``host`` only: this machine by default, every interface with 0.0.0.0."""
    say = report or (lambda _message: None)
    began = time.monotonic()
    port, host = check_port(port), parse_host(host)
    existing = read_record(state_dir)
    removed_stale = False
    if existing is not None:
        if process_alive(existing.pid, marker(existing.engine)):
            if existing.host != host:
                say(f"it listens on {existing.host}; stop it first to listen on {host}")
            _wait_until_ready(existing, state_dir, timeout)
            return StartResult(existing, True, False, time.monotonic() - began)
        remove_record(state_dir)
        removed_stale = True
        say(f"removed a stale record of pid {existing.pid}, which is no longer running")
    if port_in_use(port, host):
        raise _port_taken(port)
    warning = exposure_warning(host, port)
    if warning:
        say(warning)
    record = _launch(state_dir, engine, host, port, in_memory, say)
    try:
        _wait_until_ready(record, state_dir, timeout)
    except LocalEngineError:
        _kill(record.pid)
        remove_record(state_dir)
        raise
    return StartResult(record, False, removed_stale, time.monotonic() - began)


def _launch(
    state_dir: Path, engine: EngineKind, host: str, port: int, in_memory: bool, say: Report
) -> EngineRecord:
    """Spawn the engine in its own session, logging to ``engine.log``, and record it."""
    data_dir = None if in_memory or engine == "moto" else state_dir / DATA
    if data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
    if engine == "moto" and not in_memory:
        say("moto keeps its data in memory only: it is lost on stop")
    command = engine_command(engine, host, port, data_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    with (state_dir / LOG).open("ab") as log:
        log.write(f"\n--- dynaform: starting {engine} on {host}:{port} at {_now()} ---\n".encode())
        log.flush()
        process = subprocess.Popen(
            command.argv,
            cwd=command.workdir,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # survives the CLI; stop signals the whole group
        )
    record = EngineRecord(
        pid=process.pid,
        port=port,
        engine=engine,
        version=command.version,
        in_memory=data_dir is None,
        data_dir=str(data_dir) if data_dir else None,
        started_at=_now(),
        command=command.argv,
        host=host,
    )
    write_record(state_dir, record)
    register(state_dir, record)
    return record


def _wait_until_ready(record: EngineRecord, state_dir: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    probe = _probe_client(record.endpoint_url, 2.0)
    while time.monotonic() < deadline:
        if not process_alive(record.pid):
            raise _exit_error(record, state_dir)
        try:
            count_tables(record.endpoint_url, client=probe)
        except Exception:  # not up yet: connection refused, reset, or a half-started server
            time.sleep(0.1)
        else:
            return
    raise LocalEngineError(
        f"{record.engine} did not answer on port {record.port} within {timeout:.0f}s",
        hint=f"see `dynaform local logs` ({state_dir / LOG})",
    )


def _exit_error(record: EngineRecord, state_dir: Path) -> LocalEngineError:
    """Why the engine exited while starting, from the end of its log."""
    log_tail = _tail(state_dir / LOG)
    if "Address already in use" in log_tail or "BindException" in log_tail:
        return _port_taken(record.port)
    hint = f"see the whole log with `dynaform local logs` ({state_dir / LOG})"
    if "dynaform launcher:" in log_tail:
        # The launcher relies on DynamoDB Local's internals (launcher.py); a new release may move
        # them. AWS's own entry point still works, on every interface.
        hint += "; `--host 0.0.0.0` starts AWS's own entry point instead (open to the network)"
    return LocalEngineError(
        f"{record.engine} exited while starting; its last words:\n{log_tail}", hint=hint
    )


def _kill(pid: int, timeout: float = STOP_TIMEOUT_S) -> bool:
    """SIGTERM the engine's process group, then SIGKILL; True if it had to be killed."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return sig == signal.SIGKILL
        except PermissionError:
            os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not process_alive(pid):
                return sig == signal.SIGKILL
            time.sleep(0.1)
    raise LocalEngineError(f"process {pid} survived SIGKILL", hint="check it with `ps`")


def stop(state_dir: Path, *, timeout: float = STOP_TIMEOUT_S) -> EngineRecord | None:
    """Stop the engine, keeping its data. Returns the stopped engine, or None if none ran."""
    record = read_record(state_dir)
    if record is None:
        return None
    if not process_alive(record.pid, marker(record.engine)):
        remove_record(state_dir)
        return None
    _kill(record.pid, timeout)
    _wait_port_released(record)
    unregister(state_dir, record)
    remove_record(state_dir)
    return record


def _wait_port_released(record: EngineRecord, timeout: float = 5.0) -> None:
    """The group leader is gone; give the rest of the group a moment to let go of the port, so
    an immediate `start` on the same port does not see it taken."""
    deadline = time.monotonic() + timeout
    while port_in_use(record.port, record.host) and time.monotonic() < deadline:
        time.sleep(0.05)


def status(state_dir: Path, *, count: bool = True) -> EngineStatus:
    """Whether this folder's engine runs; with ``count``, also how many tables it holds (a
    ListTables, which needs a botocore client: commands that only want the URL skip it)."""
    record = read_record(state_dir)
    if record is None:
        return EngineStatus(False, None, state_dir)
    if not process_alive(record.pid, marker(record.engine)):
        return EngineStatus(False, record, state_dir, stale_record=True)
    tables: int | None = None
    if count:
        try:
            tables = count_tables(record.endpoint_url)
        except Exception:
            tables = None
    return EngineStatus(True, record, state_dir, table_count=tables)


def reset(state_dir: Path) -> tuple[EngineRecord | None, bool]:
    """Stop the engine and delete its data and log. Returns (stopped engine, data removed)."""
    stopped = stop(state_dir)
    removed = state_dir.exists()
    if removed:
        shutil.rmtree(state_dir)
    return stopped, removed


def log_path(state_dir: Path) -> Path:
    return state_dir / LOG


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
