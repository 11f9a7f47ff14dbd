"""What every command gets from the global options: settings, project dir, output mode."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import typer

from dynaform.api import Connection, connect, local_endpoint
from dynaform.cli.output import say
from dynaform.core.load import Project, find_project_file, load_project
from dynaform.errors import ConfigError
from dynaform.local import engine
from dynaform.local.paths import find_project_dir, local_state_dir
from dynaform.settings import Flags, Settings, Target, resolve_settings


@dataclass
class AppState:
    flags: Flags
    project_file: Path | None
    json: bool
    yes: bool
    verbose: bool
    env_flag: str | None = None
    _project: Project | None = field(default=None, repr=False)

    def project(self) -> Project:
        """The project file, loaded and validated once per command."""
        if self._project is None:
            self._project = load_project(find_project_file(Path.cwd(), self.project_file))
        return self._project

    def has_project(self) -> bool:
        try:
            find_project_file(Path.cwd(), self.project_file)
        except ConfigError:
            return False
        return True

    def env(self, project: Project) -> str:
        return project.select_environment(self.env_flag, os.environ)

    def connect(self, project: Project, env: str) -> Connection:
        return connect(project, env, self.flags, local_port=default_port(), report=say)

    def settings(self, target: Target | None = None) -> Settings:
        return resolve_settings(self.flags, os.environ, target)

    def optional_project(self) -> tuple[Project | None, str | None]:
        """The project and environment when there is a project file; the environment is None
        when it cannot be chosen (several and none named)."""
        if not self.has_project():
            if self.env_flag:
                raise ConfigError(
                    f"-e {self.env_flag} names an environment, but there is no dynaform.yaml "
                    "here or in a parent folder",
                    hint="pass -f PATH to the project file, or drop -e",
                )
            return None, None
        project = self.project()
        try:
            return project, self.env(project)
        except ConfigError as exc:
            say(f"[dim]{exc.message}; {exc.hint}[/]")
            return project, None

    @property
    def project_dir(self) -> Path:
        return find_project_dir(Path.cwd(), self.project_file)

    @property
    def state_dir(self) -> Path:
        return local_state_dir(self.project_dir)

    def endpoint_url(self, settings: Settings) -> str | None:
        """The endpoint to call; for the managed engine, start it first when it is down."""
        if not settings.use_local_engine:
            return settings.endpoint_url
        return local_endpoint(self.project_dir, default_port(), report=say)


def default_port() -> int:
    raw = os.environ.get("DYNAFORM_LOCAL_PORT", "")
    if not raw:
        return engine.DEFAULT_PORT
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ConfigError(
            f"DYNAFORM_LOCAL_PORT={raw!r} is not a port number", hint="use a number like 8000"
        )
    return int(raw)


def state(ctx: typer.Context) -> AppState:
    obj = ctx.find_root().obj
    assert isinstance(obj, AppState)
    return obj
