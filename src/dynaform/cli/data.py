"""``dynaform data``: export, import, copy, count and clear table data.

Every command names tables by logical or physical name through the project; writing into or
emptying a table of a protected environment needs --force and its name typed back (or
--confirm ENV), whatever name or environment was used. Ctrl-C prints what was done and the
exact command that resumes.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from dynaform.cli.context import AppState, confirm, state
from dynaform.cli.data_common import (
    CONFIRM_HELP,
    FORCE_HELP,
    _bar,
    _fail_on_rejects,
    _format,
    _guard,
    _interruptible,
    _target,
    resume_command,
)
from dynaform.cli.data_native import (
    DOWNLOAD_OPTION,
    EXPORT_ARN_OPTION,
    EXPORT_NATIVE_FLAGS,
    EXPORT_SCAN_FLAGS,
    IMPORT_SCAN_FLAGS,
    IMPORT_VIA_OPTION,
    SINCE_OPTION,
    UNTIL_OPTION,
    VIA_OPTION,
    export_via,
    import_via,
    refuse_with_via,
    refuse_without_via,
)
from dynaform.cli.data_shard import (
    MERGE_OPTION,
    WORKER_OPTION,
    copy_share,
    export_share,
    merge,
    worker_for,
)
from dynaform.cli.output import err, human_bytes, out, print_json
from dynaform.cli.postgres import QUERY_OPTION, TRANSFORM_OPTION, TYPES_OPTION
from dynaform.cli.stdio import (
    check_export_target,
    export_destination,
    import_sources,
    is_stdio,
)
from dynaform.errors import UsageError

if TYPE_CHECKING:
    from dynaform.api import DataTable

__all__ = ["CONFIRM_HELP", "FORCE_HELP", "_bar", "_interruptible", "app", "resume_command"]

app = typer.Typer(
    rich_markup_mode=None,
    help="Move table data: backup, restore, copy between environments, count, clear.\n\n"
    "Example: dynaform data export items-dev --out backup/ --segments 4 --gzip",
    no_args_is_help=True,
)


@app.command("export")
def export(
    ctx: typer.Context,
    table: str = typer.Argument(..., help="Physical table name, or a logical one in a project."),
    out_path: Path | None = typer.Option(
        None, "--out", "-o", help="A file, or a folder (one part per segment)."
    ),
    segments: int = typer.Option(4, "--segments", min=1, max=1000, help="Parallel scan segments."),
    fmt: str = typer.Option("ddb-json", "--format", help="ddb-json (lossless), json or csv."),
    gz: bool = typer.Option(False, "--gzip", help="Compress (gzip members, resumable)."),
    resume: bool = typer.Option(False, "--resume", help="Continue an interrupted export."),
    consistent: bool = typer.Option(False, "--consistent", help="Strongly consistent reads."),
    columns: str | None = typer.Option(None, "--columns", help="CSV columns, comma-separated."),
    force: bool = typer.Option(False, "--force", help="Replace an existing file or folder."),
    worker: str | None = WORKER_OPTION,
    merge_parts: bool = MERGE_OPTION,
    via: str | None = VIA_OPTION,
    download: Path | None = DOWNLOAD_OPTION,
    since: str | None = SINCE_OPTION,
    until: str | None = UNTIL_OPTION,
    export_arn: str | None = EXPORT_ARN_OPTION,
) -> None:
    """Export every item of a table (parallel scan, constant memory, resumable).

    ddb-json is DynamoDB JSON lines as AWS's S3 export writes them: lossless. An existing
    output (a project file above all) is never replaced without --force. With --worker i/n,
    n machines each scan their share into OUT/worker-i-of-n/; --merge then joins them.

    Example: dynaform data export orders --out orders.jsonl.gz --gzip --segments 8

    Example: dynaform data export orders --out /shared/orders --segments 64 --worker 3/8

    With --via s3://bucket/prefix, DynamoDB exports the table itself (no read capacity;
    point-in-time recovery on), incrementally with --since/--until; --download pulls the files.

    Example: dynaform data export orders --via s3://backups/orders --download orders-export/
    """
    app_state = state(ctx)
    if via is not None:
        refuse_with_via(ctx, EXPORT_SCAN_FLAGS, "export")
        source = _target(app_state, table)
        export_via(app_state, source, via, download, (since, until), export_arn, force)
        return
    refuse_without_via(ctx, EXPORT_NATIVE_FLAGS)
    if out_path is None:
        raise UsageError("--out is missing", hint="e.g. --out orders.jsonl.gz")
    source = _target(app_state, table)
    if merge_parts:
        merge(app_state, source, out_path, worker)
        return
    destination_path, share = export_share(source, out_path, worker, segments, fmt)
    if not is_stdio(destination_path):
        check_export_target(app_state, destination_path, resume, force)
    columns_list = columns.split(",") if columns else None
    options = {"fmt": _format(fmt) or "ddb-json", "segments": segments, "gz": gz, "share": share}
    options |= {"resume": resume, "consistent": consistent, "columns": columns_list}
    _export_scan(app_state, source, destination_path, options)


def _export_scan(
    app_state: AppState, source: DataTable, path: Path, options: dict[str, Any]
) -> None:
    from dynaform import api

    total = api.data.approximate_count(source) if options["share"] is None else None
    with (
        _bar(f"export {source.name}", total, app_state.json) as bar,
        _interruptible(f"export of {source.name}", bar),
        export_destination(path, options["fmt"], options["gz"]) as destination,
    ):
        result = api.data.export_items(source, destination, progress=bar.advance, **options)
    _print_export(app_state, source, result, path)


def _print_export(app_state: AppState, source: DataTable, result: Any, out_path: Path) -> None:
    retries = source.wire().retries
    if is_stdio(out_path):  # stdout carried the items: the summary goes to stderr
        err.print(f"exported {result.items:,} item(s) from {source.name} to standard output")
        return
    if app_state.json:
        print_json(
            {
                "table": source.name,
                "items": result.items,
                "bytes": result.bytes,
                "seconds": round(result.seconds, 2),
                "files": [str(p) for p in result.files],
                "retries": retries,
            }
        )
        return
    rate = result.items / result.seconds if result.seconds else 0
    out.print(
        f"exported {result.items:,} item(s) from {source.name} to {out_path} "
        f"({human_bytes(result.bytes)}, {result.seconds:.1f}s, {rate:,.0f} items/s, "
        f"{retries} retries)"
    )


@app.command("import")
def import_(
    ctx: typer.Context,
    table: str = typer.Argument(..., help="Physical table name, or a logical one in a project."),
    sources: list[str] | None = typer.Argument(
        None, help="Files, S3-export folders, or postgresql://user@host:5432/db with --query."
    ),
    fmt: str | None = typer.Option(
        None, "--format", help="ddb-json, json or csv (default: detect)."
    ),
    types: str | None = TYPES_OPTION,
    query: str | None = QUERY_OPTION,
    transform: str | None = TRANSFORM_OPTION,
    resume: bool = typer.Option(False, "--resume", help="Continue an interrupted import."),
    rate: float | None = typer.Option(None, "--rate", help="At most this many items per second."),
    concurrency: int = typer.Option(8, "--concurrency", min=1, max=64, help="Requests in flight."),
    rejects: Path | None = typer.Option(None, "--rejects", help="Where unwritable items go."),
    force: bool = typer.Option(False, "--force", help=FORCE_HELP),
    typed: str | None = typer.Option(None, "--confirm", help=CONFIRM_HELP),
    worker: str | None = WORKER_OPTION,
    via: str | None = IMPORT_VIA_OPTION,
) -> None:
    """Import items (DynamoDB JSON lines, JSON lines, CSV, S3 exports, Workbench models, or a
    PostgreSQL query's rows).

    Every file is checked before anything is sent. Nothing is dropped: items DynamoDB will not
    take go to the reject file and the command fails naming it.

    Example: dynaform data import orders orders.jsonl.gz --rate 500

    Example: dynaform data import projects postgresql://app@db:5432/app --query "SELECT ..."

    Example: dynaform data import orders /shared/orders --worker 3/8 (each machine its share)

    With --via s3://bucket/prefix, DynamoDB's ImportTable creates the declared table and loads
    it (no write capacity); refused for an existing table; the count is checked afterwards.
    """
    from dynaform import api

    app_state = state(ctx)
    target = _target(app_state, table)
    _guard(target, "import into it", force, typed)
    if via is not None:
        refuse_with_via(ctx, IMPORT_SCAN_FLAGS, "import")
        import_via(app_state, target, via, fmt)
        return
    if not sources:
        raise UsageError("nothing to import", hint="give files or folders, or --via s3://...")
    options = {"resume": resume, "rate": rate, "concurrency": concurrency, "rejects": rejects}
    if worker is not None:
        options["worker"] = worker_for(worker, sources)
    if sources and api.data.is_postgres(sources[0]):
        from dynaform.cli.postgres import import_postgres

        import_postgres(app_state, target, sources, query, types, transform, options)
    elif query or transform:
        raise UsageError("--query and --transform go with a postgresql:// source")
    else:
        _import_files(app_state, target, [Path(source) for source in sources], fmt, types, options)


def _import_files(
    app_state: AppState,
    target: DataTable,
    paths: list[Path],
    fmt: str | None,
    types: str | None,
    options: dict[str, Any],
) -> None:
    from dynaform import api

    if options["rejects"] is None and any(is_stdio(p) for p in paths):
        options["rejects"] = Path("stdin.rejects.jsonl")
    with (
        _bar(f"import {target.name}", None, app_state.json) as bar,
        _interruptible(f"import into {target.name}", bar),
        import_sources(paths, fmt, options["resume"]) as files,
    ):
        result = api.data.import_items(
            target,
            files,
            fmt=_format(fmt),
            types=api.data.parse_type_map(types),
            progress=bar.advance,
            on_total=bar.total,
            **options,
        )
    summary = api.data.summary(result.stats, result.seconds)
    if result.share:
        err.print(result.share, markup=False, highlight=False)
    if app_state.json:
        print_json(summary | {"table": target.name, "rejects": str(result.rejects or "")})
    else:
        out.print(
            f"imported {result.stats.items:,} item(s) into {target.name} ({result.seconds:.1f}s, "
            f"{summary['items_per_second']:,} items/s, {result.stats.retries} retries, "
            f"{result.stats.rejected} rejected)"
        )
    _fail_on_rejects(result.stats.rejected, result.rejects, result.stats.reasons)


def _copy_target(
    app_state: AppState,
    source: DataTable,
    target: str,
    to_endpoint: str | None,
    to_env: str | None,
) -> DataTable:
    from dynaform import api

    if to_endpoint and to_env:
        raise UsageError(
            "--to-endpoint and --to-env both choose the target", hint="use one of them"
        )
    if to_endpoint:
        # Another endpoint, the same project: names and protection still follow its tables.
        flags = replace(app_state.flags, endpoint_url=to_endpoint, local=False)
        return api.data_table(app_state.bind(project=False, flags=flags), target)
    if to_env:
        return _target(app_state, target, env=to_env)
    return api.data_table(source.binding, target)


@app.command("copy")
def copy(
    ctx: typer.Context,
    source: str = typer.Argument(..., help="Source table."),
    target: str = typer.Argument(..., help="Target table (must exist)."),
    to_endpoint: str | None = typer.Option(None, "--to-endpoint", help="Target endpoint URL."),
    to_env: str | None = typer.Option(None, "--to-env", help="Target environment (project)."),
    transform: str | None = typer.Option(None, "--transform", help="module:function per item."),
    segments: int = typer.Option(4, "--segments", min=1, max=1000),
    rate: float | None = typer.Option(None, "--rate", help="At most this many items per second."),
    rejects: Path = typer.Option(Path("copy.rejects.jsonl"), "--rejects"),
    resume: bool = typer.Option(False, "--resume", help="Continue an interrupted copy."),
    force: bool = typer.Option(False, "--force", help=FORCE_HELP),
    typed: str | None = typer.Option(None, "--confirm", help=CONFIRM_HELP),
    worker: str | None = WORKER_OPTION,
) -> None:
    """Copy every item of one table into another (another endpoint or environment too).

    Both names go through the project (logical or physical); the physical tables are shown
    before anything is copied. Progress is kept next to the reject file (--resume). With
    --worker i/n each machine copies its share of the segments (its own reject file and
    checkpoint: copy.worker-i-of-n.rejects.jsonl).

    Example: dynaform -e prod data copy orders orders --to-env staging
    """
    from dynaform import api

    app_state = state(ctx)
    origin = _target(app_state, source)
    into = _copy_target(app_state, origin, target, to_endpoint, to_env)
    if (into.target, into.name) == (origin.target, origin.name):
        raise UsageError("source and target are the same table")
    _guard(into, "copy into it", force, typed)
    err.print(f"copy {origin.name} ({origin.target}) → {into.name} ({into.target})", markup=False)
    function = api.data.load_transform(transform, app_state.project_dir) if transform else None
    label = f"copy {origin.name} → {into.name}"
    share, rejects = copy_share(worker, segments, rejects)
    with (
        _bar(label, None if share else api.data.approximate_count(origin), app_state.json) as bar,
        _interruptible(label, bar),
    ):
        result = api.data.copy_items(
            origin,
            into,
            segments=segments,
            transform=function,
            rate=rate,
            rejects=rejects,
            progress=bar.advance,
            checkpoint_path=Path(f"{rejects}.checkpoint.json"),
            resume=resume,
            share=share,
        )
    _print_copy(app_state, result)


def _print_copy(app_state: AppState, result: Any) -> None:
    from dynaform import api

    summary = api.data.summary(result.stats, result.seconds)
    if app_state.json:
        print_json(summary | {"read": result.read, "skipped": result.skipped})
    else:
        out.print(
            f"copied {result.stats.items:,} of {result.read:,} item(s) "
            f"({result.skipped} skipped by the transform) in {result.seconds:.1f}s"
        )
    _fail_on_rejects(result.stats.rejected, result.rejects, result.stats.reasons)


@app.command("count")
def count(
    ctx: typer.Context,
    table: str = typer.Argument(..., help="Physical table name, or a logical one in a project."),
    segments: int = typer.Option(4, "--segments", min=1, max=1000),
) -> None:
    """Count items exactly (parallel COUNT scan; DescribeTable's count lags on AWS).

    Example: dynaform data count orders
    """
    from dynaform import api

    app_state = state(ctx)
    target = _target(app_state, table)
    counted, approx = api.data.count_items(target, segments)
    if app_state.json:
        print_json({"table": target.name, "items": counted, "describe_item_count": approx})
    else:
        out.print(
            f"{target.name}: {counted:,} item(s)  [dim](DescribeTable says {approx})[/]",
            markup=True,
        )


@app.command("clear")
def clear(
    ctx: typer.Context,
    table: str = typer.Argument(..., help="Physical table name, or a logical one in a project."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask."),
    force: bool = typer.Option(False, "--force", help=FORCE_HELP),
    typed: str | None = typer.Option(None, "--confirm", help=CONFIRM_HELP),
) -> None:
    """Delete every item of a table, keeping the table.

    Example: dynaform data clear items-dev --yes
    """
    from dynaform import api

    app_state = state(ctx)
    target = _target(app_state, table)
    existing, _ = api.data.count_items(target)
    if existing == 0:
        out.print(f"{target.name} is already empty")
        return
    if target.protection is not None:
        _guard(target, f"delete all {existing:,} item(s)", force, typed)
    else:
        confirm(app_state, f"Delete all {existing:,} item(s) of {target.name}?", yes)
    rejects = Path(f"{target.name}.clear-rejects.jsonl")
    with (
        _bar(f"clear {target.name}", existing, app_state.json) as bar,
        _interruptible(f"clear of {target.name}", bar, flag=None),
    ):
        stats = api.data.clear_items(target, rejects=rejects, progress=bar.advance)
    if app_state.json:
        print_json({"table": target.name, "deleted": stats.items, "rejected": stats.rejected})
    else:
        out.print(f"deleted {stats.items:,} item(s) from {target.name}")
    _fail_on_rejects(stats.rejected, rejects, stats.reasons)
