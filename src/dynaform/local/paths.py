"""Where dynaform keeps things on disk: the shared install cache and the per-project state."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import platformdirs

from dynaform.core.names import PROJECT_FILE_NAMES


def dynaform_home(environ: Mapping[str, str] | None = None) -> Path:
    """The cache shared by all projects: ``$DYNAFORM_HOME``, else the user cache dir."""
    env = os.environ if environ is None else environ
    configured = env.get("DYNAFORM_HOME")
    if configured:
        return Path(configured).expanduser()
    return Path(platformdirs.user_cache_dir("dynaform"))


def find_project_dir(start: Path, project_file: Path | None = None) -> Path:
    """The project's directory: that of ``-f FILE``, else the nearest parent with a project file,
    else ``start`` itself (so `local start` works before a project file exists)."""
    if project_file is not None:
        return project_file.expanduser().resolve().parent
    here = start.resolve()
    for directory in (here, *here.parents):
        if any((directory / name).is_file() for name in PROJECT_FILE_NAMES):
            return directory
    return here


def local_state_dir(project_dir: Path) -> Path:
    """Per-project state of the local engine: data, pid record and log."""
    return project_dir / ".dynaform" / "local"
