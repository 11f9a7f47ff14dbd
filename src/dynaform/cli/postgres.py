"""``dynaform data import TABLE postgresql://... --query "SELECT ..."``: the CLI side."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from dynaform.cli.output import out, print_json, say
from dynaform.errors import UsageError

if TYPE_CHECKING:
    from dynaform.api import DataTable
    from dynaform.cli.context import AppState

TYPES_OPTION = typer.Option(
    None, "--types", help="CSV type map: price=N,active=BOOL; PostgreSQL: created_at=epoch,tags=SS."
)
QUERY_OPTION = typer.Option(None, "--query", help="PostgreSQL: the SELECT to import.")
TRANSFORM_OPTION = typer.Option(None, "--transform", help="PostgreSQL: module:function per row.")


def import_postgres(
    app_state: AppState,
    target: DataTable,
    sources: list[str],
    query: str | None,
    types: str | None,
    transform: str | None,
    options: dict[str, Any],
) -> None:
    from dynaform import api
    from dynaform.cli.data_common import _bar, _fail_on_rejects, _interruptible

    if len(sources) != 1 or not query:
        raise UsageError(
            "a PostgreSQL import takes one postgresql:// address and --query",
            hint='e.g. dynaform data import TABLE postgresql://user@host:5432/db --query "SELECT '
            '..." (ORDER BY the key, so that --resume finds its place)',
        )
    function = api.data.load_transform(transform, app_state.project_dir) if transform else None
    columns = api.data.parse_columns(types)
    warning = api.data.order_warning(query)
    if warning:
        say(f"[yellow]warning:[/] {warning}")
    with (
        _bar(f"import {target.name}", None, app_state.json) as bar,
        _interruptible(f"import into {target.name}", bar),
    ):
        result = api.data.import_postgres(
            target, sources[0], query, columns=columns, transform=function,
            progress=bar.advance, **options,
        )  # fmt: skip
    summary = api.data.summary(result.stats, result.seconds)
    if app_state.json:
        extra = {"rows": result.rows, "skipped": result.skipped}
        print_json(summary | extra | {"table": target.name, "rejects": str(result.rejects or "")})
    else:
        out.print(
            f"imported {result.stats.items:,} of {result.rows:,} row(s) into {target.name} "
            f"({result.seconds:.1f}s, {summary['items_per_second']:,} items/s, "
            f"{result.skipped} skipped by the transform, {result.stats.rejected} rejected)"
        )
    _fail_on_rejects(result.stats.rejected, result.rejects, result.stats.reasons)
