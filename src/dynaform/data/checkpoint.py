"""Checkpoint files: JSON written whole under a temporary name, then renamed, so a reader
(a resumed run) sees the old state or the new one, never half of one."""

from __future__ import annotations

import contextlib
import os
import uuid
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


def create(path: Path, data: Any, what: str) -> None:
    """Write a new run's first checkpoint, which must not exist: two runs started at once
    into the same output (each found none a moment before) are told apart, one refused.
    Written whole under a name of its own, then linked into place (atomic, exclusive)."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    with tmp.open("wb") as out:
        out.write(orjson.dumps(data, option=orjson.OPT_INDENT_2))
        out.flush()
        os.fsync(out.fileno())
    try:
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise DataError(
                f"another {what} started writing here at the same moment ({path} appeared)",
                hint="run one process per output (with --worker, each machine its own i/n)",
            ) from None
        except OSError:  # no hard links on this file system: the check, then the rename
            refuse_unfinished(path, what)
            tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
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
