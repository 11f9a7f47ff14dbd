"""``data export --via s3://...`` and ``data import --via s3://...``: DynamoDB's own export to
S3 and import from S3 (see docs/data.md, "Which path")."""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from dynaform.cli.context import AppState
from dynaform.cli.output import err, human_bytes, out, print_json
from dynaform.errors import ConnectionFailedError, CredentialsError, UsageError

if TYPE_CHECKING:
    from dynaform.api import DataTable

VIA_HELP = "s3://bucket/prefix: DynamoDB's native export to S3 (reads no capacity; PITR needed)."
VIA_OPTION: Any = typer.Option(None, "--via", help=VIA_HELP)
IMPORT_VIA_OPTION: Any = typer.Option(
    None, "--via", help="s3://bucket/prefix: native ImportTable into a new, declared table."
)
DOWNLOAD_OPTION: Any = typer.Option(
    None, "--download", help="With --via: then pull the export into this folder."
)
SINCE_OPTION: Any = typer.Option(
    None, "--since", help="With --via: incremental export of changes from this time (ISO 8601)."
)
UNTIL_OPTION: Any = typer.Option(
    None, "--until", help="With --since: changes up to this time (default: now)."
)
EXPORT_ARN_OPTION: Any = typer.Option(
    None, "--export-arn", help="With --via: wait for (and download) this started export."
)


# parameter -> flag: the scan path's options, refused with --via rather than ignored
EXPORT_SCAN_FLAGS = {
    "out_path": "--out",
    "worker": "--worker",
    "merge_parts": "--merge",
    "resume": "--resume",
    "gz": "--gzip",
    "fmt": "--format",
    "columns": "--columns",
    "consistent": "--consistent",
    "segments": "--segments",
}
EXPORT_NATIVE_FLAGS = {
    "download": "--download",
    "since": "--since",
    "until": "--until",
    "export_arn": "--export-arn",
}
IMPORT_SCAN_FLAGS = {
    "sources": "FILES",
    "types": "--types",
    "query": "--query",
    "transform": "--transform",
    "resume": "--resume",
    "rate": "--rate",
    "rejects": "--rejects",
    "worker": "--worker",
    "concurrency": "--concurrency",
}


def _given(ctx: typer.Context, flags: dict[str, str]) -> list[str]:
    """The flags typed on the command line (or set through the environment)."""
    sources = {name: ctx.get_parameter_source(name) for name in flags}
    return [
        flag
        for name, flag in flags.items()
        if sources[name] is not None and sources[name].name not in ("DEFAULT", "DEFAULT_MAP")  # type: ignore[union-attr]
    ]


def refuse_with_via(ctx: typer.Context, flags: dict[str, str], command: str) -> None:
    """Options of the scan path make no sense with --via: said, not ignored."""
    given = _given(ctx, flags)
    if given:
        raise UsageError(
            f"{', '.join(given)} belong(s) to the scan path; `data {command} --via` uses "
            "DynamoDB's own engine",
            hint=f"drop {given[0]}, or drop --via",
        )


def refuse_without_via(ctx: typer.Context, flags: dict[str, str]) -> None:
    given = _given(ctx, flags)
    if given:
        raise UsageError(f"{given[0]} goes with --via s3://bucket/prefix")


