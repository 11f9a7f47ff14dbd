"""Binding a project to one environment, once: tables, physical names, protection, final
settings with the resolved endpoint (the local engine's included), and the connection.

Everything the CLI (or a script) does against DynamoDB starts from a ``Binding``. botocore
errors are translated to ``DynaformError`` here, at the boundary (``translated``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dynaform.core.capabilities import Capabilities
from dynaform.core.load import Project
from dynaform.core.model import TableSpec
from dynaform.errors import ConfigError, DynaformError
from dynaform.settings import Flags, Settings, resolve_settings

if TYPE_CHECKING:
    from dynaform.data.wire import WireClient

Report = Callable[[str], None]
DEFAULT_PORT = 8000


@contextmanager
def translated(target: str) -> Iterator[None]:
    """dynaform's own errors pass through; anything botocore raises becomes one sentence."""
    try:
        yield
    except DynaformError:
        raise
    except Exception as exc:
        from dynaform.aws.client import translate_error

        raise translate_error(exc, target) from exc


def translate(exc: Exception, target: str = "the endpoint") -> DynaformError:
    """Any exception as one sentence: botocore's translated, anything else "unexpected"."""
    from botocore.exceptions import BotoCoreError, ClientError

    from dynaform.aws.client import translate_error

    if isinstance(exc, DynaformError | ClientError | BotoCoreError):
        return translate_error(exc, target)
    return DynaformError(
        f"unexpected {type(exc).__name__}: {exc}",
        hint="run again with -v for the traceback, and report it",
    )


@dataclass
class Connection:
    settings: Settings
    endpoint_url: str | None
    client: Any  # a botocore DynamoDB client
    caps: Capabilities

    @property
    def target(self) -> str:
        return (
            self.endpoint_url
            or self.settings.endpoint_url
            or (f"DynamoDB in {self.settings.region}")
        )

    def wire(self) -> WireClient:
        """The data plane's lean client on the same endpoint and credentials."""
        from dynaform.data.wire import WireClient

        return WireClient(self.settings, self.endpoint_url, client=self.client)


def local_endpoint(
    project_dir: Path, port: int = DEFAULT_PORT, report: Report | None = None
) -> str:
    """The managed engine's URL (see ``dynaform.local.managed``)."""
    from dynaform.local.managed import managed_endpoint

    return managed_endpoint(project_dir, port, report)


def connect_settings(settings: Settings, endpoint_url: str | None) -> Connection:
    from dynaform.aws.capabilities import detect
    from dynaform.aws.client import dynamodb_client, where

    client = dynamodb_client(settings, endpoint_url)
    with translated(where(settings, endpoint_url)):
        return Connection(settings, endpoint_url, client, detect(client, endpoint_url))


@dataclass(frozen=True)
class Protection:
    """The protected environment a set of physical tables belongs to."""

    env: str
    tables: tuple[str, ...]


@dataclass
class Binding:
    """A project (or none: a bare endpoint) bound to one environment."""

    settings: Settings
    project: Project | None = None
    env: str | None = None
    project_dir: Path = field(default_factory=Path.cwd)
    local_port: int = DEFAULT_PORT
    report: Report | None = None
    _conn: Connection | None = field(default=None, repr=False)
    _specs: list[TableSpec] | None = field(default=None, repr=False)

    @property
    def specs(self) -> list[TableSpec]:
        """The project's tables as resolved for this environment (validated once)."""
        if self._specs is None:
            has_env = self.project is not None and self.env is not None
            self._specs = self.project.resolve(self.env) if has_env else []  # type: ignore[union-attr,arg-type]
            for note in self.project.notes if self.project is not None else []:
                if self.report is not None:
                    self.report(f"[dim]note: {note}[/]")
        return self._specs

    @property
    def endpoint_url(self) -> str | None:
        """The endpoint to call; for the managed engine, started first when it is down."""
        if not self.settings.use_local_engine:
            return self.settings.endpoint_url
        return local_endpoint(self.project_dir, self.local_port, self.report)

    def connection(self) -> Connection:
        if self._conn is None:
            self.specs  # noqa: B018 - validate before connecting: an invalid file sends nothing
            self._conn = connect_settings(self.settings, self.endpoint_url)
        return self._conn

    def wire(self) -> WireClient:
        return self.connection().wire()

    def spec(self, name: str) -> TableSpec | None:
        """The declared table named by its logical or its physical name."""
        return next((s for s in self.specs if name in (s.logical_name, s.name)), None)

    def physical(self, name: str) -> str:
        """A logical name of this environment -> its physical name; anything else as given."""
        found = self.spec(name)
        return found.name if found is not None else name

    def select(self, names: list[str] | None) -> list[TableSpec]:
        """The declared tables named (all when none), refusing names the project lacks."""
        if not names:
            return list(self.specs)
        known = {s.logical_name for s in self.specs} | {s.name for s in self.specs}
        unknown = sorted(set(names) - known)
        if unknown:
            raise DynaformError(
                f"no table {unknown[0]!r} in the project",
                hint="use a logical name from `tables:` or a physical name",
            )
        return [s for s in self.specs if s.logical_name in names or s.name in names]

    def protection(
        self, physical: list[str] | tuple[str, ...], *, of_this_env: bool = False
    ) -> Protection | None:
        """Protection follows the table: the protected environment of this project whose
        tables include any of ``physical``, whichever environment or name was used.
        ``of_this_env`` says the tables belong to the bound environment even when it no longer
        declares them (a prune deletes those)."""
        if self.project is None or not physical:
            return None
        if of_this_env and self.env and self.project.environment(self.env).protected:
            return Protection(self.env, tuple(physical))
        for env in self.project.environment_names:
            if not self.project.environment(env).protected:
                continue
            try:
                owned = {s.name for s in self.project.resolve(env)}
            except ConfigError:
                continue  # an environment that does not resolve declares no table
            hit = tuple(name for name in physical if name in owned)
            if hit:
                return Protection(env, hit)
        return None


def bind(
    project: Project | None,
    env: str | None,
    flags: Flags | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    variables: Mapping[str, str] | None = None,
    project_dir: Path | None = None,
    local_port: int = DEFAULT_PORT,
    report: Report | None = None,
) -> Binding:
    """Settings for ``env`` (flags > environment variables > the environment's target)."""
    """``variables`` are ``--var`` values; ``$DYNAFORM_VAR_*`` come from ``environ``."""
    target = project.target(env) if project is not None and env is not None else None
    environ = os.environ if environ is None else environ
    settings = resolve_settings(flags or Flags(), environ, target)
    if project is not None and variables is not None:
        project.use_vars(variables, environ)
    directory = project_dir or (project.directory if project is not None else Path.cwd())
    return Binding(settings, project, env, directory, local_port, report)
