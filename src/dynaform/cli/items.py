"""``dynaform data get/query/scan/put/delete``: see and edit single items.

Keys are typed from the table's key schema (``PK=USER#1``, never ``{"S": ...}``); output is a
table with the union of the items' attributes, or ``--json`` (plain JSON, numbers exact) or
``--ddb-json`` (one ``{"Item": ...}`` line per item, as ``data import`` reads them). Writing
to a table of a protected environment needs --force and its name typed back (or --confirm).
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import typer

from dynaform.cli.context import AppState, confirm, confirm_protected, state
from dynaform.cli.data import CONFIRM_HELP, FORCE_HELP, app
from dynaform.cli.output import out, say
from dynaform.errors import DynaformError, UsageError

if TYPE_CHECKING:
    from dynaform.api.items import ItemTable, Page

TABLE_HELP = "Physical table name, or a logical one in a project."
DDB_JSON_HELP = 'DynamoDB JSON, one {"Item": ...} line per item (re-imports exactly).'
DEFAULT_LIMIT = 25
CELL_WIDTH = 32


def _open(app_state: AppState, name: str) -> ItemTable:
    from dynaform.api import items

    return items.open_table(app_state.bind(project=False), name)


def _print_items(
    app_state: AppState, table: ItemTable, wire_items: list[dict[str, Any]], ddb_json: bool
) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from dynaform.api.items import plain
    from dynaform.core.item_json import columns, display, dumps

    if ddb_json:
        for item in wire_items:
            out.file.write(json.dumps({"Item": item}, ensure_ascii=False) + "\n")
        out.file.flush()
        return
    items = [plain(i) for i in wire_items]
    if app_state.json:
        out.file.write(dumps(items, indent=2) + "\n")
        out.file.flush()
        return
    names = columns(items, table.schema.key.names)
    grid = Table(header_style="bold")
    for name in names:
        grid.add_column(name, no_wrap=True, overflow="ellipsis", min_width=min(len(name), 12))
    widths = [len(n) for n in names]
    for item in items:
        cells = [display(item[n], CELL_WIDTH) if n in item else "" for n in names]
        widths = [max(w, len(c)) for w, c in zip(widths, cells, strict=True)]
        grid.add_row(*map(Text, cells))
    # A terminal squeezes the columns to fit; a pipe or a file gets every column whole.
    if out.is_terminal:
        out.print(grid)
    else:
        wide = sum(w + 3 for w in widths) + 1
        Console(file=out.file, width=max(wide, 80), highlight=False).print(grid)


def _more(page: Page, hint: str) -> None:
    count = len(page.items)
    if page.last_key is not None:
        say(f"[dim]{count} item(s); more match: {hint}[/]")
    else:
        say(f"[dim]{count} item(s)[/]")


@app.command("get")
def get(
    ctx: typer.Context,
    table: str = typer.Argument(..., help=TABLE_HELP),
    key: list[str] = typer.Argument(..., help="The key as KEY=VALUE (partition and sort key)."),
    ddb_json: bool = typer.Option(False, "--ddb-json", help=DDB_JSON_HELP),
) -> None:
    """One item by its key; exit code 1 when there is none.

    Example: dynaform data get main PK=USER#42 SK=PROFILE
    """
    from rich.table import Table
    from rich.text import Text

    from dynaform.api import items
    from dynaform.core.item_json import display, dumps

    app_state = state(ctx)
    target = _open(app_state, table)
    found = items.get_item(target, target.parse_key(key))
    if found is None:
        raise DynaformError(f"no item with that key in {target.name}")
    if ddb_json or app_state.json:
        value = found if ddb_json else items.plain(found)
        text = json.dumps({"Item": value}) if ddb_json else dumps(value, indent=2)
        out.file.write(text + "\n")
        out.file.flush()
        return
    grid = Table("attribute", "type", "value", header_style="bold")
    for name, value in items.plain(found).items():
        grid.add_row(name, next(iter(found[name])), Text(display(value, 10_000)))
    out.print(grid)


def _partition(text: str, name: str) -> str:
    """``PK=VALUE`` (or just ``VALUE``) for the partition key ``name``."""
    before, sep, after = text.partition("=")
    return after if sep and before.strip() == name else text


@app.command("query")
def query(
    ctx: typer.Context,
    table: str = typer.Argument(..., help=TABLE_HELP),
    partition: str = typer.Argument(..., help="The partition key as PK=VALUE."),
    sk: str | None = typer.Option(
        None,
        "--sk",
        help="Sort-key condition: '= V', '< V', '<= V', '> V', '>= V', 'between A and B', "
        "'begins_with P'.",
    ),
    index: str | None = typer.Option(None, "--index", help="Query this index."),
    filter_text: str | None = typer.Option(
        None, "--filter", help="Filter, e.g. 'status = \"open\" and priority >= 3'."
    ),
    limit: int = typer.Option(DEFAULT_LIMIT, "--limit", min=1, help="Items to show."),
    descending: bool = typer.Option(False, "--desc", help="Sort key descending."),
    everything: bool = typer.Option(False, "--all", help="Every matching item."),
    ddb_json: bool = typer.Option(False, "--ddb-json", help=DDB_JSON_HELP),
) -> None:
    """Items of one partition, on the table or an index.

    Example: dynaform data query main PK=CALENDAR#1 --sk "begins_with ENTRY#2024-06"
    """
    from dynaform.api import items
    from dynaform.core.item_keys import parse_sort

    app_state = state(ctx)
    target = _open(app_state, table)
    pk_name = target.schema.of(index).partition[0]
    q = items.Query(
        _partition(partition, pk_name),
        parse_sort(sk) if sk else None,
        index,
        filter_text,
        descending,
    )
    page = items.query(target, q, None if everything else limit)
    _print_items(app_state, target, page.items, ddb_json)
    _more(page, "raise --limit or pass --all")


@app.command("scan")
def scan(
    ctx: typer.Context,
    table: str = typer.Argument(..., help=TABLE_HELP),
    filter_text: str | None = typer.Option(None, "--filter", help="Filter expression."),
    limit: int = typer.Option(DEFAULT_LIMIT, "--limit", min=1, help="Items to show."),
    segments: int = typer.Option(1, "--segments", min=1, max=64, help="Parallel segments."),
    everything: bool = typer.Option(False, "--all", help="Every matching item."),
    ddb_json: bool = typer.Option(False, "--ddb-json", help=DDB_JSON_HELP),
) -> None:
    """Items of the whole table (filtered pages are read until they are full).

    Example: dynaform data scan main --filter 'entity = "user"' --limit 10
    """
    from dynaform.api import items

    app_state = state(ctx)
    target = _open(app_state, table)
    wanted = None if everything else limit
    if segments > 1:
        found = list(items.parallel_scan(target, filter_text, wanted, segments))
        _print_items(app_state, target, found, ddb_json)
        say(f"[dim]{len(found)} item(s)[/]")
        return
    page = items.scan(target, filter_text, wanted)
    _print_items(app_state, target, page.items, ddb_json)
    _more(page, "raise --limit or pass --all")


def _read_item(text: str, ddb_json: bool) -> dict[str, Any]:
    from dynaform.api import items
    from dynaform.core.item_json import loads

    raw = sys.stdin.read() if text == "-" else text
    parsed = loads(raw)
    if isinstance(parsed, dict) and set(parsed) == {"Item"}:
        return items.checked_wire(parsed["Item"])  # a line of data export's files
    if ddb_json:
        return items.checked_wire(parsed)
    if not isinstance(parsed, dict):
        raise UsageError("the item must be a JSON object")
    return items.wire_form(parsed)


@app.command("put")
def put(
    ctx: typer.Context,
    table: str = typer.Argument(..., help=TABLE_HELP),
    item: str = typer.Argument(..., help="The item as JSON, or - to read it from stdin."),
    ddb_json: bool = typer.Option(
        False, "--ddb-json", help="The item is DynamoDB JSON (sets, binary: exact types)."
    ),
    if_not_exists: bool = typer.Option(
        False, "--if-not-exists", help="Only when no item has this key."
    ),
    if_version: int | None = typer.Option(
        None, "--if-version", help="Only when the stored version is N; writes version N+1."
    ),
    force: bool = typer.Option(False, "--force", help=FORCE_HELP),
    typed: str | None = typer.Option(None, "--confirm", help=CONFIRM_HELP),
) -> None:
    """Write one item (replacing the item with its key).

    Example: dynaform data put main '{"PK": "USER#1", "SK": "PROFILE", "name": "Ada"}'
    """
    from dynaform.api import items

    if if_not_exists and if_version is not None:
        raise UsageError("--if-not-exists and --if-version exclude each other")
    app_state = state(ctx)
    wire_item = _read_item(item, ddb_json)
    target = _open(app_state, table)
    confirm_protected(target.binding, [target.name], "write to it", force=force, typed=typed)
    written = items.put_item(target, wire_item, if_not_exists=if_not_exists, if_version=if_version)
    key = {n: next(iter(written[n].values())) for n in target.schema.key.names}
    say(f"wrote {key} to {target.name}")


@app.command("delete")
def delete(
    ctx: typer.Context,
    table: str = typer.Argument(..., help=TABLE_HELP),
    key: list[str] = typer.Argument(..., help="The key as KEY=VALUE (partition and sort key)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask."),
    force: bool = typer.Option(False, "--force", help=FORCE_HELP),
    typed: str | None = typer.Option(None, "--confirm", help=CONFIRM_HELP),
) -> None:
    """Delete one item by its key; exit code 1 when there was none.

    Example: dynaform data delete main PK=USER#42 SK=PROFILE --yes
    """
    from dynaform.api import items

    app_state = state(ctx)
    target = _open(app_state, table)
    wire_key = target.parse_key(key)
    protection = confirm_protected(
        target.binding, [target.name], "delete from it", force=force, typed=typed
    )
    if protection is None:
        confirm(app_state, f"Delete {' '.join(key)} from {target.name}?", yes)
    old = items.delete_item(target, wire_key)
    if old is None:
        raise DynaformError(f"no item with that key in {target.name}; nothing was deleted")
    say(f"deleted {' '.join(key)} from {target.name}")
