"""``dynaform ui`` in a real browser: Debian's Chromium driven by Playwright, against DynamoDB
Local with the calendar example applied and seeded. Screenshots land in docs/ (docs/ui.md)."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page

from dynaform import api
from dynaform.api import data, items
from dynaform.settings import Flags
from tests.ui.harness import (
    BIG,
    CALENDAR_ID,
    ROOT,
    Served,
    calendar_project,
    chromium,
    serve_ui,
)

# The screenshots in docs/ui.md are refreshed with DYNAFORM_UI_SCREENSHOTS=docs; an ordinary
# run writes them to a temporary folder, so `make test` leaves the work tree clean.
SHOTS_ENV = "DYNAFORM_UI_SCREENSHOTS"
DOCS = ROOT / "docs" if os.environ.get(SHOTS_ENV) == "docs" else Path(tempfile.mkdtemp())


@pytest.fixture(scope="module")
def site(ddb_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    directory = tmp_path_factory.mktemp("calendar-ui")
    project, table = calendar_project(directory, ddb_endpoint)
    with serve_ui(project, ddb_endpoint) as served:
        yield served, table, ddb_endpoint


@pytest.fixture(scope="module")
def browser(site: Any) -> Iterator[BrowserContext]:
    with chromium() as context:
        yield context


@pytest.fixture(scope="module")
def page(browser: BrowserContext, site: Any) -> Page:
    served: Served = site[0]
    tab = browser.new_page()
    tab.on("dialog", lambda dialog: dialog.accept())
    tab.goto(served.url)  # the token becomes a cookie and leaves the address bar
    assert "token" not in tab.url
    return tab


def table_handle(site: Any) -> items.ItemTable:
    _, table, endpoint = site
    binding = api.bind(None, None, Flags(endpoint_url=endpoint), {})
    return items.open_table(binding, table)


def test_the_token_host_and_origin_are_required(site: Any) -> None:
    served: Served = site[0]
    assert httpx.get(served.base + "/").status_code == 401
    assert httpx.get(served.base + "/?token=wrong").status_code == 401
    with_token = httpx.get(served.url)
    assert with_token.status_code == 303 and "dynaform_ui=" in with_token.headers["set-cookie"]
    cookies = {"dynaform_ui": served.token}
    assert httpx.get(served.base + "/", cookies=cookies).status_code == 200
    rebound = httpx.get(served.base + "/", cookies=cookies, headers={"Host": "evil.test"})
    assert rebound.status_code == 403
    forged = httpx.post(
        served.base + f"/t/{site[1]}/delete",
        cookies=cookies,
        headers={"Origin": "http://evil.test"},
        data={"item": "x"},
    )
    assert forged.status_code == 403


def test_home_lists_the_tables_and_pages_go_forward_and_back(page: Page, site: Any) -> None:
    table = site[1]
    expect_text(page, "#declared", table)
    assert "in sync" in page.inner_text("#declared")
    page.screenshot(path=str(DOCS / "ui-home.png"))
    page.click(f"#declared a[href^='/t/{table}']")
    page.wait_for_selector("#items")
    first = page.inner_text("#items tbody")
    page.select_option("#size", "10")
    page.click("#run")
    page.wait_for_function("document.querySelectorAll('#items tbody tr').length == 10")
    first = page.inner_text("#items tbody")
    page.click("#next")
    page.wait_for_selector("text=page 2")
    assert page.inner_text("#items tbody") != first
    page.click("#prev")
    page.wait_for_selector("text=page 1")
    assert page.inner_text("#items tbody") == first
    page.screenshot(path=str(DOCS / "ui-table.png"), full_page=False)


def test_query_the_year_index_for_a_week_and_filter_by_entity_type(page: Page, site: Any) -> None:
    page.goto(f"{site[0].base}/t/{site[1]}?env=dev")
    page.select_option("#index", "GSI1-YearView")
    page.fill("#pk", f"CALENDAR#{CALENDAR_ID}#2024")
    page.select_option("#op", "between")
    page.fill("#v1", "2024-06-03")
    page.fill("#v2", "2024-06-10")
    page.select_option("#size", "200")
    page.click("#run")
    page.wait_for_selector("text=query · page 1")
    starts = column(page, "GSI1SK")
    assert starts and all("2024-06-03" <= s < "2024-06-10" for s in starts)
    page.screenshot(path=str(DOCS / "ui-query.png"))
    page.goto(f"{site[0].base}/t/{site[1]}?env=dev&size=200")
    page.click(".types a.chip:has-text('entry')")
    page.wait_for_selector(".chip.on")
    assert set(column(page, "_type")) == {"entry"}


def test_the_38_digit_number_is_shown_and_edited_exactly(page: Page, site: Any) -> None:
    page.goto(f"{site[0].base}/t/{site[1]}?env=dev&pk=BIG%231")
    assert BIG in page.inner_text("#items")
    page.click("#items a.open")
    assert f'"n": {BIG}' in page.inner_text("#plain")
    page.screenshot(path=str(DOCS / "ui-item.png"))
    edited = json.loads(page.input_value("#item-json"))
    edited["note"] = {"S": "edited in the browser"}
    page.fill("#item-json", json.dumps(edited))
    page.click("#save")
    page.wait_for_selector("#saved")
    stored = items.get_item(table_handle(site), {"PK": {"S": "BIG#1"}, "SK": {"S": "N"}})
    assert stored is not None and stored["n"] == {"N": BIG}
    assert stored["note"] == {"S": "edited in the browser"}


def test_an_item_changed_meanwhile_is_a_conflict_not_an_overwrite(page: Page, site: Any) -> None:
    handle = table_handle(site)
    key = {"PK": {"S": "BIG#1"}, "SK": {"S": "N"}}
    page.goto(f"{site[0].base}/t/{site[1]}?env=dev&pk=BIG%231")
    page.click("#items a.open")
    shown = json.loads(page.input_value("#item-json"))
    theirs = dict(shown) | {"note": {"S": "someone else"}}
    items.put_item(handle, theirs)  # another writer, after the page was shown
    page.fill("#item-json", json.dumps(shown | {"note": {"S": "mine"}}))
    page.click("#save")
    page.wait_for_selector(".error")
    assert "changed" in page.inner_text(".error")
    page.screenshot(path=str(DOCS / "ui-conflict.png"))
    assert (DOCS / "ui-conflict.png").stat().st_size > 1000
    assert items.get_item(handle, key) == theirs


def test_delete_and_export(page: Page, site: Any) -> None:
    handle = table_handle(site)
    items.put_item(handle, {"PK": {"S": "GONE#1"}, "SK": {"S": "X"}, "_type": {"S": "temp"}})
    page.goto(f"{site[0].base}/t/{site[1]}?env=dev&pk=GONE%231")
    page.click("#items a.open")
    page.click("#delete")
    page.wait_for_selector("#items")
    assert items.get_item(handle, {"PK": {"S": "GONE#1"}, "SK": {"S": "X"}}) is None
    page.goto(f"{site[0].base}/t/{site[1]}?env=dev&pk=CALENDAR%23{CALENDAR_ID}")
    with page.expect_download() as download:
        page.click("#export-ddb")
    lines = Path(download.value.path()).read_text().splitlines()
    exported = [json.loads(line)["Item"] for line in lines]
    expected = items.query(handle, items.Query(f"CALENDAR#{CALENDAR_ID}")).items
    assert len(exported) == len(expected) > 25 and exported == expected


def column(page: Page, name: str) -> list[str]:
    headers = [h.strip() for h in page.locator("#items thead th").all_inner_texts()]
    at = headers.index(name)
    cells = page.locator(f"#items tbody tr td:nth-child({at + 1})").all_inner_texts()
    return [c.strip() for c in cells]


def expect_text(page: Page, selector: str, text: str) -> None:
    page.wait_for_selector(selector)
    assert text in page.inner_text(selector)


ENTRY_FIELDS = [
    "calendar_id",
    "entry_id",
    "kind",
    "title",
    "description",
    "start",
    "end",
    "all_day",
    "due",
    "done",
    "recurrence_id",
    "version",
]


def test_declared_entities_give_the_types_their_fields_and_groups(page: Page, site: Any) -> None:
    page.goto(f"{site[0].base}/t/{site[1]}?env=dev&size=50")
    declared = page.locator(".types a.chip.declared")
    types = declared.evaluate_all("cs => cs.map(c => c.dataset.type)")
    # from the project's entities: (entities.py, then events.py), on the page or not
    assert types[:4] == ["user", "calendar", "membership", "entry"]
    assert {"account", "event", "master"} <= set(types) and "counter" not in types
    assert "PK = USER#{user_id}" in (declared.first.get_attribute("title") or "")
    page.click(".types a.chip[data-type='entry']")
    page.wait_for_selector(".chip.on[data-type='entry']")
    headers = [h.strip() for h in page.locator("#items thead th").all_inner_texts()]
    assert headers[headers.index("PK") :][: 2 + len(ENTRY_FIELDS)] == ["PK", "SK", *ENTRY_FIELDS]
    assert set(column(page, "_type")) == {"entry"}
    page.goto(f"{site[0].base}/t/{site[1]}?env=dev&size=200")
    page.check("#group")
    page.click("#run")
    page.wait_for_selector("#items tr.group")
    page.screenshot(path=str(DOCS / "ui-entities.png"))
    at = [h.strip() for h in page.locator("#items thead th").all_inner_texts()].index("_type")
    groups = page.eval_on_selector_all(
        "#items tbody tr",
        """(rows, at) => { let group = null; const seen = [];
          for (const row of rows) {
            if (row.classList.contains('group')) { group = row.dataset.type; continue; }
            seen.push([group, row.children[at].innerText.trim()]);
          }
          return seen; }""",
        at,
    )
    assert len(groups) > 60 and all(group == kind for group, kind in groups)
    order = list(dict.fromkeys(group for group, _ in groups))
    assert order[:2] == ["user", "calendar"] and order[-1] == "counter"  # undeclared last


def test_import_a_file_with_progress_and_rejects(page: Page, site: Any, tmp_path: Path) -> None:
    handle = table_handle(site)
    lines = [{"Item": {"PK": {"S": "IMP#1"}, "SK": {"S": f"{n:03}"}}} for n in range(40)]
    lines[7]["Item"]["n"] = {"N": "1E+200"}  # out of DynamoDB's range: a reject
    upload = tmp_path / "items.ddb.jsonl"
    upload.write_text("".join(json.dumps(line) + "\n" for line in lines))
    done = import_through_the_page(page, site, upload)
    assert "imported 39 item(s), 1 rejected" in done
    rejects = page.inner_text("#rejects")
    assert "items.ddb.jsonl:8" in rejects and "1E+200" in rejects
    page.screenshot(path=str(DOCS / "ui-import.png"))
    stored = items.query(handle, items.Query("IMP#1")).items
    assert [i["SK"]["S"] for i in stored] == [f"{n:03}" for n in range(40) if n != 7]
    sheet = tmp_path / "counts.csv"
    sheet.write_text(f'PK,SK,n,tags\nIMP#2,a,{BIG},"[1, 2]"\nIMP#2,b,-0.5,\n')
    page.goto(f"{site[0].base}/t/{site[1]}/import?env=dev")
    page.fill("#import-types", "n=N,tags=JSON")
    assert "imported 2 item(s), 0 rejected" in import_through_the_page(page, site, sheet)
    row = items.get_item(handle, {"PK": {"S": "IMP#2"}, "SK": {"S": "a"}})
    assert row is not None and row["n"] == {"N": BIG}
    assert row["tags"] == {"L": [{"N": "1"}, {"N": "2"}]}


def import_through_the_page(page: Page, site: Any, upload: Path) -> str:
    if "/import" not in page.url:
        page.goto(f"{site[0].base}/t/{site[1]}?env=dev")
        page.click("#import")
    page.set_input_files("#import-file", str(upload))
    page.click("#import-run")
    page.wait_for_selector("#import-status")
    page.wait_for_selector("#import-done")  # the status is polled until the job ends
    assert page.locator("#import-status[hx-get]").count() == 0  # polling stopped
    return page.inner_text("#import-status")


def test_csv_export_is_the_data_planes(page: Page, site: Any, tmp_path: Path) -> None:
    _, table, endpoint = site
    page.goto(f"{site[0].base}/t/{site[1]}?env=dev&size=10")
    with page.expect_download() as download:
        page.click("#export-csv")
    exported = Path(download.value.path()).read_bytes()
    binding = api.bind(None, None, Flags(endpoint_url=endpoint), {})
    reference = tmp_path / "reference.csv"
    data.export_items(data.data_table(binding, table), reference, fmt="csv")
    assert exported == reference.read_bytes()  # every item, not the page of 10
    header, *rows = exported.decode().splitlines()
    assert header.startswith("PK,SK,") and {"n", "role", "email"} <= set(header.split(","))
    assert len(rows) > 60 and any(BIG in r for r in rows)
