"""A store bound to the project file: ``Store.from_project()``.

Finds ``dynaform.yaml`` as the CLI does (the given path, else upwards from the working
directory), chooses the environment (``env``, else ``$DYNAFORM_ENV``, else ``default_env``,
else the only one), resolves the settings (endpoint, region, profile, credentials: keyword
arguments > environment variables > the environment's target), starts the managed local
engine when the target is ``local`` and it is down, maps logical to physical table names, and
takes the cursor key from ``cursor_key`` or ``DYNAFORM_CURSOR_KEY``.

Built on the core (project model, resolution) and the local engine's lifecycle only, so the
entity layer stays below the API: the same rules as ``dynaform.api.bind`` because they are the
same functions (``Project.select_environment``, ``Project.target``, ``resolve_settings``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dynaform.core.load import Project, find_project_file, load_project
from dynaform.entities.cursor import KEY_ENV
from dynaform.errors import ConfigError
from dynaform.settings import Flags, Settings, resolve_settings

if TYPE_CHECKING:
    from dynaform.entities.store import Store

DEFAULT_LOCAL_PORT = 8000


@dataclass(frozen=True)
class ProjectBinding:
    """What a store needs from the project file for one environment."""

    project: Project
    env: str
    settings: Settings
    tables: dict[str, str]  # logical -> physical
    endpoint_url: str | None


def bind_project(
    path: str | Path | None = None,
    env: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    endpoint_url: str | None = None,
    region: str | None = None,
    profile: str | None = None,
    local: bool = False,
) -> ProjectBinding:
    """The project, environment, settings and table names, the managed engine started when
    the environment's target is ``local`` (and no endpoint was given)."""
    environ = os.environ if environ is None else environ
    given = None if path is None else Path(path)
    project = load_project(find_project_file(Path.cwd(), given))
    project.use_vars({}, environ)  # $DYNAFORM_VAR_* as on the command line
    name = project.select_environment(env, environ)
    flags = Flags(endpoint_url=endpoint_url, region=region, profile=profile, local=local)
    settings = resolve_settings(flags, environ, project.target(name))
    tables = {spec.logical_name: spec.name for spec in project.resolve(name)}
    endpoint = settings.endpoint_url
    if settings.use_local_engine:
        endpoint = _local_endpoint(project.directory, environ)
    return ProjectBinding(project, name, settings, tables, endpoint)


def _local_endpoint(project_dir: Path, environ: Mapping[str, str]) -> str:
    """The managed engine's URL, found or started as the CLI does (``local.managed``)."""
    from dynaform.local.managed import managed_endpoint

    raw = environ.get("DYNAFORM_LOCAL_PORT", "")
    if raw and not (raw.isdigit() and 0 < int(raw) < 65536):
        raise ConfigError(f"DYNAFORM_LOCAL_PORT={raw!r} is not a port number")
    return managed_endpoint(project_dir, int(raw) if raw else DEFAULT_LOCAL_PORT)


def store_from_project(
    path: str | Path | None = None,
    env: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    endpoint_url: str | None = None,
    region: str | None = None,
    profile: str | None = None,
    local: bool = False,
    cursor_key: bytes | str | None = None,
    **store_options: Any,
) -> Store:
    """``Store.from_project()``: a store on the project's environment (see the module)."""
    from dynaform.entities.store import Store

    environ = os.environ if environ is None else environ
    bound = bind_project(
        path,
        env,
        environ=environ,
        endpoint_url=endpoint_url,
        region=region,
        profile=profile,
        local=local,
    )
    if cursor_key is None and environ.get(KEY_ENV):
        cursor_key = environ[KEY_ENV]
    return Store.connect(
        bound.settings,
        bound.endpoint_url,
        tables=bound.tables,
        cursor_key=cursor_key,
        **store_options,
    )
