"""``plan``, ``apply``, ``destroy`` and ``describe``: tables as code."""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from dynaform import api
from dynaform.aws.client import translate_error
from dynaform.aws.execute import Runner, describe_progress
from dynaform.aws.live import read_table
from dynaform.cli.context import AppState, state
from dynaform.cli.output import err, human_bytes, out, print_json, say
from dynaform.core.diff import billing_text, gsi_text, sse_text
from dynaform.core.planfile import Plan, steps_from_json, to_json
from dynaform.core.render import render
from dynaform.data.rebuild import describe_steps
from dynaform.errors import DynaformError, UsageError

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smh]?)$")


def parse_duration(text: str) -> float:
    """'90', '90s', '30m', '2h' -> seconds."""
    match = _DURATION.match(text.strip())
    if not match:
        raise UsageError(f"cannot read the duration {text!r}", hint="write e.g. 90s, 30m or 2h")
    value, unit = float(match.group(1)), match.group(2)
    return value * {"": 1, "s": 1, "m": 60, "h": 3600}[unit]


def _plan(app: AppState, prune: bool, tables: list[str] | None) -> tuple[api.Connection, Plan]:
    project = app.project()
    env = app.env(project)
    project.resolve(env)  # validate before connecting: an invalid file sends nothing
    conn = app.connect(project, env)
    return conn, api.plan(project, env, conn, prune=prune, tables=tables or None)


def plan(
    ctx: typer.Context,
    out_file: Path | None = typer.Option(None, "--out", help="Save the plan as JSON for apply."),
    detailed_exitcode: bool = typer.Option(
        False, "--detailed-exitcode", help="Exit 2 when there are changes (0 when none)."
    ),
    prune: bool = typer.Option(
        False, "--prune", help="Also plan deleting this project's tables no longer declared."
    ),
    table: list[str] = typer.Option([], "--table", "-t", help="Only these tables (repeatable)."),
) -> None:
    """Show what apply would change, with the reason for each change and the numbered steps.

    Reads only. Exit 0 when nothing changes; with --detailed-exitcode, 2 when something does.

    Example: dynaform -e dev plan --detailed-exitcode
    """
    app = state(ctx)
    _, result = _plan(app, prune, table)
    if out_file is not None:
        out_file.write_text(json.dumps(to_json(result), indent=2) + "\n")
        say(f"saved the plan to {out_file}")
    if app.json:
        print_json(to_json(result))
    else:
        out.print(render(result), markup=True, highlight=False)
    if detailed_exitcode and result.has_changes:
        raise typer.Exit(2)


def _confirm(app: AppState, question: str, yes: bool) -> None:
    if yes or app.yes:
        return
    if not sys.stdin.isatty():
        raise UsageError(
            "this needs confirmation and there is no terminal to ask on",
            hint="pass --yes to confirm",
        )
    typer.confirm(question, abort=True, err=True)


def _load_saved(path: Path, fresh: Plan) -> Plan:
    try:
        saved = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise DynaformError(f"cannot read the saved plan {path}: {exc}") from exc
    for key in ("project", "env"):
        if saved.get(key) != getattr(fresh, key):
            raise DynaformError(
                f"{path} was made for {key} {saved.get(key)!r}, not {getattr(fresh, key)!r}",
                hint="plan again for this one",
            )
    if saved.get("fingerprint") != fresh.fingerprint:
        raise DynaformError(
            f"the live tables changed since {path} was made",
            hint="run `dynaform plan --out` again and review it; nothing was applied",
        )
    return Plan(
        fresh.project,
        fresh.env,
        fresh.endpoint,
        fresh.caps,
        fresh.diff,
        tuple(steps_from_json(saved)),
        fresh.fingerprint,
    )


