"""The running engine's record (``engine.json``) and whether its process still lives."""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from dynaform.errors import UsageError
from dynaform.local.network import ALL_INTERFACES, parse_host, url_host

EngineKind = Literal["dynamodb-local", "moto"]
ENGINES: tuple[EngineKind, ...] = ("dynamodb-local", "moto")

RECORD = "engine.json"


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
    # Records written before --host existed belong to engines listening on every interface.
    host: str = ALL_INTERFACES

    @property
    def endpoint_url(self) -> str:
        return f"http://{url_host(self.host)}:{self.port}"


def read_record(state_dir: Path) -> EngineRecord | None:
    try:
        data = json.loads((state_dir / RECORD).read_text())
        record = EngineRecord(**data)
        parse_host(record.host)
    except (OSError, ValueError, TypeError, UsageError):
        return None
    return record


def write_record(state_dir: Path, record: EngineRecord) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    tmp = state_dir / (RECORD + ".tmp")
    tmp.write_text(json.dumps(asdict(record), indent=2) + "\n")
    tmp.replace(state_dir / RECORD)


def remove_record(state_dir: Path) -> None:
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


def marker(engine: EngineKind) -> str:
    """A string every command line of this engine kind holds (the launcher's too)."""
    return "DynamoDBLocal.jar" if engine == "dynamodb-local" else "moto"
