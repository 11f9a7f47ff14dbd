"""The calendar API served over real HTTP (uvicorn in a thread) against DynamoDB Local."""

from __future__ import annotations

import importlib.util
import secrets
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from dynaform.entities import Store
from dynaform.local.engine import free_port
from tests.helpers import run_process

ROOT = Path(__file__).resolve().parents[2]
CALENDAR = ROOT / "examples" / "calendar"


def load_api() -> ModuleType:
    name = "example_calendar_api"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, CALENDAR / "api.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


class Server:
    """uvicorn serving ``app`` on a free loopback port, in a daemon thread."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the API server did not start")
            time.sleep(0.02)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *_: Any) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def calendar_store(ddb_endpoint: str) -> Store:
    """The example's tables applied on the session's engine; the store from the project file
    with only the endpoint overridden (as `--endpoint-url` would)."""
    applied = run_process(
        "-f",
        str(CALENDAR / "dynaform.yaml"),
        "--endpoint-url",
        ddb_endpoint,
        "apply",
        "--yes",
        cwd=ROOT,
        env={"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"},
    )
    assert applied.code == 0, applied.stderr
    return Store.from_project(
        CALENDAR / "dynaform.yaml",
        "dev",
        environ={},
        endpoint_url=ddb_endpoint,
        cursor_key=secrets.token_bytes(32),
    )


@pytest.fixture(scope="module")
def api(calendar_store: Store) -> Iterator[httpx.Client]:
    app = load_api().create_app(calendar_store)
    with Server(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield client
