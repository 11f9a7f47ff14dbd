"""Checkpoint files: JSON written whole under a temporary name, then renamed, so a reader
(a resumed run) sees the old state or the new one, never half of one."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import orjson

from dynaform.data.errors import DataError


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (where the platform allows it)."""
    with contextlib.suppress(OSError):
        handle = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


def save(path: Path, data: Any, *, durable: bool = False) -> None:
    """Replace ``path`` with ``data`` as JSON in one step; ``durable`` also syncs it to disk."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as out:
        out.write(orjson.dumps(data, option=orjson.OPT_INDENT_2))
        if durable:
            out.flush()
            os.fsync(out.fileno())
    tmp.replace(path)
    if durable:
        fsync_dir(path.parent)


def load(path: Path, what: str) -> dict[str, Any]:
    """A checkpoint written by ``save``; ``what`` names the command for the hint."""
    if not path.exists():
        raise DataError(
            f"nothing to resume: {path} does not exist", hint=f"run the {what} without --resume"
        )
    try:
        data = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise DataError(
            f"{path} is not a checkpoint dynaform wrote ({exc})",
            hint=f"delete it and run the {what} again without --resume",
        ) from exc
    if not isinstance(data, dict):
        raise DataError(f"{path} is not a checkpoint dynaform wrote")
    return data


def refuse_unfinished(path: Path, what: str) -> None:
    """A fresh run must not overwrite the record of an unfinished one."""
    if path.exists():
        raise DataError(
            f"an unfinished {what} is recorded in {path}",
            hint="continue it with --resume, or delete that file",
        )