def apply(
    ctx: typer.Context,
    plan_file: Path | None = typer.Argument(None, help="A plan saved with `plan --out`."),
    yes: bool = typer.Option(False, "--yes", "--force", help="Do not ask for confirmation."),
    timeout: str = typer.Option("30m", help="Give up waiting after this long (e.g. 90s, 30m)."),
    no_wait: bool = typer.Option(
        False, "--no-wait", help="Start the changes, do not wait; apply again to continue."
    ),
    allow_rebuild: bool = typer.Option(
        False, "--allow-rebuild", help="Allow TABLE REBUILD (new table + copy of every item)."
    ),
    prune: bool = typer.Option(False, "--prune", help="Delete tables no longer declared."),
    table: list[str] = typer.Option([], "--table", "-t", help="Only these tables (repeatable)."),
) -> None:
    """Make the live tables match the project file, in the order DynamoDB allows.

    Shows the plan, asks, then runs the steps with live progress. Idempotent; an interrupted
    apply resumes when run again.

    Example: dynaform -e dev apply --yes
    """
    app = state(ctx)
    seconds = parse_duration(timeout)
    conn, result = _plan(app, prune, table)
    if plan_file is not None:
        result = _load_saved(plan_file, result)
    if not app.json:
        out.print(render(result), markup=True, highlight=False)
    if not result.has_changes:
        if app.json:
            print_json({"applied": 0, "changes": 0})
        return
    rebuilds = [c for c in result.blocked if c.kind == "table-rebuild"]
    if rebuilds and not allow_rebuild:
        raise DynaformError(
            f"{rebuilds[0].table}: the plan needs a TABLE REBUILD "
            f"({', '.join(f.field for f in rebuilds[0].fields if 'key' in f.field)}); nothing "
            "was changed",
            hint="a rebuild moves every item through a holding table into the table as "
            "declared; allow it with --allow-rebuild, or change the file back",
        )
    for change in rebuilds:
        say(f"[bold]TABLE REBUILD of {change.table}[/], each stage verified before the next:")
        for number, text in enumerate(describe_steps(change), 1):
            say(f"  {number}. {text}")
    project = app.project()
    protected = project.environment(result.env).protected
    question = f"Apply {len(result.steps)} step(s) to {result.env}"
    _confirm(app, question + (" (a protected environment)?" if protected else "?"), yes)
    began = time.monotonic()
    with err.status("applying …") as status:

        def report(message: str) -> None:
            if message.startswith("["):
                err.print(message, markup=False)
            status.update(message)

        applied = api.apply(
            conn,
            result,
            timeout=seconds,
            wait=not no_wait,
            allow_rebuild=allow_rebuild,
            report=report,
        )
    elapsed = time.monotonic() - began
    if applied.pending:
        say(f"started {applied.done} of {applied.total} step(s); {applied.pending}")
    else:
        check = api.plan(project, result.env, conn, prune=prune, tables=table or None)
        verdict = "live state matches" if not check.has_changes else "changes remain"
        say(f"applied {applied.done} step(s) in {elapsed:.1f}s; {verdict}")
    if app.json:
        print_json(
            {
                "applied": applied.done,
                "total": applied.total,
                "pending": applied.pending,
                "seconds": round(elapsed, 2),
            }
        )


