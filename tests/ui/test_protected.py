"""A protected environment in the browser: read-only (no write controls, and every write sent
to the server refused with the reason) unless `dynaform ui --allow-writes ENV`."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from dynaform import api
from dynaform.api import items
from dynaform.settings import Flags
from tests.ui.harness import chromium, serve_ui

POST = """async ([url, fields, file]) => {
  const body = new FormData();
  for (const [k, v] of Object.entries(fields)) body.append(k, v);
  if (file) body.append('file', new Blob([file]), 'items.jsonl');
  const answer = await fetch(url, {method: 'POST', body});
  return [answer.status, await answer.text()];
}"""


def protected_project(directory: Path, endpoint: str) -> tuple[Path, items.ItemTable]:
    name = f"prot{uuid.uuid4().hex[:6]}"
    path = directory / "dynaform.yaml"
    path.write_text(
        f"project: {name}\nnaming: '{{project}}-{{env}}-{{table}}'\ndefault_env: prod\n"
        "environments:\n  prod: {target: local, protected: true}\n"
        "tables:\n  main: {partition_key: id}\n"
    )
    env = os.environ | {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}
    command = [sys.executable, "-m", "dynaform", "-f", str(path), "--endpoint-url", endpoint]
    done = subprocess.run(
        [*command, "apply", "--yes"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    binding = api.bind(None, None, Flags(endpoint_url=endpoint), {})
    table = items.open_table(binding, f"{name}-prod-main")
    items.put_item(table, {"id": {"S": "a"}, "n": {"N": "1"}})
    return path, table


def pack(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode()).decode()


def test_a_protected_environment_is_read_only_unless_allowed(
    ddb_endpoint: str, tmp_path: Path
) -> None:
    project, table = protected_project(tmp_path, ddb_endpoint)
    stored = {"id": {"S": "a"}, "n": {"N": "1"}}
    with chromium() as browser:
        page = browser.new_page()
        with serve_ui(project, ddb_endpoint) as served:
            page.goto(served.url)
            page.goto(f"{served.base}/t/{table.name}")
            message = page.inner_text(".readonly")
            assert "protected environment prod" in message
            assert "--allow-writes prod" in message
            for control in ("#new-item", "#import", "#delete-selected", "input[name=item]"):
                assert page.locator(control).count() == 0, control
            page.click("#items a.open")
            assert page.locator("#save").count() + page.locator("#delete").count() == 0
            refusals = every_write_refused(page, served.base, table.name, stored)
            assert all(status in (400, 403) for status, _ in refusals), refusals
            assert all(
                "read-only" in text and "--allow-writes prod" in text for _, text in refusals
            )
        assert items.scan(table).items == [stored]  # nothing was written
        with serve_ui(project, ddb_endpoint, "--allow-writes", "prod") as served:
            page.goto(served.url)
            page.goto(f"{served.base}/t/{table.name}")
            assert page.locator(".readonly").count() == 0
            page.click("#new-item")
            page.fill("#item-json", json.dumps({"id": {"S": "b"}, "n": {"N": "2"}}))
            page.click("#save")
            page.wait_for_selector("#saved")
    assert items.get_item(table, {"id": {"S": "b"}}) == {"id": {"S": "b"}, "n": {"N": "2"}}


def every_write_refused(
    page: Page, base: str, table: str, stored: dict[str, Any]
) -> list[tuple[int, str]]:
    """Edit, delete, create and import sent as the pages would send them."""
    edited = json.dumps(stored | {"n": {"N": "9"}})
    created = json.dumps({"id": {"S": "new"}})
    line = json.dumps({"Item": {"id": {"S": "imported"}}}) + "\n"
    sent = [
        (f"/t/{table}/item", {"item": edited, "expected": pack(stored)}, None),
        (f"/t/{table}/delete", {"item": pack(stored)}, None),
        (f"/t/{table}/item", {"item": created, "expected": ""}, None),
        (f"/t/{table}/import", {"format": ""}, line),
    ]
    answers = [page.evaluate(POST, [base + url, fields, file]) for url, fields, file in sent]
    form = page.request.get(f"{base}/t/{table}/import")
    answers.append([form.status, form.text()])
    return [(int(status), str(text)) for status, text in answers]
