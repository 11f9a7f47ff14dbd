"""The examples' entity modules run against DynamoDB Local (tables from their dynaform.yaml)."""

from __future__ import annotations

import importlib.util
import secrets
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from dynaform.core.load import load_project
from dynaform.entities import Store
from tests.helpers import run_cli

ROOT = Path(__file__).resolve().parents[2]


def module(example: str) -> ModuleType:
    path = ROOT / "examples" / example / "entities.py"
    spec = importlib.util.spec_from_file_location(f"example_{example}_entities", path)
    assert spec is not None and spec.loader is not None
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = loaded
    spec.loader.exec_module(loaded)
    return loaded


@pytest.fixture
def store_for(capsys: pytest.CaptureFixture[str], clean_env: Any, ddb_endpoint: str, ddb: Any):  # type: ignore[no-untyped-def]
    def make(example: str) -> Store:
        project_file = ROOT / "examples" / example / "dynaform.yaml"
        applied = run_cli(
            capsys, "-f", str(project_file), "--endpoint-url", ddb_endpoint, "apply", "--yes"
        )
        assert applied.code == 0, applied.stderr
        project = load_project(project_file)
        tables = {s.logical_name: s.name for s in project.resolve("dev")}
        return Store(ddb, tables=tables, cursor_key=secrets.token_bytes(32))

    return make


def test_items_access_patterns(store_for: Any) -> None:
    result = module("items").demo(store_for("items"))
    assert result["active"] >= 1 and result["filtered"] == 1
    assert result["recent_inactive"] >= 10 and result["listed"] >= 32


def test_calendar_single_table(store_for: Any) -> None:
    result = module("calendar").demo(store_for("calendar"))
    assert result["agenda"] == ["timed 0", "all_day 1", "task 2", "timed 3"]
    assert result["recurring"] == 1
    assert "reader" in result["refused"] and "cannot add entries" in result["refused"]


def test_vishmaker_hierarchy_and_waitlist(store_for: Any) -> None:
    result = module("vishmaker").demo(store_for("vishmaker"))
    assert result["tree"] == {"flows": 1, "high": 3, "low": 6, "tests": 6}
    assert result["projects"] >= 1 and result["joined"] is True and result["joined_twice"] is False
    assert result["pending"] >= 1
