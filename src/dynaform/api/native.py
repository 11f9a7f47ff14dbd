"""DynamoDB's native export to S3 and import from S3, through the one door: the table named
through the project, point-in-time recovery checked first, ImportTable planned as the creation
of a declared table (and refused for an existing one), errors in one sentence."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from dynaform.api.binding import translated
from dynaform.api.data import DataTable
from dynaform.errors import ConnectionFailedError, CredentialsError

Said = Callable[[str], None]
Waiting = Callable[[dict[str, Any], float], None]


@dataclass
class NativeExport:
    description: dict[str, Any]
    download: Any = None  # data.native.Download, with --download


@dataclass
class NativeImport:
    description: dict[str, Any]
    counted: int
    left: list[str] = field(default_factory=list)  # declared settings left for `apply`


def _pitr_hint(table: DataTable) -> str:
    spec = table.binding.spec(table.name)
    if spec is None:
        return (
            f"declare {table.name} in dynaform.yaml with `point_in_time_recovery: true` and run "
            "`dynaform apply`, or enable it in the console"
        )
    return (
        f"set `point_in_time_recovery: true` on {spec.logical_name} in the project file and run "
        "`dynaform apply` (continuous backups are billed per GB-month)"
    )


def export_via(
    table: DataTable,
    url: str,
    *,
    download: Path | None = None,
    window: tuple[datetime, datetime] | None = None,
    export_arn: str | None = None,
    on_start: Said,
    on_wait: Waiting,
) -> NativeExport:
    """A native export of ``table`` into ``url`` (or the one ``export_arn`` names), waited
    for, then downloaded into ``download`` when given."""
    from dynaform.aws.s3 import s3_client
    from dynaform.data import native
    from dynaform.data.errors import DataError

    where = native.parse_s3_url(url)
    if download is not None:
        native.check_download(download, export_arn)
    connection = table.binding.connection()
    client = connection.client
    with translated(table.target):
        if export_arn is None:
            if not native.pitr_enabled(client, table.name):
                raise DataError(
                    f"point-in-time recovery is off for {table.name}; the native export reads "
                    "from it",
                    hint=_pitr_hint(table),
                )
            started = native.start_export(client, table.name, where, window)
            export_arn = str(started["ExportArn"])
            on_start(export_arn)
        else:  # one started earlier: its files are where --via says, or it is refused now
            native.check_started(native.describe_export(client, export_arn), where, table.name)
        description = native.wait_export(client, export_arn, on_wait)
        result = NativeExport(description)
        if download is not None:
            s3 = s3_client(connection.settings, connection.endpoint_url)
            result.download = native.download_export(s3, description, where, download)
    return result


def data_prefix(url: str, description: dict[str, Any], table: DataTable) -> str:
    """Where an export's data objects are, for ``data import --via``."""
    from dynaform.aws.s3 import s3_client
    from dynaform.data import native

    where = native.parse_s3_url(url)
    connection = table.binding.connection()
    with translated(table.target):
        keys = native.export_data_keys(
            s3_client(connection.settings, connection.endpoint_url), description, where
        )
    return f"s3://{where.bucket}/{keys[0].rsplit('/', 1)[0]}/" if keys else url


def import_via(
    table: DataTable, url: str, *, fmt: str | None, on_plan: Said, on_wait: Waiting
) -> NativeImport:
    """ImportTable from ``url`` into the declared ``table``, which it creates; then the counts
    checked: ImportedItemCount, ErrorCount, and a count of the table itself."""
    from dynaform.aws.s3 import s3_client
    from dynaform.core import native_import
    from dynaform.data import native
    from dynaform.data.errors import DataError
    from dynaform.data.transfer import count_items

    spec = table.binding.spec(table.name)
    if spec is None:
        raise DataError(
            f"{table.name} is not declared in the project: ImportTable creates the table, and "
            "dynaform builds it from its declaration",
            hint="declare it in dynaform.yaml (keys, billing, indexes), then import",
        )
    where = native.parse_s3_url(url)
    connection = table.binding.connection()
    with translated(table.target):
        if native.table_exists(connection.client, table.name):
            raise DataError(
                f"{table.name} exists already; ImportTable only creates new tables",
                hint=f"import into it without --via (`dynaform data import {spec.logical_name} "
                "FOLDER`), or import into a new table",
            )
        keys = native.import_keys(s3_client(connection.settings, connection.endpoint_url), where)
        try:
            compression = native_import.compression_of(keys)
            input_format = native_import.input_format(fmt, keys)
            params = native_import.creation_parameters(spec, connection.caps)
        except native_import.NativeImportRefusedError as exc:
            raise DataError(str(exc), hint="import files without --via instead") from exc
        on_plan(
            f"+ create table {table.name} by ImportTable from {where.folder_url} ({len(keys)} "
            f"object(s), {input_format}, {compression}; {len(spec.gsis)} global index(es))"
        )
        started = native.start_import(connection.client, where, params, input_format, compression)
        arn = str(started["ImportArn"])
        on_plan(f"import {arn} started")
    try:
        with translated(table.target):
            description = native.wait_import(connection.client, arn, on_wait)
            completed = description.get("ImportStatus") == "COMPLETED"
            counted = count_items(table.wire(), table.name, 4) if completed else 0
    except (ConnectionFailedError, CredentialsError) as exc:
        exc.hint = (
            f"{exc.hint}; the import goes on in DynamoDB: follow it with `aws dynamodb "
            f"describe-import --import-arn {arn}`, then check it with `dynaform data count "
            f"{table.name}`"
        ).lstrip("; ")
        raise
    native.check_import(description, counted, table.name)
    return NativeImport(description, counted, native_import.left_for_apply(spec))
