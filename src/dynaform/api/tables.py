"""Tables as code through the one door: plan, apply (saved plans too), prune of owned tables,
destroy, describe and the project's status."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dynaform.api import ownership
from dynaform.api.binding import Binding, Connection, translated
from dynaform.core.live import LiveTable
from dynaform.core.model import TableSpec
from dynaform.core.ownership import holding_name, is_holding_table, owned_by, with_owner
from dynaform.core.planfile import (
    Plan,
    PlanFileError,
    deleted_tables,
    fingerprint,
    from_json,
    make_plan,
)
from dynaform.core.resolve import name_matcher
from dynaform.errors import DynaformError

Report = Callable[[str], None]


def project_hash(binding: Binding) -> str:
    if binding.project is None:
        return ""
    try:
        return hashlib.sha256(binding.project.file.read_bytes()).hexdigest()
    except OSError:
        return ""


def read_live(conn: Connection, names: list[str]) -> dict[str, LiveTable | None]:
    from dynaform.aws.live import read_tables

    return read_tables(conn.client, names, conn.caps, conn.target)


def list_tables(conn: Connection) -> list[str]:
    from dynaform.aws.overview import list_table_names

    return list_table_names(conn.client, conn.target)


def undeclared_tables(binding: Binding, declared: list[TableSpec]) -> list[LiveTable]:
    """Live tables this project owns in its environment that the file no longer declares:
    named by its naming rule *and* marked as its own (owner tag, or the project's record on
    endpoints without tags). Holding tables of a rebuild are never candidates."""
    project, env, conn = binding.project, binding.env, binding.connection()
    assert project is not None and env is not None
    matcher = name_matcher(project.naming(env), project.name, env, project.variable_values(env))
    names = {spec.name for spec in declared}
    candidates = [
        n
        for n in list_tables(conn)
        if matcher.match(n) and n not in names and not is_holding_table(n)
    ]
    if not conn.caps.tags:
        recorded = ownership.owned_tables(binding.project_dir, conn.target, env)
        candidates = [n for n in candidates if n in recorded]
    found = [t for t in read_live(conn, candidates).values() if t is not None]
    if conn.caps.tags:
        found = [t for t in found if owned_by(t.spec, project.name, env)]
    return found


def plan(binding: Binding, *, prune: bool = False, tables: list[str] | None = None) -> Plan:
    """Compare the project's tables in the bound environment with the live ones (reads only)."""
    project, env = binding.project, binding.env
    if project is None or env is None:
        raise DynaformError("planning needs a project file and an environment")
    desired = [with_owner(s, project.name) for s in binding.select(tables)]
    conn = binding.connection()
    names = [s.name for s in desired]
    # One ListTables tells which declared tables have a rebuild's holding table (usually
    # none), instead of a DescribeTable per table for a name that is almost never there.
    present = set(list_tables(conn))
    holds = [holding_name(n) for n in names if holding_name(n) in present]
    live = read_live(conn, names + holds)
    holding = {n: t for n in names if (t := live.pop(holding_name(n), None)) is not None}
    extra = undeclared_tables(binding, desired) if prune and not tables else []
    return make_plan(
        project.name,
        env,
        conn.endpoint_url or conn.target,
        desired,
        live,
        conn.caps,
        extra,
        project_hash(binding),
        holding,
    )


@dataclass
class SavedPlan:
    plan: Plan
    file_changed: bool  # the project file differs from the one the plan was made with


