"""``dynaform status``: can we reach DynamoDB, and what tables are there."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import typer

from dynaform.cli import migrate as migrate_cli
from dynaform.cli.context import state
from dynaform.cli.output import human_bytes, out, print_json


def status(
    ctx: typer.Context,
    detailed_exitcode: bool = typer.Option(
        False, "--detailed-exitcode", help="Exit 2 when a declared table is missing or drifted."
    ),
) -> None:
    """Check the connection and list tables with status, item count and size.

    Works with or without a project file. Exits 1 with one sentence when the endpoint cannot
    be reached or refuses the credentials; with --detailed-exitcode, 0 when every declared
    table is in sync, 2 when one is missing or drifted.

    Example: dynaform --endpoint-url http://localhost:8000 status
    """
    from dynaform import api

    app = state(ctx)
    binding = app.bind(project=False)
    seen = api.overview(binding)
    endpoint = binding.endpoint_url
    declared = api.project_status(binding) if binding.project is not None else None
    variables = _variables(binding)
    if app.json:
        print_json(
            {
                "endpoint": endpoint,
                "region": binding.settings.region,
                "reachable": True,
                "latency_ms": round(seen.latency * 1000, 1),
                "tables": [asdict(t) for t in seen.tables],
                "project": declared,
                "vars": variables,
            }
        )
    else:
        _print_human(binding, seen, endpoint, declared)
        _print_variables(variables)
        migrate_cli.note(binding)
    drifted = declared is not None and any(s != "in sync" for s in declared["tables"].values())
    if detailed_exitcode and drifted:
        raise typer.Exit(2)


def _variables(binding: Any) -> dict[str, dict[str, str]]:
    """Each project variable's value in the bound environment and where it came from."""
    if binding.project is None or binding.env is None:
        return {}
    found = binding.project.variables(binding.env).items()
    return {name: {"value": v.value, "origin": v.origin} for name, v in found}


def _print_variables(variables: dict[str, dict[str, str]]) -> None:
    for name, v in variables.items():
        out.print(f"[bold]var {name:<7}[/] {v['value']} [dim]({v['origin']})[/]", markup=True)


def _print_human(binding: Any, seen: Any, endpoint: str | None, declared: Any) -> None:
    described = binding.settings.describe()
    if endpoint:
        described["endpoint"] = endpoint
    for key, value in described.items():
        origin = binding.settings.origins.get(key)
        suffix = f" [dim]({origin})[/]" if origin and origin != "default" else ""
        out.print(f"[bold]{key:<11}[/] {value}{suffix}", markup=True)
    out.print(
        f"[green]connected[/] in {seen.latency * 1000:.0f} ms; {len(seen.tables)} table(s)",
        markup=True,
    )
    if seen.tables:
        _table_grid(seen.tables)
    if declared is not None:
        _print_declared(declared)
    if seen.tables and endpoint is None:
        out.print("[dim]item counts and sizes are refreshed by AWS about every six hours[/]")


def _table_grid(tables: list[Any]) -> None:
    from rich.table import Table

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


def _print_declared(report: dict[str, Any]) -> None:
    out.print(f"[bold]{report['project']} / {report['env']}[/] (dynaform.yaml):", markup=True)
    for name, text in report["tables"].items():
        colour = "green" if text == "in sync" else "yellow" if text == "missing" else "red"
        out.print(f"  {name:<40} [{colour}]{text}[/]", markup=True)