def _when(text: str, flag: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(
            f"{flag} {text!r} is not a time", hint=f"e.g. {flag} 2026-11-29T08:00:00Z"
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _window(since: str | None, until: str | None) -> tuple[datetime, datetime] | None:
    if since is None:
        if until is not None:
            raise UsageError("--until goes with --since (an incremental export's window)")
        return None
    start, end = _when(since, "--since"), _when(until, "--until") if until else datetime.now(UTC)
    if start >= end:
        raise UsageError(f"--since {since} is not before --until {until or 'now'}")
    return start, end


@contextmanager
def _waiting(app_state: AppState, label: str) -> Iterator[Any]:
    """A status line on stderr updated at each poll (none with --json)."""
    if app_state.json:
        yield lambda description, seconds: None
        return
    with err.status(label) as status:

        def update(description: dict[str, Any], seconds: float) -> None:
            state = description.get("ExportStatus") or description.get("ImportStatus")
            status.update(f"{label}: {state}, {seconds:.0f}s")

        yield update


def export_via(
    app_state: AppState,
    source: DataTable,
    via: str,
    download: Path | None,
    window: tuple[str | None, str | None],
    export_arn: str | None,
    force: bool,
) -> None:
    from dynaform import api
    from dynaform.cli.stdio import check_export_target

    span = _window(*window)
    if span is not None and export_arn is not None:
        raise UsageError(
            "--since/--until choose a new export's window; --export-arn waits for one already "
            "started, whatever window it has",
            hint="drop --since/--until, or drop --export-arn to start a new export",
        )
    if download is not None:  # a stopped download is run again: kept files are reused
        check_export_target(app_state, download, True, force)
    started: list[str] = []

    def on_start(arn: str) -> None:
        started.append(arn)
        err.print(f"export {arn} started into {via}", markup=False, highlight=False)

    try:
        with _waiting(app_state, f"export of {source.name}") as on_wait:
            result = api.native.export_via(
                source,
                via,
                download=download,
                window=span,
                export_arn=export_arn,
                on_start=on_start,
                on_wait=on_wait,
            )
    except KeyboardInterrupt:
        arn = export_arn or (started[0] if started else None)
        if arn:
            err.print(
                "interrupted: the export goes on in DynamoDB; wait for it (and download) with: "
                f"{_wait_again(source, via, arn, download)}",
                markup=False,
                highlight=False,
            )
        raise typer.Exit(130) from None
    except (ConnectionFailedError, CredentialsError) as exc:  # lost while waiting, say
        arn = export_arn or (started[0] if started else None)
        if arn:
            exc.hint = (
                f"{exc.hint}; the export goes on in DynamoDB: then wait for it (and download) "
                f"with: {_wait_again(source, via, arn, download)}"
            ).lstrip("; ")
        raise
    _print_export(app_state, source, via, result)


def _wait_again(source: DataTable, via: str, arn: str, download: Path | None) -> str:
    again = ["data", "export", source.name, "--via", via, "--export-arn", arn]
    again += ["--download", str(download)] if download else []
    return f"dynaform {shlex.join(again)}"


def _print_export(app_state: AppState, source: DataTable, via: str, result: Any) -> None:
    from dynaform import api

    description = result.description
    where = api.native.data_prefix(via, description, source)
    summary = {
        "table": source.name,
        "export_arn": description["ExportArn"],
        "type": description.get("ExportType"),
        "items": description.get("ItemCount"),
        "billed_bytes": description.get("BilledSizeBytes"),
        "data": where,
    }
    if result.download is not None:
        summary |= {
            "download": str(result.download.folder),
            "files": len(result.download.files),
            "bytes": result.download.bytes,
            "deleted": result.download.deleted,
        }
    if app_state.json:
        print_json(summary)
        return
    out.print(
        f"exported {description.get('ItemCount', 0):,} item(s) of {source.name} to {where} "
        f"({human_bytes(int(description.get('BilledSizeBytes') or 0))} billed)",
        markup=False,
    )
    if result.download is not None:
        down = result.download
        deleted = f"; {down.deleted:,} deleted key(s) in deleted-keys.jsonl" if down.deleted else ""
        out.print(
            f"downloaded {len(down.files)} file(s), {human_bytes(down.bytes)}, into {down.folder}"
            f"{deleted}; load it with `dynaform data import TABLE {down.folder}`",
            markup=False,
        )


def import_via(app_state: AppState, target: DataTable, via: str, fmt: str | None) -> None:
    from dynaform import api

    def on_plan(text: str) -> None:
        err.print(text, markup=False, highlight=False)

    try:
        with _waiting(app_state, f"import into {target.name}") as on_wait:
            result = api.native.import_via(target, via, fmt=fmt, on_plan=on_plan, on_wait=on_wait)
    except KeyboardInterrupt:
        err.print(
            f"interrupted: the import into {target.name} goes on in DynamoDB; see it with "
            "`aws dynamodb list-imports`, then check it with `dynaform data count "
            f"{target.name}`",
            markup=False,
            highlight=False,
        )
        raise typer.Exit(130) from None
    description = result.description
    summary = {
        "table": target.name,
        "import_arn": description.get("ImportArn"),
        "items": int(description.get("ImportedItemCount", 0)),
        "processed": int(description.get("ProcessedItemCount", 0)),
        "errors": int(description.get("ErrorCount", 0)),
        "counted": result.counted,
        "left_for_apply": result.left,
    }
    if app_state.json:
        print_json(summary)
        return
    out.print(
        f"imported {summary['items']:,} item(s) into the new table {target.name}; "
        f"a count of the table agrees ({result.counted:,})",
        markup=False,
    )
    if result.left:
        out.print(
            f"ImportTable does not set {', '.join(result.left)}: run `dynaform apply` next",
            markup=False,
        )