def load_saved(binding: Binding, path: Path) -> SavedPlan:
    """A plan saved with ``plan --out``, checked: unedited (checksum), known operations only,
    made for this project, environment and endpoint, and the live tables unchanged since."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PlanFileError(f"cannot read the saved plan {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise PlanFileError(f"{path} is not a plan file")
    saved = from_json(data, str(path))
    project, env, conn = binding.project, binding.env, binding.connection()
    assert project is not None
    for key, here in (("project", project.name), ("env", env)):
        if getattr(saved, key) != here:
            raise PlanFileError(f"{path} was made for {key} {getattr(saved, key)!r}, not {here!r}")
    if saved.endpoint != (conn.endpoint_url or conn.target):
        raise PlanFileError(f"{path} was made for {saved.endpoint}, not {conn.target}")
    _check_targets(binding, saved, path)
    deleted = deleted_tables(saved.changes)
    if fingerprint(read_live(conn, list(saved.tables)), deleted) != saved.fingerprint:
        raise DynaformError(
            f"the live tables changed since {path} was made",
            hint="run `dynaform plan --out` again and review it; nothing was applied",
        )
    _check_still_empty(conn, saved)
    return SavedPlan(saved, saved.project_hash != project_hash(binding))


def _check_targets(binding: Binding, saved: Plan, path: Path) -> None:
    """Every change names a table the plan looked at; a delete only a table this project owns
    and no longer declares, anything else only a table it declares in this environment."""
    declared = {s.name for s in binding.specs}
    deleted = set(deleted_tables(saved.changes))
    owned = {t.spec.name for t in undeclared_tables(binding, binding.specs)} if deleted else set()
    for change in saved.changes:
        allowed = owned if change.table in deleted else declared
        if change.table not in saved.tables or change.table not in allowed:
            what = (
                "an undeclared table of this project"
                if change.table in deleted
                else (f"a table of {binding.env}")
            )
            raise PlanFileError(f"{path}: {change.table} is not {what}; nothing was applied")


def _check_still_empty(conn: Connection, saved: Plan) -> None:
    """A table the plan showed empty must still be empty (AWS refreshes ItemCount slowly)."""
    for change in saved.changes:
        for op in change.ops:
            if op.type != "delete_table" or op.items:
                continue
            with translated(conn.target):
                found = conn.client.scan(TableName=op.table, Limit=1, Select="COUNT")
            if found.get("Count") or found.get("LastEvaluatedKey"):
                raise DynaformError(
                    f"{op.table} was empty when the plan was made and now holds items; nothing "
                    "was applied",
                    hint="run `dynaform plan --prune --out` again and review it",
                )


def refuse_blocked(planned: Plan, allow_rebuild: bool) -> None:
    """Blocked changes are refused, except TABLE REBUILDs with ``allow_rebuild``; an
    interrupted rebuild is always resumed (its items wait in the holding table)."""
    for change in planned.blocked:
        if change.kind == "table-rebuild" and allow_rebuild:
            continue
        if change.kind == "table-rebuild":
            keys = ", ".join(
                f.field for f in change.fields if "key" in f.field or "local" in f.field
            )
            raise DynaformError(
                f"{change.table}: the plan needs a TABLE REBUILD ({keys}); nothing was changed",
                hint="a rebuild moves every item through a holding table into the table as "
                "declared; allow it with --allow-rebuild, or change the file back",
            )
        raise DynaformError(
            f"{change.table}: {change.kind} refused: {change.blocked}",
            hint="change the file back, or see docs/tables-as-code.md",
        )


def apply(
    binding: Binding,
    planned: Plan,
    *,
    timeout: float = 1800.0,
    wait: bool = True,
    allow_rebuild: bool = False,
    rejects: Path | None = None,
    report: Report | None = None,
) -> Any:
    """Run a plan's operations: rebuilds through the data plane (item counts verified at each
    stage, resumable), then every step in order; records what the project now owns."""
    from dynaform.aws.execute import ApplyResult, Runner

    refuse_blocked(planned, allow_rebuild)
    conn = binding.connection()
    poll = 0.2 if conn.caps.engine != "aws" else 2.0
    runner = Runner(conn.client, conn.target, timeout=timeout, poll=poll, report=report)
    rebuilds = [c for c in planned.changes if c.kind == "table-rebuild"]
    began = time.monotonic()
    with translated(conn.target):
        if rebuilds:
            from dynaform.data.rebuild import rebuild

            for change in rebuilds:
                where = rejects or Path(f"{change.table}.rebuild-rejects.jsonl")
                rebuild(
                    conn.client,
                    conn.wire(),
                    change,
                    runner,
                    conn.caps,
                    report=report or (lambda _m: None),
                    rejects=where,
                    timeout=timeout,
                )
        result: ApplyResult = runner.run(planned.steps, wait=wait)
        _remember(binding, planned)
    result.done += len(rebuilds)
    result.total += len(rebuilds)
    result.seconds = time.monotonic() - began
    return result


def _remember(binding: Binding, planned: Plan) -> None:
    """On endpoints without tags, record the declared tables as this project's own."""
    conn = binding.connection()
    if conn.caps.tags or binding.env is None:
        return
    declared = [c.table for c in planned.changes if c.kind != "delete"]
    declared += list(planned.diff.unchanged)
    deleted = [c.table for c in planned.changes if c.kind == "delete" and not c.blocked]
    ownership.remember(binding.project_dir, conn.target, binding.env, declared)
    ownership.forget(binding.project_dir, conn.target, deleted)


def destroy_targets(binding: Binding, tables: list[str] | None) -> list[LiveTable]:
    """The project's tables in the bound environment that exist, with their item counts."""
    specs = binding.select(tables)
    found = read_live(binding.connection(), [s.name for s in specs])
    return [t for t in found.values() if t is not None]


def destroy(binding: Binding, found: list[LiveTable], report: Report) -> None:
    """Delete tables (confirmation is the caller's, decided from ``binding.protection``)."""
    from dynaform.aws.execute import Runner

    locked = [t.spec.name for t in found if t.spec.deletion_protection]
    if locked:
        raise DynaformError(
            f"deletion protection is on for {', '.join(locked)}; nothing was deleted",
            hint="set `deletion_protection: false` for it in dynaform.yaml and run "
            "`dynaform apply`, then destroy",
        )
    conn = binding.connection()
    poll = 0.2 if conn.caps.engine != "aws" else 2.0
    runner = Runner(conn.client, conn.target, timeout=600, poll=poll)
    for table in found:
        with translated(conn.target):
            conn.client.delete_table(TableName=table.spec.name)
        runner.wait_gone(table.spec.name, time.monotonic() + 600)
        if not conn.caps.tags:
            ownership.forget(binding.project_dir, conn.target, [table.spec.name])
        report(f"deleted {table.spec.name}")
