"""Data migrations through the one door: the bound environment's control table
(``{project}-{env}-dynaform``), its migrations folder, its physical names, an entities store
for ``m.store``, and the check ``requires = "apply"`` needs (``plan`` shows no changes)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dynaform.api.binding import Binding, Protection, translated
from dynaform.core.ownership import control_table_name
from dynaform.errors import ConfigError, DynaformError
from dynaform.migrate.context import Options

__all__ = ["Options", "control_table_name", "environment", "history", "new", "pending_note"]

if TYPE_CHECKING:
    from dynaform.migrate import Environment, Outcome, Reporter, Status

WRITE_CALLS = {
    "put_item",
    "update_item",
    "delete_item",
    "batch_write_item",
    "transact_write_items",
}


def _project(binding: Binding) -> tuple[Any, str]:
    if binding.project is None or binding.env is None:
        raise ConfigError(
            "migrations need a project file and an environment",
            hint="run in the project's folder (or pass -f dynaform.yaml) and choose -e ENV",
        )
    return binding.project, binding.env


def folder(binding: Binding) -> Path:
    project, _env = _project(binding)
    return Path(project.directory) / str(project.raw.migrations)


def _physical(binding: Binding) -> Any:
    def physical(name: str) -> str:
        return binding.select([name])[0].name

    return physical


class _DryRunClient:
    """A botocore client whose writes are only reported (``m.store`` in a dry run)."""

    def __init__(self, client: Any, report: Any) -> None:
        self._client = client
        self._report = report
        self.meta = client.meta

    def __getattr__(self, name: str) -> Any:
        if name not in WRITE_CALLS:
            return getattr(self._client, name)

        def skipped(**params: Any) -> dict[str, Any]:
            table = params.get("TableName") or ", ".join(params.get("RequestItems", {}))
            self._report(f"dry run: {name} on {table or 'a transaction'} not sent")
            return {"UnprocessedItems": {}} if name == "batch_write_item" else {}

        return skipped


def _store_factory(binding: Binding, report: Any) -> Any:
    def make(dry_run: bool) -> Any:
        from dynaform.entities import Store

        client = binding.connection().client
        tables = {s.logical_name: s.name for s in binding.specs}
        key = os.environ.get("DYNAFORM_CURSOR_KEY") or os.urandom(32)  # cursors die with the run
        if dry_run:
            return Store(_DryRunClient(client, report), tables=tables, cursor_key=key)
        return Store(client, tables=tables, cursor_key=key, wire=binding.wire())

    return make


def _tables_match(binding: Binding) -> Any:
    def check() -> str | None:
        from dynaform.api.tables import plan

        planned = plan(binding)
        if not planned.has_changes:
            return None
        return ", ".join(sorted({c.table for c in planned.changes}))

    return check


def identity(binding: Binding) -> str:
    """``user@host pid N``, and the AWS caller's ARN against AWS (best effort)."""
    from dynaform.migrate import who_am_i
    from dynaform.settings import is_loopback_url

    who = who_am_i()
    endpoint = binding.connection().endpoint_url
    if endpoint and (is_loopback_url(endpoint) or "amazonaws" not in endpoint):
        return who
    try:
        from dynaform.aws.client import make_session

        sts = make_session(binding.settings).create_client(
            "sts", region_name=binding.settings.region
        )
        return f"{sts.get_caller_identity()['Arn']} ({who})"
    except Exception:
        return who


def environment(binding: Binding, report: Any = None) -> Environment:
    from dynaform.migrate import Environment

    project, env = _project(binding)
    name = control_table_name(project.name, env)
    if any(s.name == name for s in binding.specs):
        raise ConfigError(
            f"the table {name} is declared in dynaform.yaml, but it is the name of the "
            "migrations' control table",
            hint="rename that table",
        )
    say = report or (lambda text: None)
    with translated(binding.connection().target):
        wire = binding.wire()
    return Environment(
        project=project.name,
        env=env,
        control_table=name,
        folder=folder(binding),
        project_dir=Path(project.directory),
        wire=wire,
        physical=_physical(binding),
        who=identity(binding),
        store=_store_factory(binding, say),
        tables_match=_tables_match(binding),
    )


def protection(binding: Binding) -> Protection | None:
    """A migration may write any table of the environment: protected with the environment."""
    names = [s.name for s in binding.specs]
    return binding.protection(names or [control_table_name(*_names(binding))], of_this_env=True)


def _names(binding: Binding) -> tuple[str, str]:
    project, env = _project(binding)
    return project.name, env


def status(binding: Binding) -> Status:
    from dynaform import migrate

    env = environment(binding)
    with translated(binding.connection().target):
        return migrate.status(env)


def up(binding: Binding, options: Options, reporter: Reporter) -> list[Outcome]:
    from dynaform import migrate

    env = environment(binding, reporter.message)
    with translated(binding.connection().target):
        return migrate.up(env, options, reporter)


def to_run(binding: Binding, options: Options) -> list[Any]:
    """The migrations ``up`` would run (refusing edited applied ones, as ``up`` does)."""
    from dynaform.migrate.run import selected

    return selected(status(binding), options)


def history(binding: Binding) -> list[dict[str, Any]]:
    from dynaform.migrate import ControlTable

    env = environment(binding)
    with translated(binding.connection().target):
        return ControlTable(env.wire, env.control_table).history()


def unlock(binding: Binding) -> Any:
    """The removed lock's holder (None: there was no lock); refused while it is alive."""
    from dynaform import migrate

    env = environment(binding)
    with translated(binding.connection().target):
        control = migrate.ControlTable(env.wire, env.control_table)
        item = control.get("lock", "lock") if control.exists() else None
        gone = bool(item) and migrate.holder_is_gone(str(item.get("who", ""))) is True  # type: ignore[union-attr]
        return migrate.unlock(env, gone=gone)


def new(binding: Binding, name: str) -> Path:
    from dynaform.migrate import new_file

    return new_file(folder(binding), name)


def pending_note(binding: Binding, *, always: bool = False) -> str | None:
    """One line for `plan`, `apply` and `status` when the project has migrations: pending
    ones (``always``: also when none is, naming the control table). Never fails a command."""
    from dynaform import migrate

    try:
        if binding.project is None or binding.env is None:
            return None
        if not migrate.discover(folder(binding)):
            return None
        current = status(binding)
    except DynaformError:
        return None
    waiting = current.pending
    where = current.control_table + ("" if current.exists else ", created by the first run")
    if not waiting:
        return f"migrations: all applied in {binding.env} ({where})" if always else None
    ids = ", ".join(e.id for e in waiting[:3]) + (" …" if len(waiting) > 3 else "")
    return (
        f"migrations: {len(waiting)} pending in {binding.env}: {ids} ({where}; dynaform migrate up)"
    )
