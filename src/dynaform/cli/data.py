"""``dynaform data``: export, import, copy, count and clear table data."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from dynaform import api
from dynaform.aws.client import translate_error
from dynaform.cli.context import AppState, state
from dynaform.cli.output import err, human_bytes, out, print_json
from dynaform.data import files, ops
from dynaform.data.wire import WireClient
from dynaform.errors import DynaformError, UsageError

app = typer.Typer(
    help="Move table data: backup, restore, copy between environments, count, clear.\n\n"
    "Example: dynaform data export items-dev --out backup/ --segments 4 --gzip",
    no_args_is_help=True,
)


def _target(app_state: AppState, name: str, env: str | None = None) -> tuple[WireClient, str, bool]:
    """(wire client, physical table name, protected environment?) for TABLE: a physical name,
    or a logical one from the project file."""
    project, chosen = app_state.optional_project()
    if env is not None and project is not None:
        chosen = project.select_environment(env, {})
    if project is not None and chosen is not None:
        specs = {s.logical_name: s.name for s in project.resolve(chosen)}
        conn = api.connect(project, chosen, app_state.flags, report=lambda m: err.print(m))
        protected = project.environment(chosen).protected
        return (
            WireClient(conn.settings, conn.endpoint_url, client=conn.client),
            specs.get(name, name),
            protected,
        )
    settings = app_state.settings()
    endpoint = app_state.endpoint_url(settings)
    conn = api.connect_settings(settings, endpoint)
    return WireClient(settings, endpoint, client=conn.client), name, False


class _Bar:
    def __init__(self, progress: Progress | None, task: TaskID | None) -> None:
        self.progress, self.task = progress, task

    def advance(self, n: int) -> None:
        if self.progress is None or self.task is None:
            return
        self.progress.advance(self.task, n)
        current = self.progress.tasks[0]
        if current.elapsed:
            self.progress.update(self.task, rate=f"{current.completed / current.elapsed:,.0f}")

    def total(self, n: int) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, total=n)


@contextmanager
def _bar(label: str, total: int | None, quiet: bool) -> Iterator[_Bar]:
    """A progress bar with items/s and ETA on stderr (none with --json)."""
    if quiet:
        yield _Bar(None, None)
        return
    columns = [
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rate]} items/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    ]
    with Progress(*columns, console=err, transient=False) as progress:
        yield _Bar(progress, progress.add_task(label, total=total, rate="-"))


@contextmanager
def _translated(endpoint: str) -> Iterator[None]:
    """dynaform's own errors pass through; anything botocore raises becomes one sentence."""
    try:
        yield
    except DynaformError:
        raise
    except Exception as exc:
        raise translate_error(exc, endpoint) from exc


def _approx_count(wire: WireClient, table: str) -> int | None:
    try:
        return int(ops.describe(wire, table).get("ItemCount", 0)) or None
    except Exception as exc:
        raise translate_error(exc, wire.endpoint_url) from exc


def _fail_on_rejects(rejected: int, path: Path | None, reasons: dict[str, int]) -> None:
    if rejected:
        why = "; ".join(
            f"{n} x {reason}" for reason, n in sorted(reasons.items(), key=lambda r: -r[1])[:3]
        )
        raise DynaformError(
            f"{rejected} item(s) could not be written ({why}); they are saved in {path}",
            hint=f"fix the cause, then `dynaform data import TABLE {path}`",
        )


def _format(value: str | None) -> files.Format | None:
    if value is None:
        return None
    if value not in files.FORMATS:
        raise UsageError(f"unknown format {value!r}", hint="use ddb-json, json or csv")
    return value


@app.command("export")
def export(
    ctx: typer.Context,
    table: str = typer.Argument(..., help="Physical table name, or a logical one in a project."),
    out_path: Path = typer.Option(
        ..., "--out", "-o", help="A file, or a folder (one part per segment)."
    ),
    segments: int = typer.Option(4, "--segments", min=1, max=1000, help="Parallel scan segments."),
    fmt: str = typer.Option("ddb-json", "--format", help="ddb-json (lossless), json or csv."),
    gz: bool = typer.Option(False, "--gzip", help="Compress (gzip members, resumable)."),
    resume: bool = typer.Option(False, "--resume", help="Continue an interrupted export."),
    consistent: bool = typer.Option(False, "--consistent", help="Strongly consistent reads."),
    columns: str | None = typer.Option(None, "--columns", help="CSV columns, comma-separated."),
) -> None:
    """Export every item of a table (parallel scan, constant memory, resumable).

    ddb-json is DynamoDB JSON lines as AWS's S3 export writes them: lossless.

    Example: dynaform data export orders --out orders.jsonl.gz --gzip --segments 8
    """
    app_state = state(ctx)
    wire, name, _ = _target(app_state, table)
    chosen = _format(fmt) or "ddb-json"
    total = _approx_count(wire, name)
    with _bar(f"export {name}", total, app_state.json) as bar, _translated(wire.endpoint_url):
        result = ops.export_table(
            wire,
            name,
            out_path,
            fmt=chosen,
            segments=segments,
            gz=gz,
            resume=resume,
            consistent=consistent,
            columns=columns.split(",") if columns else None,
            progress=bar.advance,
        )
    report = {
        "table": name,
        "items": result.items,
        "bytes": result.bytes,
        "seconds": round(result.seconds, 2),
        "files": [str(p) for p in result.files],
        "retries": wire.retries,
    }
    if app_state.json:
        print_json(report)
        return
    rate = result.items / result.seconds if result.seconds else 0
    out.print(
        f"exported {result.items:,} item(s) from {name} to {out_path} "
        f"({human_bytes(result.bytes)}, {result.seconds:.1f}s, {rate:,.0f} items/s, "
        f"{wire.retries} retries)"
    )


