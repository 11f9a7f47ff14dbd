"""`-` as a path: standard output for `data export --out -`, standard input for
`data import TABLE -`, as users expect from Unix tools."""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from dynaform.errors import UsageError

if TYPE_CHECKING:
    from dynaform.cli.context import AppState

STDIO = "-"


def is_stdio(path: Path) -> bool:
    return str(path) == STDIO


@contextmanager
def export_destination(out_path: Path, fmt: str, gz: bool) -> Iterator[Path]:
    """The file to export into; for `-`, a temporary file streamed to stdout at the end (so
    stdout gets the whole export or nothing)."""
    if not is_stdio(out_path):
        yield out_path
        return
    suffix = {"csv": ".csv", "json": ".jsonl"}.get(fmt, ".jsonl") + (".gz" if gz else "")
    with tempfile.TemporaryDirectory(prefix="dynaform-export-") as folder:
        path = Path(folder) / f"items{suffix}"
        yield path
        with path.open("rb") as data:
            shutil.copyfileobj(data, sys.stdout.buffer)
        sys.stdout.buffer.flush()


@contextmanager
def import_sources(paths: list[Path], fmt: str | None, resume: bool) -> Iterator[list[Path]]:
    """The files to import; `-` is standard input, spooled to a temporary file first (every
    item is checked before anything is sent, which takes two passes)."""
    if not any(is_stdio(p) for p in paths):
        yield paths
        return
    if resume:
        raise UsageError(
            "standard input cannot be resumed", hint="run the import again (puts are idempotent)"
        )
    with tempfile.TemporaryDirectory(prefix="dynaform-import-") as folder:
        spooled = Path(folder) / ("stdin.csv" if fmt == "csv" else "stdin.jsonl")
        with spooled.open("wb") as out:
            shutil.copyfileobj(sys.stdin.buffer, out)
        yield [spooled if is_stdio(p) else p for p in paths]


PROJECT_FILES = {"dynaform.yaml", "dynaform.yml", "dynaform.json"}


def check_export_target(app_state: AppState, path: Path, resume: bool, force: bool) -> None:
    """Never overwrite the project (its file, the files it includes, its .dynaform/ state),
    even with --force; never replace an export without --force or --resume."""
    target = path.expanduser().resolve()
    owned: set[Path] = set()
    if app_state.has_project():
        owned = app_state.project().files()
    state_dir = (app_state.project_dir / ".dynaform").resolve()
    project_like = path.name.lower() in PROJECT_FILES and path.exists()
    if target in owned or project_like or state_dir in target.parents:
        raise UsageError(
            f"{path} belongs to the project; an export never replaces it",
            hint="name another file, e.g. --out items.jsonl",
        )
    if resume or force or not path.exists():
        return
    if path.is_file() or (path.is_dir() and any(path.iterdir())):
        raise UsageError(
            f"{path} already exists; nothing was exported",
            hint="name a new file or folder, pass --resume to continue that export, or --force "
            "to replace it",
        )
