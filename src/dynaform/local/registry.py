"""Which folder's engine listens on which port, machine-wide.

Each project folder keeps its engine's record in ``.dynaform/local/engine.json``; this index
(``$DYNAFORM_HOME/engines/<port>.json``) points from a port back to that folder, so a command
in another folder that finds the port taken can tell dynaform's own engine (and use it, saying
whose it is) from another program.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path

from dynaform.local.paths import dynaform_home
from dynaform.local.record import EngineRecord, marker, process_alive, read_record


@dataclass(frozen=True)
class Running:
    state_dir: Path
    record: EngineRecord

    @property
    def project_dir(self) -> Path:
        """The folder the engine serves (``<folder>/.dynaform/local``)."""
        return self.state_dir.parent.parent


def _entry(port: int) -> Path:
    return dynaform_home() / "engines" / f"{port}.json"


def register(state_dir: Path, record: EngineRecord) -> None:
    path = _entry(record.port)
    with contextlib.suppress(OSError):  # the index is a convenience: never fail a start on it
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps({"state_dir": str(state_dir.resolve()), "pid": record.pid}))
        tmp.replace(path)


def unregister(state_dir: Path, record: EngineRecord) -> None:
    found = engine_on_port(record.port, check_alive=False)
    if found is not None and found.state_dir == state_dir.resolve():
        with contextlib.suppress(OSError):
            _entry(record.port).unlink()


def engine_on_port(port: int, *, check_alive: bool = True) -> Running | None:
    """dynaform's engine listening on ``port``, from whichever folder started it."""
    try:
        data = json.loads(_entry(port).read_text())
        state_dir = Path(str(data["state_dir"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    record = read_record(state_dir)
    if record is None or record.port != port:
        return None
    if check_alive and not process_alive(record.pid, marker(record.engine)):
        return None
    return Running(state_dir, record)
