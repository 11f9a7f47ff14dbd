"""The UI's routes: home (environments and tables), a table's pages and query builder, one
item (view, edit, create, delete) and bulk delete; export and import are in ``transfer``.
Handlers are plain functions run in Starlette's thread pool; every DynamoDB call goes through
``dynaform.api``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from dynaform.core.item_json import dumps
from dynaform.errors import DynaformError, UsageError
from dynaform.ui import browse

if TYPE_CHECKING:
    from starlette.templating import Jinja2Templates

    from dynaform.api.items import ItemTable
    from dynaform.ui.state import UiState


def _ui(request: Request) -> tuple[UiState, Jinja2Templates]:
    return request.app.state.ui, request.app.state.templates


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    ui, templates = _ui(request)
    env = ui.env(request.query_params.get("env") or context.get("env"))
    base = {"envs": ui.environments, "env": env, "project": ui.project}
    return templates.TemplateResponse(request, name, base | context, status_code=status)


def error(request: Request, exc: DynaformError, status: int = 400) -> HTMLResponse:
    from dynaform.api.items import ItemConflictError

    status = 409 if isinstance(exc, ItemConflictError) else status
    return render(request, "error.html", status, message=exc.message, hint=exc.hint)


def home(request: Request) -> Response:
    from dynaform import api

    ui, _ = _ui(request)
    env = ui.env(request.query_params.get("env"))
    try:
        binding = ui.binding(env)
        live = {t.name: t for t in api.overview(binding).tables}
        states = api.project_status(binding)["tables"] if binding.project and env else {}
    except DynaformError as exc:
        return error(request, exc, 502)
    declared = []
    for spec in binding.specs:
        summary = live.get(spec.name)
        declared.append(
            {
                "logical": spec.logical_name,
                "physical": spec.name,
                "key_names": [k.name for k in (spec.partition_key, spec.sort_key) if k],
                "indexes": [g.name for g in spec.gsis] + [x.name for x in spec.lsis],
                "count": summary.item_count if summary else None,
                "state": states.get(spec.logical_name, states.get(spec.name, "missing")),
            }
        )
    names = {d["physical"] for d in declared}
    others = [t for n, t in sorted(live.items()) if n not in names]
    return render(request, "home.html", env=env, declared=declared, others=others)


def table_of(request: Request) -> tuple[UiState, str | None, ItemTable]:
    ui, _ = _ui(request)
    env = ui.env(request.query_params.get("env"))
    return ui, env, ui.table(env, request.path_params["name"])


def table_page(request: Request) -> Response:
    try:
        ui, env, table = table_of(request)
        args = dict(request.query_params)
        layouts = ui.layouts(env, table)
        if layouts:  # declared entities write their type as _type
            args["type_attr"] = "_type"
        elif "type_attr" not in args:
            args["type_attr"] = ui.type_attribute(table, browse.type_attribute)
        view = browse.View.from_query(request.path_params["name"], env, args)
        rows = browse.page(table, view, ui.signer, layouts)
    except ValueError as exc:  # a cursor from another page
        return error(request, DynaformError(str(exc), hint="start again from the first page"))
    except DynaformError as exc:
        return error(request, exc)
    context: dict[str, Any] = {
        "table": table,
        "rows": rows,
        "view": rows.view,
        "read_only": ui.read_only_reason(env, table),
        "operators": browse.OPERATORS,
        "sizes": browse.PAGE_SIZES,
        "indexes": sorted(table.schema.indexes),
    }
    if request.headers.get("hx-request") and request.headers.get("hx-target") == "results":
        return render(request, "results.html", **context)
    return render(request, "table.html", **context)


def item_page(request: Request) -> Response:
    from dynaform.api import items

    try:
        ui, env, table = table_of(request)
        key_text = request.query_params.get("key", "")
        if not key_text:
            return _editor(request, ui, env, table, None)
        found = items.get_item(table, browse.unpack(key_text))
    except DynaformError as exc:
        return error(request, exc)
    if found is None:
        return error(request, DynaformError("the item is not there (any more)"), 404)
    return _editor(request, ui, env, table, found)


def _editor(
    request: Request, ui: UiState, env: str | None, table: ItemTable, found: dict[str, Any] | None
) -> Response:
    from dynaform.api.items import plain

    if found is None:
        key = table.schema.key
        template = {n: {t: ""} for n, t in [key.partition, *([key.sort] if key.sort else [])]}
        text = json.dumps(template, indent=2)
    else:
        text = json.dumps(found, indent=2, ensure_ascii=False)
    return render(
        request,
        "item.html",
        table=table,
        item=found,
        plain=dumps(plain(found), indent=2) if found else "",
        ddb_json=text,
        expected=browse.pack(found) if found else "",
        read_only=ui.read_only_reason(env, table),
    )


async def save_item(request: Request) -> Response:
    form = await request.form()
    return await in_thread(_save, request, {k: str(v) for k, v in form.items()})


def _save(request: Request, form: dict[str, str]) -> Response:
    from dynaform.api import items

    try:
        ui, env, table = table_of(request)
        ui.check_writable(env, table)
        try:
            parsed = json.loads(form.get("item", ""))
        except json.JSONDecodeError as exc:
            raise UsageError(f"not valid JSON: {exc.msg} (line {exc.lineno})") from None
        item = items.checked_wire(parsed)
        expected = browse.unpack(form["expected"]) if form.get("expected") else None
        if expected is not None and table.key_of(expected) != table.key_of(item):
            raise UsageError("the key cannot change in an edit; create a new item instead")
        items.put_item(table, item, expected=expected, if_not_exists=expected is None)
    except DynaformError as exc:
        return error(request, exc)
    key = browse.pack(table.key_of(item))
    where = f"/t/{request.path_params['name']}/item?env={env or ''}&key={key}&saved=1"
    return RedirectResponse(where, status_code=303)


async def delete_items(request: Request) -> Response:
    form = await request.form()
    return await in_thread(_delete, request, [str(v) for v in form.getlist("item")])


def _delete(request: Request, packed: list[str]) -> Response:
    from dynaform.api import items

    deleted, conflicts = 0, []
    try:
        ui, env, table = table_of(request)
        ui.check_writable(env, table)
        for text in packed:
            expected = browse.unpack(text)
            try:
                items.delete_item(table, table.key_of(expected), expected=expected)
                deleted += 1
            except items.ItemConflictError as exc:
                conflicts.append(f"{table.key_of(expected)}: {exc.message}")
    except DynaformError as exc:
        return error(request, exc)
    if conflicts:
        message = f"deleted {deleted}; {len(conflicts)} not deleted because they changed"
        return error(request, items.ItemConflictError(message, hint="; ".join(conflicts)))
    return RedirectResponse(
        f"/t/{request.path_params['name']}?env={env or ''}&deleted={deleted}", 303
    )


async def in_thread(function: Any, *args: Any) -> Response:
    from starlette.concurrency import run_in_threadpool

    result: Response = await run_in_threadpool(function, *args)
    return result
