"""Running the local engine: start, stop, status, logs and reset.

The engine's state lives in the project's ``.dynaform/local/``:

- ``engine.json`` — the running engine (pid, port, engine kind, version, data dir)
- ``data/``      — DynamoDB Local's database (``-dbPath``), kept by ``stop``, removed by ``reset``
- ``engine.log`` — everything the engine printed
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from dynaform.errors import LocalEngineError, PortInUseError
from dynaform.local.install import install
from dynaform.local.java import find_java

EngineKind = Literal["dynamodb-local", "moto"]
ENGINES: tuple[EngineKind, ...] = ("dynamodb-local", "moto")
DEFAULT_PORT = 8000
START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 15.0

RECORD = "engine.json"
LOG = "engine.log"
DATA = "data"


@dataclass(frozen=True)
class EngineRecord:
    pid: int
    port: int
    engine: EngineKind
    version: str
    in_memory: bool
    data_dir: str | None
    started_at: str
    command: list[str] = field(default_factory=list)

    @property
    def endpoint_url(self) -> str:
        return f"http://localhost:{self.port}"


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


# --- the pid record ---------------------------------------------------------------------


def read_record(state_dir: Path) -> EngineRecord | None:
    try:
        data = json.loads((state_dir / RECORD).read_text())
        return EngineRecord(**data)
    except (OSError, ValueError, TypeError):
        return None


def _write_record(state_dir: Path, record: EngineRecord) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    tmp = state_dir / (RECORD + ".tmp")
    tmp.write_text(json.dumps(asdict(record), indent=2) + "\n")
    tmp.replace(state_dir / RECORD)


def _remove_record(state_dir: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        (state_dir / RECORD).unlink()


def process_alive(pid: int, marker: str | None = None) -> bool:
    """True if ``pid`` runs and is not a zombie; with ``marker``, its command line must hold it
    (a recycled pid belonging to another program does not count)."""
    with contextlib.suppress(ChildProcessError, OSError):
        # Reap it if it is our own exited child (tests start engines in-process).
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    proc = Path(f"/proc/{pid}")
    if proc.exists():
        with contextlib.suppress(OSError):
            if proc.joinpath("stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                return False
            if marker is not None:
                return marker in proc.joinpath("cmdline").read_bytes().decode(errors="replace")
    return True


def _marker(engine: EngineKind) -> str:
    return "DynamoDBLocal.jar" if engine == "dynamodb-local" else "moto"


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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


def _command(engine: EngineKind, port: int, data_dir: Path | None) -> tuple[list[str], str, Path]:
    """The command line, the engine's version and its working directory."""
    if engine == "moto":
        if importlib.util.find_spec("moto") is None or importlib.util.find_spec("flask") is None:
            raise LocalEngineError(
                "moto's server is not installed",
                hint="install it with `pip install 'dynaform[moto]'`",
            )
        from importlib.metadata import version

        command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
        return command, f"moto {version('moto')}", Path.cwd()
    java = find_java()
    installation = install()
    command = [
        str(java.executable),
        f"-Djava.library.path={installation.lib}",
        "-jar",
        str(installation.jar),
        "-sharedDb",
        "-disableTelemetry",
        "-port",
        str(port),
    ]
    command += ["-inMemory"] if data_dir is None else ["-dbPath", str(data_dir)]
    return command, installation.version, installation.directory


def _tail(path: Path, lines: int = 6) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def start(
    state_dir: Path,
    *,
    port: int = DEFAULT_PORT,
    in_memory: bool = False,
    engine: EngineKind = "dynamodb-local",
    timeout: float = START_TIMEOUT_S,
    report: Callable[[str], None] | None = None,
) -> StartResult:
    """Start the engine unless it already runs; return once it answers ListTables."""
    say = report or (lambda _message: None)
    began = time.monotonic()
    existing = read_record(state_dir)
    removed_stale = False
    if existing is not None:
        if process_alive(existing.pid, _marker(existing.engine)):
            _wait_until_ready(existing, state_dir, timeout)
            return StartResult(existing, True, False, time.monotonic() - began)
        _remove_record(state_dir)
        removed_stale = True
        say(f"removed a stale record of pid {existing.pid}, which is no longer running")

    if port_in_use(port):
        raise PortInUseError(
            f"port {port} is already in use by another program",
            hint=f"pick another with `--port`, or find the program with `lsof -i :{port}`",
        )
    data_dir = None if in_memory or engine == "moto" else state_dir / DATA
    if data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
    if engine == "moto" and not in_memory:
        say("moto keeps its data in memory only: it is lost on stop")
    command, engine_version, workdir = _command(engine, port, data_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    log_path = state_dir / LOG
    with log_path.open("ab") as log:
        log.write(f"\n--- dynaform: starting {engine} at {_now()} ---\n".encode())
        log.flush()
        process = subprocess.Popen(
            command,
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # survives the CLI; stop signals the whole group
        )
    record = EngineRecord(
        pid=process.pid,
        port=port,
        engine=engine,
        version=engine_version,
        in_memory=data_dir is None,
        data_dir=str(data_dir) if data_dir else None,
        started_at=_now(),
        command=command,
    )
    _write_record(state_dir, record)
    try:
        _wait_until_ready(record, state_dir, timeout, process)
    except LocalEngineError:
        _kill(record.pid)
        _remove_record(state_dir)
        raise
    return StartResult(record, False, removed_stale, time.monotonic() - began)


def _wait_until_ready(
    record: EngineRecord,
    state_dir: Path,
    timeout: float,
    process: subprocess.Popen[bytes] | None = None,
) -> None:
    deadline = time.monotonic() + timeout
    probe = _probe_client(record.endpoint_url, 2.0)
    while time.monotonic() < deadline:
        exited = process.poll() is not None if process else not process_alive(record.pid)
        if exited:
            log_tail = _tail(state_dir / LOG)
            if "Address already in use" in log_tail or "BindException" in log_tail:
                raise PortInUseError(
                    f"port {record.port} is already in use by another program",
                    hint=f"pick another with `--port`, or find it with `lsof -i :{record.port}`",
                )
            raise LocalEngineError(
                f"{record.engine} exited while starting; its last words:\n{log_tail}",
                hint=f"see the whole log with `dynaform local logs` ({state_dir / LOG})",
            )
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
    if not process_alive(record.pid, _marker(record.engine)):
        _remove_record(state_dir)
        return None
    _kill(record.pid, timeout)
    _remove_record(state_dir)
    return record


def status(state_dir: Path) -> EngineStatus:
    record = read_record(state_dir)
    if record is None:
        return EngineStatus(False, None, state_dir)
    if not process_alive(record.pid, _marker(record.engine)):
        return EngineStatus(False, record, state_dir, stale_record=True)
    try:
        tables: int | None = count_tables(record.endpoint_url)
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