def destroy(
    ctx: typer.Context,
    table: list[str] = typer.Option([], "--table", "-t", help="Only these tables (repeatable)."),
    force: bool = typer.Option(
        False, "--force", help="Skip every confirmation, protected environments included."
    ),
) -> None:
    """Delete the project's tables in an environment, with their data.

    Lists each table with its item count and asks first; in a protected environment you type
    the environment's name. Tables with deletion protection are refused.

    Example: dynaform -e dev destroy --table items
    """
    app = state(ctx)
    project = app.project()
    env = app.env(project)
    specs = project.resolve(env)
    if table:
        wanted = set(table)
        unknown = sorted(wanted - {s.logical_name for s in specs} - {s.name for s in specs})
        if unknown:
            raise DynaformError(f"no table {unknown[0]!r} in the project")
        specs = [s for s in specs if s.logical_name in wanted or s.name in wanted]
    conn = app.connect(project, env)
    found = []
    for spec in specs:
        try:
            raw = conn.client.describe_table(TableName=spec.name)["Table"]
        except conn.client.exceptions.ResourceNotFoundException:
            continue
        except Exception as exc:
            raise translate_error(exc, conn.target) from exc
        found.append((spec, raw))
    if not found:
        out.print(f"nothing to destroy: no table of {project.name} exists in {env}")
        return
    grid = Table(show_edge=False, header_style="bold")
    for column in ("table", "items", "size", "deletion protection"):
        grid.add_column(column)
    for spec, raw in found:
        grid.add_row(
            spec.name,
            f"{raw.get('ItemCount', 0):,}",
            human_bytes(raw.get("TableSizeBytes")),
            "on" if raw.get("DeletionProtectionEnabled") else "off",
        )
    out.print(grid)
    locked = [spec.name for spec, raw in found if raw.get("DeletionProtectionEnabled")]
    if locked:
        raise DynaformError(
            f"deletion protection is on for {', '.join(locked)}; nothing was deleted",
            hint="set `deletion_protection: false` for it in dynaform.yaml and run "
            "`dynaform apply`, then destroy",
        )
    if project.environment(env).protected and not force:
        if not sys.stdin.isatty():
            raise UsageError(
                f"{env} is a protected environment and there is no terminal to confirm on",
                hint="pass --force to skip the confirmation",
            )
        typed = typer.prompt(f"{env} is protected. Type its name to delete these tables", err=True)
        if typed.strip() != env:
            raise DynaformError("the name did not match; nothing was deleted")
    elif not force:
        _confirm(app, f"Delete {len(found)} table(s) and all their items?", False)
    runner = Runner(
        conn.client, conn.target, timeout=600, poll=0.2 if conn.caps.engine != "aws" else 2.0
    )
    for spec, _ in found:
        try:
            conn.client.delete_table(TableName=spec.name)
        except Exception as exc:
            raise translate_error(exc, conn.target) from exc
        runner.wait_gone(spec.name, time.monotonic() + 600)
        out.print(f"deleted {spec.name}")


def describe(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="A physical table name, or a logical one with -e."),
) -> None:
    """Verification report of one table: status, items, size, billing, encryption, PITR, TTL,
    stream and every index with its status and backfill.

    Example: dynaform -e dev describe main
    """
    app = state(ctx)
    physical = name
    if app.has_project():
        project = app.project()
        env = app.env(project)
        physical = next((s.name for s in project.resolve(env) if s.logical_name == name), name)
        conn = app.connect(project, env)
    else:
        settings = app.settings()
        conn = api.connect_settings(settings, app.endpoint_url(settings))
    try:
        raw: dict[str, Any] = conn.client.describe_table(TableName=physical)["Table"]
        live = read_table(conn.client, physical, conn.caps)
    except conn.client.exceptions.ResourceNotFoundException:
        live = None
    except Exception as exc:
        raise translate_error(exc, conn.target) from exc
    if live is None:
        raise DynaformError(
            f"table {physical} does not exist on {conn.target}",
            hint="see `dynaform status` for the tables there",
        )
    spec = live.spec
    unknown = "n/a on this endpoint"
    report = {
        "table": spec.name,
        "status": live.status,
        "items": live.item_count,
        "size": human_bytes(live.size_bytes),
        "keys": spec.partition_key.name + (f" / {spec.sort_key.name}" if spec.sort_key else ""),
        "billing": billing_text(spec.billing),
        "encryption": sse_text(spec.sse) if conn.caps.sse else unknown,
        "point-in-time recovery": ("on" if spec.pitr else "off") if conn.caps.pitr else unknown,
        "ttl": spec.ttl or "off",
        "stream": spec.stream or "off",
        "deletion protection": "on" if spec.deletion_protection else "off",
        "progress": describe_progress(raw),
    }
    if app.json:
        print_json(
            report
            | {
                "indexes": {g.name: gsi_text(g) for g in spec.gsis},
                "arn": live.arn,
                "tags": spec.tags,
            }
        )
        return
    for key, value in report.items():
        out.print(f"[bold]{key:<23}[/] {value}", markup=True)
    if spec.gsis or spec.lsis:
        grid = Table(show_edge=False, header_style="bold")
        for column in ("index", "kind", "keys and projection", "status"):
            grid.add_column(column)
        for gsi in spec.gsis:
            index_state = live.indexes.get(gsi.name)
            text = index_state.status if index_state else "?"
            if index_state and index_state.backfilling:
                text += " (backfilling)"
            grid.add_row(gsi.name, "global", gsi_text(gsi), text)
        for lsi in spec.lsis:
            grid.add_row(lsi.name, "local", lsi.sort_key.name, "ACTIVE")
        out.print(grid)
