"""The project file as the application's source of truth: seeded items read back through the
declared entities, refused seed items named by file:line, Store.from_project, env-vars."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from dynaform.core.load import load_project
from dynaform.entities import Store
from dynaform.entities.declared import declared_entities
from dynaform.seed import registry
from dynaform.seed.run import generate
from tests.helpers import run_cli
from tests.seed.test_seed import CAL, ROOT, example_text

KEY = secrets.token_urlsafe(32)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], clean_env: pytest.MonkeyPatch, ddb_endpoint: str):  # type: ignore[no-untyped-def]
    def run(*args: str) -> Any:
        return run_cli(capsys, "--endpoint-url", ddb_endpoint, *args)

    return run


def copy_example(tmp_path: Path, example: str, old: str, new: str) -> Path:
    path = tmp_path / "dynaform.yaml"
    path.write_text(example_text(example).replace(old, new))
    return path


def store(path: Path, endpoint: str) -> Store:
    """Through the project file alone: only the endpoint overridden, as --endpoint-url does."""
    environ = {"DYNAFORM_ENV": "dev", "DYNAFORM_CURSOR_KEY": KEY}
    return Store.from_project(path, environ=environ, endpoint_url=endpoint)


def classes(path: Path) -> dict[str, Any]:
    return {c.__name__: c for c in declared_entities(load_project(path))}


def test_seeded_calendar_reads_back_through_the_entities(
    cli: Any, tmp_path: Path, table_name: Any, ddb_endpoint: str
) -> None:
    name = table_name("calent")
    path = copy_example(tmp_path, "calendar", "project: calendsync", f"project: {name}")
    assert cli("-f", str(path), "apply", "--yes").code == 0
    options = ["--calendar-id", CAL, "--seed", "7", "--highlighted-day", "2024-06-15"]
    seeded = cli("-f", str(path), "seed", "-g", "calendar", "--count", "50", *options, "--yes")
    assert seeded.code == 0, seeded.stderr
    gen = registry.find("calendar")
    values = {"calendar_id": CAL, "highlighted_day": date(2024, 6, 15), "owner_name": None}
    written = [item for _, item in generate(gen, 50, 7, values, lambda key: False)]
    expected = {i["entryId"]: i for i in written if i["entity"] == "entry"}

    s, cls = store(path, ddb_endpoint), classes(path)
    calendar = s.get(cls["Calendar"], calendar_id=CAL)
    owner = s.get(cls["User"], user_id=calendar.owner_id)
    assert s.get(cls["CalendarMembership"], calendar_id=CAL, user_id=owner.user_id).role == "owner"
    entries = list(s.query_all(cls["CalendarEntry"], calendar_id=CAL))
    assert len(entries) == len(expected) == 50
    for entry in entries:
        source = expected[entry.entry_id]
        assert (entry.title, entry.kind, entry.description) == (
            source["title"],
            source["kind"],
            source["description"],
        )
        assert entry.start == datetime.fromisoformat(source["start"])
        assert entry.all_day == source["allDay"] and entry.version == source["version"]
    june = [e for e in expected.values() if e["start"].startswith("2024")]
    by_year = list(
        s.query_all(
            cls["CalendarEntry"],
            index="GSI1-YearView",
            calendar_id=CAL,
            start=datetime(2024, 1, 1),
        )
    )
    assert len(by_year) == len(june)  # index keys written as the entity writes them


def test_seeded_items_read_back_and_query_by_status(
    cli: Any, tmp_path: Path, table_name: Any, ddb_endpoint: str
) -> None:
    name = table_name("itent")
    path = copy_example(
        tmp_path, "items", 'naming: "{table}-{env}"', f'naming: "{name}-{{table}}-{{env}}"'
    )
    assert cli("-f", str(path), "apply", "--yes").code == 0
    assert cli("-f", str(path), "seed", "-g", "items", "--count", "7", "--yes").code == 0
    s, item = store(path, ddb_endpoint), classes(path)["Item"]
    everything = list(s.query_all(item, index="status-index", status="active"))
    names = sorted(i.name for i in everything)
    assert names == ["Keyboard", "Laptop", "Laptop #2", "Monitor", "Monitor #2"]  # 5 of 7
    assert s.count(item) == 7
    laptop = next(i for i in everything if i.name == "Laptop")
    assert s.get(item, id=laptop.id).createdBy == "seed" and laptop.version == 1


def test_a_seed_item_its_entity_refuses_is_named_by_file_and_line(
    cli: Any, tmp_path: Path, table_name: Any
) -> None:
    name = table_name("itbad")
    path = copy_example(
        tmp_path, "items", 'naming: "{table}-{env}"', f'naming: "{name}-{{table}}-{{env}}"'
    )
    assert cli("-f", str(path), "apply", "--yes").code == 0
    seeds = tmp_path / "bad.yaml"
    seeds.write_text(
        "table: items\nitems:\n"
        "  - {id: a, name: ok, createdAt: 1, updatedAt: 1}\n"
        "  - {id: b, name: bad, status: lost, createdAt: 1, updatedAt: 1}\n"
    )
    refused = cli("-f", str(path), "seed", str(seeds), "--yes")
    assert refused.code == 1
    assert f"{seeds}:4: Item.status" in refused.stderr and "nothing was written" in refused.stderr
    assert cli("-f", str(path), "data", "count", "items").stdout.startswith(f"{name}-items-dev: 0")

    cal_name = table_name("calbad")
    cal = copy_example(tmp_path / "..", "calendar", "project: calendsync", f"project: {cal_name}")
    assert cli("-f", str(cal), "apply", "--yes").code == 0
    wrong_key = tmp_path / "key.yaml"
    wrong_key.write_text(
        "table: main\nitems:\n"
        "  - {_type: user, PK: 'USER#1', SK: PROFILE, userId: '2', name: A, email: a@b.c}\n"
    )
    mismatch = cli("-f", str(cal), "seed", str(wrong_key), "--yes")
    assert mismatch.code == 1 and f"{wrong_key}:3: PK is 'USER#1'" in mismatch.stderr
    untyped = tmp_path / "untyped.yaml"
    untyped.write_text("table: main\nitems:\n  - {userId: '2', name: A, email: a@b.c}\n")
    which = cli("-f", str(cal), "seed", str(untyped), "--yes")
    assert which.code == 1 and f"{untyped}:3: which entity is this item?" in which.stderr


def test_env_vars_every_format(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    expenses = str(ROOT / "examples/expenses/dynaform.yaml")
    dotenv = run_cli(capsys, "-f", expenses, "-e", "production", "env-vars", "--format", "dotenv")
    assert dotenv.code == 0, dotenv.stderr
    tables = [line for line in dotenv.stdout.splitlines() if "_TABLE_NAME=" in line]
    assert len(tables) == 13
    assert "COMPANY_EXPENSES_TABLE_NAME=construction-expenses-company-expenses" in tables
    assert "COMPANIES_BY_EMAIL_INDEX_NAME=by-email" in dotenv.stdout

    items = str(ROOT / "examples/items/dynaform.yaml")
    as_json = run_cli(capsys, "-f", items, "-e", "prod", "env-vars", "--format", "json")
    assert json.loads(as_json.stdout) == {
        "ITEMS_TABLE_NAME": "items-prod",
        "ITEMS_STATUS_INDEX_INDEX_NAME": "status-index",
    }
    shell = run_cli(capsys, "-f", items, "env-vars", "--format", "shell", "--prefix", "app_")
    printed = subprocess.run(
        ["sh", "-c", shell.stdout + 'printf %s "$APP_ITEMS_TABLE_NAME"'],
        capture_output=True,
        text=True,
        check=True,
    )
    assert printed.stdout == "items-dev"
    python = run_cli(capsys, "-f", items, "-e", "staging", "env-vars", "--format", "python")
    namespace: dict[str, Any] = {}
    exec(compile(python.stdout, "generated.py", "exec"), namespace)
    assert namespace["TABLES"] == {"items": "items-staging"}
    typescript = run_cli(capsys, "-f", items, "env-vars", "--format", "typescript")
    assert 'export const ITEMS_TABLE_NAME = "items-dev" as const;' in typescript.stdout
    assert 'export const TABLES = { "items": "items-dev" } as const;' in typescript.stdout
    unknown = run_cli(capsys, "-f", items, "env-vars", "--format", "xml")
    assert unknown.code == 2 and "dotenv, json, shell, python, typescript" in unknown.stderr


def test_env_vars_overrides_and_clashes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "dynaform.yaml"
    text = (ROOT / "examples/items/dynaform.yaml").read_text()
    path.write_text(text + "env_vars: {items: ITEMS_TABLE, items/status-index: STATUS_INDEX}\n")
    named = run_cli(capsys, "-f", str(path), "env-vars")
    assert "ITEMS_TABLE=items-dev\nSTATUS_INDEX=status-index\n" in named.stdout
    path.write_text(text + "env_vars: {items: ITEMS_STATUS_INDEX_INDEX_NAME}\n")
    clash = run_cli(capsys, "-f", str(path), "env-vars")
    assert clash.code == 1 and "two names map to the variable" in clash.stderr
    path.write_text(text + "env_vars: {orders: ORDERS}\n")
    unknown = run_cli(capsys, "-f", str(path), "env-vars")
    assert unknown.code == 1 and "'orders'" in unknown.stderr


def test_examples_run_on_the_project_file_alone(
    capsys: pytest.CaptureFixture[str],
    clean_env: pytest.MonkeyPatch,
    ddb_endpoint: str,
    tmp_path: Path,
) -> None:
    """`python examples/items/entities.py` takes its tables from dynaform.yaml (no names)."""
    project = str(ROOT / "examples/items/dynaform.yaml")
    # staging, so the demo's items do not meet test_examples' (they use items-dev)
    flags = ["-f", project, "-e", "staging", "--endpoint-url", ddb_endpoint]
    applied = run_cli(capsys, *flags, "apply", "--yes")
    assert applied.code == 0, applied.stderr
    example = str(ROOT / "examples/items/entities.py")
    done = subprocess.run(
        [sys.executable, example, "-e", "staging", "--endpoint-url", ddb_endpoint],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": os.environ["PATH"], "DYNAFORM_CURSOR_KEY": KEY, "HOME": str(tmp_path)},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "'active':" in done.stdout
    for example in ("calendar", "items", "vishmaker"):
        source = (ROOT / "examples" / example / "entities.py").read_text()
        assert "Store.from_project(" in source and "-dev-" not in source