@app.command("import")
def import_(
    ctx: typer.Context,
    table: str = typer.Argument(..., help="Physical table name, or a logical one in a project."),
    paths: list[Path] = typer.Argument(..., help="Files or S3-export folders."),
    fmt: str | None = typer.Option(
        None, "--format", help="ddb-json, json or csv (default: detect)."
    ),
    types: str | None = typer.Option(None, "--types", help="CSV type map: price=N,active=BOOL."),
    resume: bool = typer.Option(False, "--resume", help="Continue an interrupted import."),
    rate: float | None = typer.Option(None, "--rate", help="At most this many items per second."),
    concurrency: int = typer.Option(8, "--concurrency", min=1, max=64, help="Requests in flight."),
    rejects: Path | None = typer.Option(None, "--rejects", help="Where unwritable items go."),
) -> None:
    """Import items (DynamoDB JSON lines, JSON lines, CSV, S3 exports, Workbench models).

    Every file is checked before anything is sent. Nothing is dropped: items DynamoDB will not
    take go to the reject file and the command fails naming it.

    Example: dynaform data import orders orders.jsonl.gz --rate 500
    """
    app_state = state(ctx)
    wire, name, _ = _target(app_state, table)
    with _bar(f"import {name}", None, app_state.json) as bar, _translated(wire.endpoint_url):
        result = ops.import_files(
            wire,
            name,
            paths,
            fmt=_format(fmt),
            types=files.parse_type_map(types),
            resume=resume,
            rate=rate,
            concurrency=concurrency,
            rejects=rejects,
            progress=bar.advance,
            on_total=bar.total,
        )
    summary = ops.summary(result.stats, result.seconds)
    if app_state.json:
        print_json(summary | {"table": name, "rejects": str(result.rejects or "")})
    else:
        out.print(
            f"imported {result.stats.items:,} item(s) into {name} ({result.seconds:.1f}s, "
            f"{summary['items_per_second']:,} items/s, {result.stats.retries} retries, "
            f"{result.stats.rejected} rejected)"
        )
    _fail_on_rejects(result.stats.rejected, result.rejects, result.stats.reasons)


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
) -> None:
    """Copy every item of one table into another (another endpoint or environment too).

    Example: dynaform -e prod data copy orders orders --to-env staging
    """
    app_state = state(ctx)
    if to_endpoint and to_env:
        raise UsageError(
            "--to-endpoint and --to-env both choose the target", hint="use one of them"
        )
    source_wire, source_name, _ = _target(app_state, source)
    if to_endpoint:
        settings = replace(app_state.settings(), endpoint_url=to_endpoint, use_local_engine=False)
        conn = api.connect_settings(settings, to_endpoint)
        target_wire, target_name = WireClient(settings, to_endpoint, client=conn.client), target
    elif to_env:
        target_wire, target_name, protected = _target(app_state, target, env=to_env)
        if protected and not app_state.yes:
            raise UsageError(
                f"{to_env} is a protected environment", hint="pass --yes to copy into it anyway"
            )
    else:
        target_wire, target_name = source_wire, target
    if (target_wire.endpoint_url, target_name) == (source_wire.endpoint_url, source_name):
        raise UsageError("source and target are the same table")
    function = ops.load_transform(transform) if transform else None
    with (
        _bar(
            f"copy {source_name} → {target_name}",
            _approx_count(source_wire, source_name),
            app_state.json,
        ) as bar,
        _translated(target_wire.endpoint_url),
    ):
        result = ops.copy_table(
            source_wire,
            source_name,
            target_wire,
            target_name,
            segments=segments,
            transform=function,
            rate=rate,
            rejects=rejects,
            progress=bar.advance,
        )
    summary = ops.summary(result.stats, result.seconds)
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
    app_state = state(ctx)
    wire, name, _ = _target(app_state, table)
    try:
        approx = ops.describe(wire, name).get("ItemCount")
        counted = ops.count_items(wire, name, segments)
    except Exception as exc:
        raise translate_error(exc, wire.endpoint_url) from exc
    if app_state.json:
        print_json({"table": name, "items": counted, "describe_item_count": approx})
    else:
        out.print(
            f"{name}: {counted:,} item(s)  [dim](DescribeTable says {approx})[/]", markup=True
        )


@app.command("clear")
def clear(
    ctx: typer.Context,
    table: str = typer.Argument(..., help="Physical table name, or a logical one in a project."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask."),
    force: bool = typer.Option(False, "--force", help="Also skip a protected environment's check."),
) -> None:
    """Delete every item of a table, keeping the table.

    Example: dynaform data clear items-dev --yes
    """
    app_state = state(ctx)
    wire, name, protected = _target(app_state, table)
    ops.describe(wire, name)  # a missing table is one clear sentence
    existing = ops.count_items(wire, name)
    if existing == 0:
        out.print(f"{name} is already empty")
        return
    if protected and not force:
        raise UsageError(
            f"{name} is in a protected environment",
            hint="pass --force if you really mean to empty it",
        )
    if not (yes or app_state.yes):
        if not sys.stdin.isatty():
            raise UsageError(
                "this needs confirmation and there is no terminal to ask on",
                hint="pass --yes to confirm",
            )
        typer.confirm(f"Delete all {existing:,} item(s) of {name}?", abort=True, err=True)
    rejects = Path(f"{name}.clear-rejects.jsonl")
    with _bar(f"clear {name}", existing, app_state.json) as bar:
        stats = ops.clear_table(wire, name, rejects=rejects, progress=bar.advance)
    if app_state.json:
        print_json({"table": name, "deleted": stats.items, "rejected": stats.rejected})
    else:
        out.print(f"deleted {stats.items:,} item(s) from {name}")
    _fail_on_rejects(stats.rejected, rejects, stats.reasons)
