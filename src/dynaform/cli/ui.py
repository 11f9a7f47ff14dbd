"""``dynaform ui``: start the local web browser for the project's tables.

The UI is its own package on the CLI's layer (they do not import each other), so this command
runs it as ``python -m dynaform.ui`` with the same global options.
"""

from __future__ import annotations

import subprocess
import sys

import typer

from dynaform.cli.context import state


def ui(
    ctx: typer.Context,
    port: int = typer.Option(8765, "--port", help="Port on 127.0.0.1 (0: any free port)."),
    no_browser: bool = typer.Option(False, "--no-browser", help="Do not open a browser."),
    allow_writes: list[str] = typer.Option(
        [], "--allow-writes", help="Allow edits in this protected environment (repeatable)."
    ),
) -> None:
    """Browse and edit table data in a web browser (127.0.0.1 only, with a token).

    Example: dynaform ui --port 8765
    """
    app_state = state(ctx)
    flags = app_state.flags
    args = [sys.executable, "-m", "dynaform.ui", "--port", str(port)]
    options = {
        "--file": str(app_state.project_file) if app_state.project_file else None,
        "--env": app_state.env_flag,
        "--endpoint-url": flags.endpoint_url,
        "--region": flags.region,
        "--profile": flags.profile,
    }
    args += [part for name, value in options.items() if value for part in (name, value)]
    args += ["--local"] if flags.local else []
    args += ["--no-browser"] if no_browser else []
    for env in allow_writes:
        args += ["--allow-writes", env]
    try:
        code = subprocess.call(args)
    except KeyboardInterrupt:
        code = 0
    raise typer.Exit(code)
