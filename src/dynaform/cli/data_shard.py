"""``--worker i/n`` and ``data export --merge``: one table's export, import or copy shared
by n machines, one command each (see docs/data.md, "Sharded runs")."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from dynaform.cli.context import AppState
from dynaform.cli.data_common import resume_command
from dynaform.cli.output import err, out, print_json
from dynaform.errors import UsageError

if TYPE_CHECKING:
    from dynaform.api import DataTable

WORKER_OPTION: Any = typer.Option(
    None,
    "--worker",
    help="i/n: this machine is worker i of n and takes its share (own checkpoint).",
)
MERGE_OPTION: Any = typer.Option(
    False, "--merge", help="Join the worker-i-of-n folders in --out into one export."
)


def _say(text: str) -> None:
    err.print(text, markup=False, highlight=False)


def worker_for(text: str, sources: list[str] | None = None) -> Any:
    """An import's worker (its share of the input files or lines)."""
    from dynaform import api

    if sources and api.data.is_postgres(sources[0]):
        raise UsageError(
            "--worker shares input files; a PostgreSQL query runs on one machine",
            hint="drop --worker, or export the rows to files and import those with --worker",
        )
    return api.data.parse_worker(text)


def export_share(
    source: DataTable, out_path: Path, worker: str | None, segments: int, fmt: str
) -> tuple[Path, list[int] | None]:
    """Where this run writes, and which segments it scans (None: all of them)."""
    from dynaform import api

    if worker is None:
        return out_path, None
    if fmt == "csv":
        raise UsageError(
            "--worker exports ddb-json or json: CSV needs every item's columns before its header",
            hint="export --format ddb-json with --worker, then turn the merged export into CSV",
        )
    who = api.data.parse_worker(worker, segments)
    folder = api.data.worker_folder(out_path, who)
    _say(f"{api.data.describe_share(who, segments)}; writing {folder}")
    return folder, who.segments(segments)


def copy_share(worker: str | None, segments: int, rejects: Path) -> tuple[list[int] | None, Path]:
    """A copy worker's segments and its own reject file (its checkpoint sits next to it)."""
    from dynaform import api

    if worker is None:
        return None, rejects
    who = api.data.parse_worker(worker, segments)
    _say(api.data.describe_share(who, segments))
    return who.segments(segments), who.own(rejects)


def merge(app_state: AppState, source: DataTable, out_path: Path, worker: str | None) -> None:
    """``data export TABLE --out DIR --merge``: the workers' folders joined in DIR."""
    from dynaform import api

    if worker is not None:
        raise UsageError(
            "--merge joins every worker's folder; it takes no --worker",
            hint=f"run `dynaform data export {source.name} --out {out_path} --merge` once, "
            "after every worker finished",
        )
    try:
        result = api.data.merge_exports(source, out_path)
    except KeyboardInterrupt:
        plan = out_path / ".merge.json"
        where = f"is half-way (its plan is kept in {plan})" if plan.exists() else "moved nothing"
        _say(
            f"interrupted: the merge of {out_path} {where}; finish it with: {resume_command(None)}"
        )
        raise typer.Exit(130) from None
    if app_state.json:
        print_json(
            {
                "table": source.name,
                "items": result.items,
                "workers": result.workers,
                "files": [str(p) for p in result.files],
                "scanned": list(result.scanned) if result.scanned else None,
            }
        )
        return
    out.print(
        f"merged {result.workers} worker export(s) of {source.name} into {out_path}: "
        f"{result.items:,} item(s) in {len(result.files)} part(s)"
    )
    if result.scanned:  # a folder left from an older run shows here as a long span
        out.print(f"the workers' scans ran from {result.scanned[0]} to {result.scanned[1]} (UTC)")
