"""The Python API, mirroring the CLI: ``load_project``, ``plan``, ``apply``.

from dynaform.api import load_project, connect, plan, apply
project = load_project("dynaform.yaml")
conn = connect(project, "dev")
result = plan(project, "dev", conn)
if result.has_changes:
    apply(conn, result)
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from dynaform.aws.capabilities import detect
from dynaform.aws.client import DynamoDBClient, dynamodb_client, translate_error, where
from dynaform.aws.execute import ApplyResult, Runner
from dynaform.aws.live import read_tables
from dynaform.aws.overview import list_table_names
from dynaform.core.capabilities import Capabilities
from dynaform.core.live import LiveTable
from dynaform.core.load import Project
from dynaform.core.load import load_project as _load_project
from dynaform.core.model import TableSpec
from dynaform.core.planfile import Plan, make_plan
from dynaform.core.resolve import name_matcher
from dynaform.errors import DynaformError
from dynaform.local import engine
from dynaform.local.paths import local_state_dir
from dynaform.settings import Flags, Settings, resolve_settings

Report = Callable[[str], None]


@dataclass
class Connection:
    settings: Settings
    endpoint_url: str | None
    client: DynamoDBClient
    caps: Capabilities

    @property
    def target(self) -> str:
        return where(self.settings, self.endpoint_url)


def load_project(path: str | Path) -> Project:
    return _load_project(Path(path))


def local_endpoint(
    project_dir: Path, port: int = engine.DEFAULT_PORT, report: Report | None = None
) -> str:
    """The managed engine's URL, starting it when it is down."""
    state_dir = local_state_dir(project_dir)
    current = engine.status(state_dir)
    if current.running and current.record is not None:
        return current.record.endpoint_url
    if report:
        report("starting the local engine (dynaform local start) …")
    return engine.start(state_dir, port=port, report=report).record.endpoint_url


def connect_settings(settings: Settings, endpoint_url: str | None) -> Connection:
    client = dynamodb_client(settings, endpoint_url)
    return Connection(settings, endpoint_url, client, detect(client, endpoint_url))


def connect(
    project: Project,
    env: str,
    flags: Flags | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    local_port: int = engine.DEFAULT_PORT,
    report: Report | None = None,
) -> Connection:
    """Settings for ``env`` (flags > environment variables > the environment's target)."""
    settings = resolve_settings(
        flags or Flags(), os.environ if environ is None else environ, project.target(env)
    )
    endpoint = settings.endpoint_url
    if settings.use_local_engine:
        endpoint = local_endpoint(project.directory, local_port, report)
    return connect_settings(settings, endpoint)


def undeclared_tables(
    conn: Connection, project: Project, env: str, declared: list[TableSpec]
) -> list[LiveTable]:
    """Live tables this project manages in ``env`` (by its naming rule, and by the environment
    tag where the endpoint has tags) that the file no longer declares."""
    matcher = name_matcher(project.naming(env), project.name, env)
    names = {spec.name for spec in declared}
    candidates = [
        n for n in list_table_names(conn.client, conn.target) if matcher.match(n) and n not in names
    ]
    found = read_tables(conn.client, candidates, conn.caps, conn.target)
    tables = [t for t in found.values() if t is not None]
    if conn.caps.tags:
        tables = [t for t in tables if t.spec.tags.get("environment") == env]
    return tables


def plan(
    project: Project,
    env: str,
    conn: Connection,
    *,
    prune: bool = False,
    tables: list[str] | None = None,
) -> Plan:
    """Compare the project's tables in ``env`` with the live ones (reads only)."""
    desired = project.resolve(env)
    if tables:
        unknown = sorted(
            set(tables) - {s.logical_name for s in desired} - {s.name for s in desired}
        )
        if unknown:
            raise DynaformError(
                f"no table {unknown[0]!r} in the project",
                hint="use a logical name from `tables:` or a physical name",
            )
        desired = [s for s in desired if s.logical_name in tables or s.name in tables]
    live = read_tables(conn.client, [s.name for s in desired], conn.caps, conn.target)
    extra = undeclared_tables(conn, project, env, desired) if prune and not tables else []
    return make_plan(
        project.name, env, conn.endpoint_url or conn.target, desired, live, conn.caps, extra
    )


def apply(
    conn: Connection,
    planned: Plan,
    *,
    timeout: float = 1800.0,
    wait: bool = True,
    allow_rebuild: bool = False,
    rejects: Path | None = None,
    report: Report | None = None,
) -> ApplyResult:
    """Run a plan's steps. Blocked changes are refused, except TABLE REBUILDs with
    ``allow_rebuild`` (done through the data plane, item counts verified at each stage)."""
    rebuilds = [c for c in planned.blocked if c.kind == "table-rebuild"]
    refused = [c for c in planned.blocked if c.kind != "table-rebuild" or not allow_rebuild]
    if refused:
        first = refused[0]
        raise DynaformError(
            f"{first.table}: {first.kind} refused: {first.blocked}",
            hint="change the file back, or see docs/tables-as-code.md",
        )
    poll = 0.2 if conn.caps.engine != "aws" else 2.0
    say = report or (lambda _message: None)
    runner = Runner(conn.client, conn.target, timeout=timeout, poll=poll, report=report)
    began = time.monotonic()
    try:
        if rebuilds:
            from dynaform.data.rebuild import rebuild
            from dynaform.data.wire import WireClient

            wire = WireClient(conn.settings, conn.endpoint_url, client=conn.client)
            for change in rebuilds:
                rebuild(
                    conn.client,
                    wire,
                    change,
                    runner,
                    conn.caps,
                    report=say,
                    rejects=rejects or Path(f"{change.table}.rebuild-rejects.jsonl"),
                    timeout=timeout,
                )
        result = runner.run(planned.steps, wait=wait)
    except DynaformError:
        raise
    except Exception as exc:
        raise translate_error(exc, conn.target) from exc
    result.done += len(rebuilds)
    result.total += len(rebuilds)
    result.seconds = time.monotonic() - began
    return result
