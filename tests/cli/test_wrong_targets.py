"""Holes found by an adversarial pass, each closed: protection through --to-endpoint, a stale or
foreign holding table, forged and stale saved plans, a changed import source, exports over the
project's own files, and in-place changes to a protected environment's tables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dynaform.core.planfile import checksum
from tests.cli.test_safety import two_environments, undeclare
from tests.cli.test_tables import count, project_file


def test_copy_to_another_endpoint_still_protects_the_projects_tables(
    df: Any, ddb: Any, ddb_endpoint: str, tmp_path: Path, table_name: Any
) -> None:
    name = table_name("toend")
    path = two_environments(tmp_path, name)
    assert df(path, "-e", "prod", "apply", "--yes").code == 0
    assert df(path, "-e", "dev", "apply", "--yes").code == 0
    prod, dev = f"items-{name}-prod", f"items-{name}-dev"
    ddb.put_item(TableName=prod, Item={"id": {"S": "a"}, "v": {"S": "precious"}})
    ddb.put_item(TableName=dev, Item={"id": {"S": "a"}, "v": {"S": "scratch"}})
    copied = df(path, "-e", "dev", "data", "copy", "items", prod, "--to-endpoint", ddb_endpoint)
    assert copied.code == 2 and "protected environment prod" in copied.stderr
    assert ddb.get_item(TableName=prod, Key={"id": {"S": "a"}})["Item"]["v"]["S"] == "precious"


def _rebuild_project(tmp_path: Path, name: str, ddb: Any, df: Any) -> tuple[Path, str, str]:
    path = project_file(tmp_path, name, "main: {partition_key: PK, sort_key: SK}\n")
    assert df(path, "apply", "--yes").code == 0
    table = f"{name}-dev-main"
    for i in range(20):
        ddb.put_item(TableName=table, Item={"PK": {"S": "p"}, "SK": {"S": str(i)}})
    return path, table, f"{table}.dynaform-rebuild"


def _make(ddb: Any, name: str, keys: list[tuple[str, str, str]]) -> None:
    ddb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, _, t in keys],
        KeySchema=[{"AttributeName": n, "KeyType": k} for n, k, _ in keys],
    )


def test_a_foreign_holding_table_is_never_copied_anywhere(
    df: Any, ddb: Any, tmp_path: Path, table_name: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path, table, hold = _rebuild_project(tmp_path, table_name("foreign"), ddb, df)
    path.write_text(path.read_text().replace("sort_key: SK", "sort_key: {name: SK, type: N}"))
    _make(ddb, hold, [("other", "HASH", "S")])
    ddb.put_item(TableName=hold, Item={"other": {"S": "x"}})
    refused = df(path, "apply", "--yes")
    assert refused.code == 1 and "not made by a rebuild of this table" in refused.stderr
    assert count(ddb, table) == 20 and count(ddb, hold) == 1


def test_a_leftover_holding_table_never_undoes_newer_writes(
    df: Any, ddb: Any, tmp_path: Path, table_name: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path, table, hold = _rebuild_project(tmp_path, table_name("leftover"), ddb, df)
    _make(ddb, hold, [("PK", "HASH", "S"), ("SK", "RANGE", "S")])
    ddb.put_item(TableName=hold, Item={"PK": {"S": "p"}, "SK": {"S": "0"}, "old": {"S": "yes"}})
    refused = df(path, "apply", "--yes")
    assert refused.code == 1 and "not an interrupted copy back" in refused.stderr
    item = ddb.get_item(TableName=table, Key={"PK": {"S": "p"}, "SK": {"S": "0"}})["Item"]
    assert "old" not in item and count(ddb, table) == 20


def test_a_rebuild_verified_before_the_kill_only_deletes_its_holding_table(
    df: Any, ddb: Any, tmp_path: Path, table_name: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path, table, hold = _rebuild_project(tmp_path, table_name("marked"), ddb, df)
    _make(ddb, hold, [("PK", "HASH", "S"), ("SK", "RANGE", "S")])
    for i in range(25):  # the held copy: older versions, and an item deleted since
        ddb.put_item(
            TableName=hold, Item={"PK": {"S": "p"}, "SK": {"S": str(i)}, "old": {"S": "1"}}
        )
    ddb.update_time_to_live(
        TableName=hold,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "dynaform_rebuild_restored"},
    )
    assert df(path, "apply", "--yes").code == 0
    assert hold not in ddb.list_tables()["TableNames"]
    assert count(ddb, table) == 20  # nothing copied back over the rebuilt table


def _saved(df: Any, path: Path, tmp_path: Path, *args: str) -> dict[str, Any]:
    saved = tmp_path / "p.json"
    assert df(path, "plan", "--out", str(saved), *args).code == 0
    return dict(json.loads(saved.read_text()))


def test_a_forged_plan_file_cannot_delete_a_table_it_does_not_own(
    df: Any, ddb: Any, tmp_path: Path, table_name: Any
) -> None:
    name = table_name("forged")
    path = two_environments(tmp_path, name, "extra")
    assert df(path, "-e", "prod", "apply", "--yes").code == 0
    undeclare(path, "extra")
    data = _saved(df, path, tmp_path, "-e", "dev")
    victim = f"items-{name}-prod"
    data["changes"][0].update(table=victim, kind="delete")
    data["changes"][0]["operations"] = [
        {
            "type": "delete_table",
            "field": "table",
            "steps": [
                {
                    "table": victim,
                    "operation": "DeleteTable",
                    "params": {"TableName": victim},
                    "action": "create index",
                }
            ],
        }
    ]
    data["tables"].append(victim)
    data["checksum"] = checksum(data)  # a forger can recompute an unkeyed checksum
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(data))
    refused = df(path, "-e", "dev", "apply", str(forged), "--yes")
    assert refused.code == 1 and "is not an undeclared table of this project" in refused.stderr
    assert victim in ddb.list_tables()["TableNames"]


def test_a_saved_prune_refuses_a_table_that_filled_up_since(
    df: Any, ddb: Any, tmp_path: Path, table_name: Any
) -> None:
    name = table_name("filled")
    path = project_file(tmp_path, name, "keep: {partition_key: PK}\ngone: {partition_key: PK}\n")
    assert df(path, "apply", "--yes").code == 0
    path.write_text(path.read_text().replace("  gone: {partition_key: PK}\n", ""))
    saved = tmp_path / "prune.json"
    shown = df(path, "plan", "--prune", "--out", str(saved))
    assert "0 item(s) will be lost" in shown.stdout
    ddb.put_item(TableName=f"{name}-dev-gone", Item={"PK": {"S": "new"}})
    refused = df(path, "apply", str(saved), "--yes")
    assert refused.code == 1 and "changed since" in refused.stderr + refused.stdout
    assert count(ddb, f"{name}-dev-gone") == 1


def test_resume_of_an_import_whose_file_changed_is_refused(
    df: Any, ddb: Any, tmp_path: Path, table_name: Any
) -> None:
    name = table_name("changed")
    path = project_file(tmp_path, name, "main: {partition_key: id}\n")
    assert df(path, "apply", "--yes").code == 0
    source = tmp_path / "items.jsonl"
    source.write_text("".join(json.dumps({"id": f"k{i}"}) + "\n" for i in range(50)))
    checkpoint = tmp_path / "items.jsonl.checkpoint.json"
    saved = {
        "table": f"{name}-dev-main",
        "files": {str(source): 30},
        "sources": {str(source): {"size": 1, "head": "x", "tail": "x"}},
    }
    checkpoint.write_text(json.dumps(saved))  # as an earlier run, stopped, left it
    refused = df(path, "data", "import", "main", str(source), "--resume")
    assert refused.code == 1 and "changed since the import stopped" in refused.stderr
    assert count(ddb, f"{name}-dev-main") == 0


def test_an_export_never_replaces_the_projects_own_files(
    df: Any, ddb: Any, tmp_path: Path, table_name: Any
) -> None:
    name = table_name("incl")
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "things.yaml").write_text("things: {partition_key: id}\n")
    path = project_file(
        tmp_path, name, "main: {partition_key: id}\n", extra="include: [tables/*.yaml]\n"
    )
    assert df(path, "apply", "--yes").code == 0
    for target in ("tables/things.yaml", ".dynaform/owned.json", "tables/../dynaform.yaml"):
        out = tmp_path / target
        before = out.read_bytes() if out.exists() else None
        refused = df(path, "data", "export", "main", "--out", str(out), "--force")
        assert refused.code == 2 and "belongs to the project" in refused.stderr, target
        assert (out.read_bytes() if out.exists() else None) == before


def test_an_in_place_change_to_a_protected_table_needs_its_name_typed_back(
    df: Any, ddb: Any, tmp_path: Path, table_name: Any
) -> None:
    name = table_name("inplace")
    path = two_environments(tmp_path, name)
    path.write_text(
        path.read_text().replace(
            "{partition_key: id}", "{partition_key: id, indexes: {byV: {partition_key: v}}}"
        )
    )
    assert df(path, "-e", "prod", "apply", "--yes").code == 0  # creating needs no typed name
    path.write_text(path.read_text().replace(", indexes: {byV: {partition_key: v}}", ""))
    refused = df(path, "-e", "prod", "apply", "--yes")
    assert refused.code == 2 and "--confirm prod" in refused.stderr
    described = ddb.describe_table(TableName=f"items-{name}-prod")["Table"]
    assert [g["IndexName"] for g in described["GlobalSecondaryIndexes"]] == ["byV"]
    assert df(path, "-e", "prod", "apply", "--yes", "--confirm", "prod").code == 0
