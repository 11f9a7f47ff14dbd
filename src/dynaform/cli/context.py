"""What every command gets from the global options: settings, project dir, output mode."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import typer

from dynaform.cli.output import say
from dynaform.errors import ConfigError
from dynaform.local import engine
from dynaform.local.paths import find_project_dir, local_state_dir
from dynaform.settings import Flags, Settings, resolve_settings


@dataclass
class AppState:
    flags: Flags
    project_file: Path | None
    json: bool
    yes: bool
    verbose: bool

    def settings(self) -> Settings:
        return resolve_settings(self.flags, os.environ)

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
        current = engine.status(self.state_dir)
        if current.running and current.record is not None:
            return current.record.endpoint_url
        say("starting the local engine (dynaform local start) …")
        started = engine.start(self.state_dir, port=default_port(), report=say)
        return started.record.endpoint_url


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
