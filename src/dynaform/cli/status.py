"""``dynaform status``: can we reach DynamoDB, and what tables are there."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import typer
from rich.table import Table

from dynaform import api
from dynaform.aws.client import client_config, dynamodb_client, where
from dynaform.aws.overview import check_connection, describe_tables, list_table_names
from dynaform.cli.context import state
from dynaform.cli.output import human_bytes, out, print_json
from dynaform.core.load import Project
from dynaform.settings import Settings


def status(ctx: typer.Context) -> None:
    """Check the connection and list tables with status, item count and size.

    Works with or without a project file. Exits 1 with one sentence when the endpoint cannot
    be reached or refuses the credentials.

    Example: dynaform --endpoint-url http://localhost:8000 status
    """
    app = state(ctx)
    project, env = app.optional_project()
    settings = app.settings(project.target(env) if project and env else None)
    endpoint = app.endpoint_url(settings)
    target = where(settings, endpoint)
    # One attempt and short timeouts: a dead endpoint must fail within seconds.
    probe = dynamodb_client(
        settings, endpoint, config=client_config(attempts=1, connect_timeout=2, read_timeout=3)
    )
    latency = check_connection(probe, target)
    client = dynamodb_client(settings, endpoint)
    tables = describe_tables(client, list_table_names(client, target), target)
    declared = project_report(project, env, settings, endpoint) if project and env else None

    if app.json:
        print_json(
            {
                "endpoint": endpoint,
                "region": settings.region,
                "reachable": True,
                "latency_ms": round(latency * 1000, 1),
                "tables": [asdict(t) for t in tables],
                "project": declared,
            }
        )
        return
    described = settings.describe()
    if endpoint:
        described["endpoint"] = endpoint
    for key, value in described.items():
        origin = settings.origins.get(key)
        suffix = f" [dim]({origin})[/]" if origin and origin != "default" else ""
        out.print(f"[bold]{key:<11}[/] {value}{suffix}", markup=True)
    out.print(
        f"[green]connected[/] in {latency * 1000:.0f} ms; {len(tables)} table(s)", markup=True
    )
    if not tables:
        if declared is not None:
            _print_declared(declared)
        return
    grid = Table(show_edge=False, header_style="bold")
    grid.add_column("table", min_width=max(len(t.name) for t in tables) + 2)
    grid.add_column("status")
    grid.add_column("items", justify="right")
    grid.add_column("size", justify="right")
    grid.add_column("billing")
    grid.add_column("indexes", justify="right")
    for t in tables:
        colour = "green" if t.status == "ACTIVE" else "yellow"
        grid.add_row(
            t.name + (" 🔒" if t.deletion_protection else ""),
            f"[{colour}]{t.status}[/]",
            "-" if t.item_count is None else f"{t.item_count:,}",
            human_bytes(t.size_bytes),
            t.billing,
            str(t.indexes),
        )
    out.print(grid)
    if declared is not None:
        _print_declared(declared)
    if endpoint is None:
        out.print("[dim]item counts and sizes are refreshed by AWS about every six hours[/]")


def project_report(
    project: Project, env: str, settings: Settings, endpoint: str | None
) -> dict[str, Any]:
    """Which declared tables exist, are missing, or drifted from the file (reads only)."""
    conn = api.connect_settings(settings, endpoint)
    result = api.plan(project, env, conn)
    states = {name: "in sync" for name in result.diff.unchanged}
    for change in result.changes:
        states[change.table] = {
            "create": "missing",
            "table-rebuild": "drifted: keys differ (rebuild needed)",
        }.get(change.kind, f"drifted: {', '.join(sorted(change.field_names()))}")
    return {"project": project.name, "env": env, "tables": states}


def _print_declared(report: dict[str, Any]) -> None:
    out.print(f"[bold]{report['project']} / {report['env']}[/] (dynaform.yaml):", markup=True)
    for name, text in report["tables"].items():
        colour = "green" if text == "in sync" else "yellow" if text == "missing" else "red"
        out.print(f"  {name:<40} [{colour}]{text}[/]", markup=True)
