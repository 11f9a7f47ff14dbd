"""``dynaform ui``: the web application, and the process that serves it on 127.0.0.1.

Run as ``python -m dynaform.ui`` by the ``dynaform ui`` command (the CLI and the UI are
packages of one layer and do not import each other), with the same global options.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import webbrowser
from pathlib import Path
from typing import Any

from dynaform.errors import DynaformError
from dynaform.settings import Flags
from dynaform.ui.security import Guard, new_token
from dynaform.ui.state import UiState

HERE = Path(__file__).resolve().parent


def create_app(ui: UiState, token: str, port: int) -> Any:
    """The Starlette application behind the guard (token, Host, Origin)."""
    from starlette.applications import Starlette
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles
    from starlette.templating import Jinja2Templates

    from dynaform.core.item_json import display
    from dynaform.ui import pages, transfer

    routes = [
        Route("/", pages.home),
        Route("/t/{name}", pages.table_page),
        Route("/t/{name}/item", pages.item_page),
        Route("/t/{name}/item", pages.save_item, methods=["POST"]),
        Route("/t/{name}/delete", pages.delete_items, methods=["POST"]),
        Route("/t/{name}/export", transfer.export),
        Route("/t/{name}/import", transfer.import_form),
        Route("/t/{name}/import", transfer.import_start, methods=["POST"]),
        Route("/t/{name}/import/{job}", transfer.import_status),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes)
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.filters["cell"] = display
    app.state.ui = ui
    app.state.templates = templates
    return Guard(app, token, port)


def listen(port: int) -> socket.socket:
    """A socket on 127.0.0.1 only (0: any free port)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError as exc:
        sock.close()
        raise DynaformError(
            f"port {port} on 127.0.0.1 is in use ({exc.strerror})",
            hint="pass another --port, or --port 0 for any free port",
        ) from None
    sock.listen(128)
    return sock


def serve(ui: UiState, port: int, open_browser: bool) -> None:
    import uvicorn

    sock = listen(port)
    port = sock.getsockname()[1]
    token = new_token()
    url = f"http://127.0.0.1:{port}/?token={token}"
    print(f"serving on {url}", flush=True)
    print("press Ctrl-C to stop", file=sys.stderr, flush=True)
    if open_browser:
        webbrowser.open(url)
    config = uvicorn.Config(create_app(ui, token, port), log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="dynaform ui")
    parser.add_argument("--file", "-f", type=Path)
    parser.add_argument("--env", "-e")
    parser.add_argument("--endpoint-url")
    parser.add_argument("--region")
    parser.add_argument("--profile")
    parser.add_argument("--local", action="store_true")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--allow-writes", action="append", default=[])
    return parser.parse_args(argv)


def state_from(args: argparse.Namespace) -> UiState:
    from dynaform import api
    from dynaform.core.load import find_project_file
    from dynaform.errors import ConfigError

    flags = Flags(args.endpoint_url, args.region, args.profile, args.local)
    try:
        project = api.load_project(find_project_file(Path.cwd(), args.file))
    except ConfigError:
        if args.file is not None or args.env:
            raise
        project = None
    env = project.select_environment(args.env, os.environ) if project is not None else None
    unknown = sorted(set(args.allow_writes) - set(project.environment_names if project else []))
    if unknown:
        raise DynaformError(f"--allow-writes {unknown[0]}: no such environment in the project")
    port = int(os.environ.get("DYNAFORM_LOCAL_PORT") or 8000)
    directory = project.directory if project is not None else Path.cwd()
    return UiState(project, flags, env, frozenset(args.allow_writes), directory, port)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(sys.argv[1:] if argv is None else argv)
    try:
        serve(state_from(args), args.port, not args.no_browser)
    except DynaformError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 0
    return 0
