"""The managed engine's endpoint for a project folder, as every command and application finds
it: this folder's engine when it runs; else dynaform's engine that another folder started on
the port; else this folder's, started now. Each case is said in one line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from dynaform.local import engine
from dynaform.local.paths import local_state_dir
from dynaform.local.registry import engine_on_port

Report = Callable[[str], None]
DEFAULT_PORT = 8000


def managed_endpoint(
    project_dir: Path, port: int = DEFAULT_PORT, report: Report | None = None
) -> str:
    """The managed engine's URL. One engine per port on a machine: this folder's own when it
    runs; else dynaform's engine that another folder started on that port (said in one line);
    else this folder's, started now (said, with how to stop it)."""
    say = report or (lambda _message: None)
    state_dir = local_state_dir(project_dir)
    current = engine.status(state_dir, count=False)
    if current.running and current.record is not None:
        return current.record.endpoint_url
    other = engine_on_port(port)
    if other is not None:
        say(
            f"using the local engine of {other.project_dir} on port {port} (its data lives "
            "there; `dynaform local stop` in that folder stops it)"
        )
        return other.record.endpoint_url
    say(f"starting the local engine (DynamoDB Local) on port {port} for {project_dir} …")
    started = engine.start(state_dir, port=port, report=report).record
    say(
        f"DynamoDB Local keeps running on {started.endpoint_url}; stop it with "
        f"`dynaform local stop` in {project_dir}"
    )
    return started.endpoint_url
