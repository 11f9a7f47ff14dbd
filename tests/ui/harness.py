"""The UI as a user runs it: the calendar example applied and seeded on DynamoDB Local,
``dynaform ui --port 0 --no-browser`` as a process, and its printed URL."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CALENDAR_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"
BIG = "98765432109876543210987654321098765432"  # 38 digits
SEED = ["seed", "-g", "calendar", "-n", "60", "--seed", "1"]


@dataclass
class Served:
    url: str  # with the token
    base: str  # http://127.0.0.1:PORT
    token: str
    process: subprocess.Popen[str]


def calendar_project(directory: Path, endpoint: str) -> tuple[Path, str]:
    """The calendar example under a unique project name, applied and seeded; returns the file
    and the physical name of its main table in dev."""
    name = f"cal{uuid.uuid4().hex[:6]}"
    example = ROOT / "examples" / "calendar"
    for source in example.iterdir():  # the entities module the project file names, too
        if source.is_file():
            (directory / source.name).write_bytes(source.read_bytes())
    text = (example / "dynaform.yaml").read_text()
    path = directory / "dynaform.yaml"
    path.write_text(text.replace("project: calendsync", f"project: {name}", 1))
    base = [sys.executable, "-m", "dynaform", "-f", str(path), "--endpoint-url", endpoint]
    env = os.environ | {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}
    for args in (
        ["apply", "--yes"],
        [*SEED, "--calendar-id", CALENDAR_ID, "--highlighted-day", "2024-06-05"],
        ["data", "put", "main", f'{{"PK": "BIG#1", "SK": "N", "_type": "counter", "n": {BIG}}}'],
    ):
        done = subprocess.run(
            [*base, *args], cwd=directory, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
    return path, f"{name}-dev-main"


@contextmanager
def serve_ui(project: Path, endpoint: str, *extra: str) -> Iterator[Served]:
    env = os.environ | {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}
    args = [sys.executable, "-m", "dynaform", "-f", str(project), "--endpoint-url", endpoint]
    process = subprocess.Popen(
        [*args, "ui", "--port", "0", "--no-browser", *extra],
        cwd=project.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        found = re.search(r"serving on (http://127\.0\.0\.1:(\d+))/\?token=(\S+)", line)
        assert found, f"no URL printed: {line!r}"
        yield Served(found[0].removeprefix("serving on "), found[1], found[3], process)
    finally:
        process.terminate()
        process.wait(timeout=10)


def chromium_path() -> str:
    """Debian's chromium (scripts/bootstrap.sh installs it); Playwright never downloads one."""
    import shutil

    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "no chromium on PATH: run scripts/bootstrap.sh (apt-get install chromium)"
    return found


CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def chromium() -> Iterator[Any]:
    """A fresh Chromium profile (its own cookies) driven by Playwright."""
    import tempfile

    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
        context = playwright.chromium.launch_persistent_context(
            profile,  # a new, empty user-data-dir
            executable_path=chromium_path(),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 900},
            accept_downloads=True,
        )
        try:
            yield context
        finally:
            context.close()
