"""What every command gets from the global options: the project, the environment, the binding
(through ``dynaform.api``, the only door to DynamoDB) and the output mode.

Imports of the API, pydantic and botocore happen inside the methods, so `dynaform --help`
loads none of them.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from dynaform.cli.output import say
from dynaform.errors import ConfigError, DynaformError, UsageError
from dynaform.settings import Flags

if TYPE_CHECKING:
    from dynaform.api import Binding, Protection
    from dynaform.core.load import Project

DEFAULT_PORT = 8000


@dataclass
class AppState:
    flags: Flags
    project_file: Path | None
    json: bool
    yes: bool
    verbose: bool
    env_flag: str | None = None
    var_flags: dict[str, str] = field(default_factory=dict)  # --var NAME=VALUE
    _project: Project | None = field(default=None, repr=False)

    def project(self) -> Project:
        """The project file, loaded and validated once per command."""
        from dynaform.core.load import find_project_file, load_project

        if self._project is None:
            self._project = load_project(find_project_file(Path.cwd(), self.project_file))
            self._project.use_vars(self.var_flags, os.environ)
        return self._project

    def has_project(self) -> bool:
        from dynaform.core.load import find_project_file

        try:
            find_project_file(Path.cwd(), self.project_file)
        except ConfigError:
            return False
        return True

    def env(self, project: Project) -> str:
        return project.select_environment(self.env_flag, os.environ)

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

    def bind(
        self,
        *,
        project: bool = True,
        env: str | None = None,
        bare: bool = False,
        flags: Flags | None = None,
    ) -> Binding:
        """The binding every command talks to DynamoDB through. With ``project=False`` a
        project file is used when there is one (and an environment can be chosen), else the
        flags and environment variables alone; ``bare`` ignores any project file."""
        from dynaform import api

        chosen: Project | None = None
        name: str | None = None
        if bare:
            pass
        elif project:
            chosen = self.project()
            name = self.env(chosen) if env is None else env
        else:
            chosen, name = self.optional_project()
        if chosen is not None and env is not None:
            name = chosen.select_environment(env, {})
        if chosen is not None and name is None:
            chosen = None
        return api.bind(
            chosen,
            name,
            flags or self.flags,
            variables=self.var_flags,
            project_dir=self.project_dir,
            local_port=default_port(),
            report=say,
        )

    @property
    def project_dir(self) -> Path:
        from dynaform.local.paths import find_project_dir

        return find_project_dir(Path.cwd(), self.project_file)

    @property
    def state_dir(self) -> Path:
        from dynaform.local.paths import local_state_dir

        return local_state_dir(self.project_dir)


def default_port() -> int:
    raw = os.environ.get("DYNAFORM_LOCAL_PORT", "")
    if not raw:
        return DEFAULT_PORT
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise UsageError(
            f"DYNAFORM_LOCAL_PORT={raw!r} is not a port number",
            hint="use a number from 1 to 65535, like 8000",
        )
    return int(raw)


def state(ctx: typer.Context) -> AppState:
    obj = ctx.find_root().obj
    assert isinstance(obj, AppState)
    return obj


def confirm(app: AppState, question: str, yes: bool = False) -> None:
    """An ordinary yes/no confirmation (skipped with --yes)."""
    if yes or app.yes:
        return
    if not sys.stdin.isatty():
        raise UsageError(
            "this needs confirmation and there is no terminal to ask on",
            hint="pass --yes to confirm",
        )
    typer.confirm(question, abort=True, err=True)


def confirm_protected(
    binding: Binding,
    tables: list[str],
    action: str,
    *,
    force: bool,
    typed: str | None,
    of_this_env: bool = False,
) -> Protection | None:
    """Protection follows the physical table: when any of ``tables`` belongs to a protected
    environment of the project (whatever environment or name was used), the user must pass
    --force and type the environment's name, or pass --confirm ENV in scripts."""
    protection = binding.protection(tables, of_this_env=of_this_env)
    if protection is None:
        return None
    env = protection.env
    where = f"{', '.join(protection.tables)} belongs to the protected environment {env}"
    if typed is not None:
        if typed != env:
            raise UsageError(f"--confirm {typed!r} does not match: {where}; nothing was done")
        return protection
    if not force:
        raise UsageError(
            f"{where}; {action} is refused",
            hint=f"pass --force and type {env} when asked, or --confirm {env} in scripts",
        )
    if not sys.stdin.isatty():
        raise UsageError(
            f"{where} and there is no terminal to type its name on",
            hint=f"pass --confirm {env} to confirm in a script",
        )
    answer = typer.prompt(f"{where}. Type {env} to {action}", err=True)
    if answer.strip() != env:
        raise DynaformError("the name did not match; nothing was done")
    return protection
