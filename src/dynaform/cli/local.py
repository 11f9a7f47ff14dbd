"""``dynaform local``: AWS's DynamoDB Local on this machine, no Docker."""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from dynaform.cli.context import AppState, default_port, state
from dynaform.cli.output import err, out, print_json, say
from dynaform.errors import EngineNotRunningError, UsageError

if TYPE_CHECKING:
    from types import ModuleType

    from dynaform.local import engine

START_TIMEOUT_S = 90.0  # dynaform.local.engine.START_TIMEOUT_S, without importing it for --help


def _engine() -> ModuleType:
    """The engine module, imported on use: `dynaform --help` does not load it."""
    from dynaform.local import engine

    return engine


app = typer.Typer(
    help="Run AWS's DynamoDB Local on this machine (no Docker).\n\n"
    "Example: dynaform local start && dynaform local status",
    no_args_is_help=True,
)


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _engine_kind(value: str) -> engine.EngineKind:
    if value == "dynamodb-local":
        return "dynamodb-local"
    if value == "moto":
        return "moto"
    raise UsageError(f"unknown engine {value!r}", hint="use dynamodb-local (default) or moto")


def _checked_port(value: int | None) -> int | None:
    if value is not None and not 1 <= value <= 65535:
        raise typer.BadParameter(f"{value} is not a port number: use 1 to 65535, like 8000")
    return value


def _endpoint_hint(url: str) -> str:
    return f"point tools at it: export AWS_ENDPOINT_URL={url}  (or use `dynaform --local ...`)"


@app.command()
def install(
    ctx: typer.Context,
    force: bool = typer.Option(False, "--force", help="Fetch again even if installed."),
) -> None:
    """Find or fetch DynamoDB Local into the cache ($DYNAFORM_HOME).

    Tries DYNAMODB_LOCAL_DIR, then AWS's download archive, then the npm package
    amplify-dynamodb-simulator; each source that fails says why in one line.

    Example: DYNAMODB_LOCAL_DIR=~/opt/dynamodb-local dynaform local install
    """
    app_state = state(ctx)
    began = time.monotonic()
    with err.status("installing DynamoDB Local …"):
        from dynaform.local.install import install as install_engine

        found = install_engine(force=force, report=say)
    if app_state.json:
        print_json(asdict(found) | {"directory": str(found.directory)})
        return
    out.print(f"DynamoDB Local {found.version} is installed ({time.monotonic() - began:.1f}s)")
    out.print(f"  source     {found.source}")
    out.print(f"  directory  {found.directory}")
    out.print(f"  jar sha256 {found.jar_sha256}")


@app.command()
def start(
    ctx: typer.Context,
    port: int | None = typer.Option(
        None,
        "--port",
        "-p",
        callback=_checked_port,
        help="Port to listen on (default 8000, or $DYNAFORM_LOCAL_PORT).",
    ),
    host: str = typer.Option(
        "127.0.0.1",
        "--host",
        help="Address to listen on. The default answers this machine only; 0.0.0.0 opens it "
        "to the network, where anyone could use it (it accepts any credentials).",
    ),
    in_memory: bool = typer.Option(
        False, "--in-memory", help="Keep data in memory only (lost on stop)."
    ),
    engine_name: str = typer.Option(
        "dynamodb-local",
        "--engine",
        help="dynamodb-local (AWS's own, needs Java 11+) or moto (no Java, lower fidelity).",
    ),
    timeout: float = typer.Option(START_TIMEOUT_S, help="Seconds to wait for it to answer."),
) -> None:
    """Start the local engine; returns once it answers. Data persists in .dynaform/local/.

    Example: dynaform local start --port 8001
    """
    app_state = state(ctx)
    with err.status("starting the local engine …"):
        result = _engine().start(
            app_state.state_dir,
            port=default_port() if port is None else port,
            host=host,
            in_memory=in_memory,
            engine=_engine_kind(engine_name),
            timeout=timeout,
            report=say,
        )
    if app_state.json:
        print_json(
            asdict(result.record)
            | {
                "already_running": result.already_running,
                "endpoint_url": result.record.endpoint_url,
            }
        )
    else:
        _print_started(result)


