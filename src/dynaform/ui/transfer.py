"""Moving many items: export of everything the current view matches (ddb-json, json lines,
csv) and import of an uploaded file through the data plane, as a job the page polls."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from dynaform.errors import DynaformError, UsageError
from dynaform.ui import browse
from dynaform.ui.pages import error, in_thread, render, table_of

EXPORTS = {  # format -> (file suffix, media type)
    "ddb-json": ("ddb.jsonl", "application/x-ndjson"),
    "json": ("jsonl", "application/x-ndjson"),
    "csv": ("csv", "text/csv; charset=utf-8"),
}
IMPORT_FORMATS = ("", "ddb-json", "json", "csv")  # "": detected from the file


def export(request: Request) -> Response:
    from dynaform.api.ui_support import csv_export

    try:
        _, env, table = table_of(request)
        view = browse.View.from_query(request.path_params["name"], env, request.query_params)
        kind = request.query_params.get("format", "ddb-json")
        if kind not in EXPORTS:
            raise UsageError(f"unknown export format {kind!r}", hint="ddb-json, json or csv")
        if kind == "csv":
            chunks: Any = csv_export(table, browse.export_batches(table, view))
        else:
            chunks = browse.export_lines(table, view, kind)
        first = next(chunks, "")  # errors (a bad filter) show as a page, not a broken download
    except DynaformError as exc:
        return error(request, exc)
    suffix, media = EXPORTS[kind]

    def body() -> Any:
        yield first
        yield from chunks

    return StreamingResponse(
        body(),
        media_type=media,
        headers={"content-disposition": f'attachment; filename="{table.name}.{suffix}"'},
    )


def import_form(request: Request) -> Response:
    try:
        ui, env, table = table_of(request)
        ui.check_writable(env, table)
    except DynaformError as exc:
        return error(request, exc, 403)  # the one refusal here: read-only
    return render(request, "import.html", table=table, formats=IMPORT_FORMATS)


async def import_start(request: Request) -> Response:
    form = await request.form()
    upload = form.get("file")
    fields = {k: str(v) for k, v in form.items() if k != "file"}
    return await in_thread(_start, request, upload, fields)


def _start(request: Request, upload: Any, fields: dict[str, str]) -> Response:
    try:
        ui, env, table = table_of(request)
        read_only = ui.read_only_reason(env, table)
        if read_only:
            return error(request, DynaformError(read_only), 403)
        if upload is None or isinstance(upload, str) or not upload.filename:
            raise UsageError("choose a file to import")
        fmt = fields.get("format", "")
        if fmt not in IMPORT_FORMATS:
            raise UsageError(f"unknown import format {fmt!r}", hint="ddb-json, json or csv")
        job = ui.imports.start(table, upload.file, upload.filename, fmt, fields.get("types", ""))
    except DynaformError as exc:
        return error(request, exc)
    return render(
        request, "import.html", table=table, table_name=table.name, formats=IMPORT_FORMATS, job=job
    )


def import_status(request: Request) -> Response:
    job = request.app.state.ui.imports.get(request.path_params["job"])
    if job is None:
        return error(request, DynaformError("no such import (the server was restarted?)"), 404)
    return render(request, "import_status.html", job=job, table_name=request.path_params["name"])