def _print_started(result: engine.StartResult) -> None:
    record = result.record
    if result.already_running:
        out.print(
            f"{_label(record)} is already running on {record.endpoint_url} (pid {record.pid})"
        )
        return
    where = "in memory" if record.in_memory else f"data in {_relative(Path(record.data_dir or ''))}"
    out.print(
        f"[green]started[/] {_label(record)} on {record.endpoint_url} "
        f"(pid {record.pid}, {where}, listening on {_listening(record)}) in {result.seconds:.1f}s",
        markup=True,
    )
    say(_endpoint_hint(record.endpoint_url))


def _listening(record: engine.EngineRecord) -> str:
    from dynaform.local.network import is_wildcard

    if is_wildcard(record.host):
        return "[bold red]every interface[/]"
    return f"{record.host} only"


def _label(record: engine.EngineRecord) -> str:
    if record.engine == "moto":
        return record.version
    return f"DynamoDB Local {record.version}"


@app.command()
def stop(ctx: typer.Context) -> None:
    """Stop the local engine, keeping its data (like `docker compose stop`).

    Example: dynaform local stop
    """
    app_state = state(ctx)
    stopped = _engine().stop(app_state.state_dir)
    if app_state.json:
        print_json({"stopped": stopped is not None, "pid": stopped.pid if stopped else None})
        return
    if stopped is None:
        out.print("the local engine is not running")
    else:
        kept = "" if stopped.in_memory else "; data kept"
        out.print(f"stopped {_label(stopped)} (pid {stopped.pid}){kept}")


@app.command("status")
def engine_status(ctx: typer.Context) -> None:
    """Is the local engine running? pid, port, version, data dir, table count; exit 3 if not.

    Example: dynaform local status
    """
    app_state = state(ctx)
    current = _engine().status(app_state.state_dir)
    record = current.record
    if app_state.json:
        print_json(
            {
                "running": current.running,
                "stale_record": current.stale_record,
                "data_dir": str(current.data_dir),
                "table_count": current.table_count,
                "endpoint_url": record.endpoint_url if record and current.running else None,
                "engine": asdict(record) if record and current.running else None,
            }
        )
    elif current.running and record is not None:
        rows = {
            "state": "[green]running[/]",
            "engine": _label(record),
            "endpoint": record.endpoint_url,
            "listens": _listening(record),
            "pid": str(record.pid),
            "data": "in memory" if record.in_memory else _relative(Path(record.data_dir or "")),
            "tables": "?" if current.table_count is None else str(current.table_count),
            "since": record.started_at,
            "log": _relative(_engine().log_path(app_state.state_dir)),
        }
        for key, value in rows.items():
            out.print(f"[bold]{key:<9}[/] {value}", markup=True)
    if not current.running:
        stale = (
            f" (pid {record.pid} from a stale record is gone)"
            if current.stale_record and record
            else ""
        )
        raise EngineNotRunningError(f"the local engine is not running{stale}")


@app.command()
def logs(
    ctx: typer.Context,
    follow: bool = typer.Option(False, "--follow", "-f", help="Keep printing new lines."),
    lines: int = typer.Option(50, "--lines", "-n", help="How many recent lines to show."),
) -> None:
    """Show the local engine's log.

    Example: dynaform local logs -f
    """
    path = _engine().log_path(state(ctx).state_dir)
    if not path.exists():
        raise EngineNotRunningError(
            "the local engine has no log yet", hint="start it with `dynaform local start`"
        )
    with path.open("r", errors="replace") as handle:
        for line in handle.readlines()[-lines:]:
            out.file.write(line)
        out.file.flush()
        while follow:
            line = handle.readline()
            if line:
                out.file.write(line)
                out.file.flush()
            else:
                time.sleep(0.25)


@app.command()
def reset(
    ctx: typer.Context,
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Stop the local engine and delete all its tables and data (like `docker compose down -v`).

    Example: dynaform local reset --yes
    """
    app_state: AppState = state(ctx)
    target = app_state.state_dir
    if not (yes or app_state.yes):
        if not target.exists():
            out.print("nothing to reset: there is no local data")
            return
        typer.confirm(
            f"Delete every local table and item in {_relative(target)}?", abort=True, err=True
        )
    stopped, removed = _engine().reset(target)
    if app_state.json:
        print_json({"stopped": stopped is not None, "removed": removed, "path": str(target)})
        return
    if stopped is not None:
        out.print(f"stopped {_label(stopped)} (pid {stopped.pid})")
    out.print(f"removed {_relative(target)}" if removed else "nothing to reset: no local data")
