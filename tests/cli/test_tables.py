"""plan / apply / destroy / describe against the session's real DynamoDB Local."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from dynaform.local import engine
from tests.helpers import run_cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ["calendar", "expenses", "vishmaker", "items"]


def project_file(tmp_path: Path, name: str, tables: str, extra: str = "") -> Path:
    path = tmp_path / "dynaform.yaml"
    header = f"project: {name}\nenvironments:\n  dev: {{target: local}}\n{extra}tables:\n"
    path.write_text(header + textwrap.indent(textwrap.dedent(tables), "  "))
    return path


def count(ddb: Any, table: str) -> int:
    pages = ddb.get_paginator("scan").paginate(TableName=table, Select="COUNT")
    return sum(int(page["Count"]) for page in pages)  # a COUNT scan is paged too (1 MB)


@pytest.mark.parametrize("example", EXAMPLES)
def test_each_example_applies_and_replans_to_nothing(df: Any, example: str) -> None:
    project = ROOT / "examples" / example / "dynaform.yaml"
    applied = df(project, "apply", "--yes")
    assert applied.code == 0, applied.stderr
    # Another test (the calendar API's) may have applied this example to the session engine
    # first: then there is nothing left to change.
    assert "live state matches" in applied.stderr or "No changes." in applied.stdout
    again = df(project, "plan", "--detailed-exitcode")
    assert again.code == 0, again.stdout
    assert "No changes." in again.stdout
    second = df(project, "apply", "--yes")
    assert second.code == 0 and "step(s)" not in second.stderr  # idempotent: nothing to run


def test_gsi_edit_applies_one_at_a_time_and_keeps_items(
    df: Any, ddb: Any, tmp_path: Path, table_name: Any
) -> None:
    name = table_name("gsi")
    path = project_file(
        tmp_path,
        name,
        """\
        main:
          partition_key: PK
          sort_key: SK
          indexes:
            byOld: {partition_key: old}
            byKeep: {partition_key: keep}
    """,
    )
    assert df(path, "apply", "--yes").code == 0
    table = f"{name}-dev-main"
    for i in range(40):
        ddb.put_item(
            TableName=table,
            Item={
                "PK": {"S": f"u{i}"},
                "SK": {"S": "x"},
                "keep": {"S": "k"},
                "a": {"S": f"a{i % 4}"},
                "b": {"N": str(i)},
            },
        )
    text = path.read_text().replace(
        "byOld: {partition_key: old}",
        "byA: {partition_key: a}\n      byB: {partition_key: {name: b, type: N}, "
        "projection: keys_only}",
    )
    path.write_text(text)
    planned = df(path, "plan", "--detailed-exitcode")
    assert planned.code == 2
    steps = [line for line in planned.stdout.splitlines() if ". " + table in line]
    assert [s.split(": ", 1)[1].split(" (")[0].split("  ")[0] for s in steps] == [
        "delete index byOld",
        "create index byA",
        "create index byB",
    ]
    applied = df(path, "apply", "--yes")
    assert applied.code == 0, applied.stderr
    assert count(ddb, table) == 40
    found = ddb.query(
        TableName=table,
        IndexName="byA",
        KeyConditionExpression="a = :v",
        ExpressionAttributeValues={":v": {"S": "a1"}},
    )
    assert found["Count"] == 10
    indexes = {
        g["IndexName"]
        for g in ddb.describe_table(TableName=table)["Table"]["GlobalSecondaryIndexes"]
    }
    assert indexes == {"byA", "byB", "byKeep"}
    assert df(path, "plan", "--detailed-exitcode").code == 0


def test_key_change_is_a_table_rebuild_refused_unless_allowed_then_keeps_every_item(
    df: Any, ddb: Any, tmp_path: Path, table_name: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    name = table_name("rebuild")
    path = project_file(tmp_path, name, "main: {partition_key: PK, sort_key: SK, ttl: exp}\n")
    assert df(path, "apply", "--yes").code == 0
    table = f"{name}-dev-main"
    for i in range(60):
        ddb.put_item(
            TableName=table,
            Item={"PK": {"S": f"p{i % 7}"}, "SK": {"S": str(i)}, "data": {"S": "x" * 50}},
        )
    before = ddb.describe_table(TableName=table)["Table"]["CreationDateTime"]
    path.write_text(path.read_text().replace("sort_key: SK", "sort_key: {name: SK, type: N}"))

    planned = df(path, "plan", "--detailed-exitcode")
    assert planned.code == 2 and "TABLE REBUILD" in planned.stdout
    refused = df(path, "apply", "--yes")
    assert refused.code == 1 and "nothing was changed" in refused.stderr
    assert ddb.describe_table(TableName=table)["Table"]["CreationDateTime"] == before
    assert count(ddb, table) == 60

    rebuilt = df(path, "apply", "--yes", "--allow-rebuild")
    assert rebuilt.code == 0, rebuilt.stderr
    assert "holding table" in rebuilt.stderr
    described = ddb.describe_table(TableName=table)["Table"]
    assert {a["AttributeName"]: a["AttributeType"] for a in described["AttributeDefinitions"]}[
        "SK"
    ] == "N"
    assert count(ddb, table) == 60
    item = ddb.get_item(TableName=table, Key={"PK": {"S": "p3"}, "SK": {"N": "10"}})["Item"]
    assert item["data"] == {"S": "x" * 50}
    assert f"{table}.dynaform-rebuild" not in ddb.list_tables()["TableNames"]
    assert df(path, "plan", "--detailed-exitcode").code == 0


def test_a_rebuild_that_cannot_convert_keeps_every_item_in_the_holding_table(
    df: Any, ddb: Any, tmp_path: Path, table_name: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    name = table_name("rebuild")
    path = project_file(tmp_path, name, "main: {partition_key: PK, sort_key: SK}\n")
    assert df(path, "apply", "--yes").code == 0
    table = f"{name}-dev-main"
    ddb.put_item(TableName=table, Item={"PK": {"S": "a"}, "SK": {"S": "1"}})
    ddb.put_item(TableName=table, Item={"PK": {"S": "b"}, "SK": {"S": "not-a-number"}})
    path.write_text(path.read_text().replace("sort_key: SK", "sort_key: {name: SK, type: N}"))
    result = df(path, "apply", "--yes", "--allow-rebuild")
    assert result.code == 1
    assert "1 of 2 item(s) fit the new keys" in result.stderr
    hold = f"{table}.dynaform-rebuild"
    assert count(ddb, hold) == 2
    rejects = tmp_path / f"{table}.rebuild-rejects.jsonl"
    assert b"not-a-number" in rejects.read_bytes()


def test_invalid_file_sends_nothing(
    capsys: pytest.CaptureFixture[str], clean_env: Any, tmp_path: Path
) -> None:
    path = project_file(tmp_path, "broken", "main: {partition_key: PK, billing: ondemand}\n")
    closed = f"http://localhost:{engine.free_port()}"  # any call would fail to connect
    for command in ("plan", "apply"):
        result = run_cli(capsys, "-f", str(path), "--endpoint-url", closed, command, "--yes")
        assert result.code == 1
        assert "dynaform.yaml:5: tables.main.billing" in result.stderr
        assert "nothing was sent to DynamoDB" in result.stderr
        assert "cannot connect" not in result.stderr


def test_saved_plan_is_refused_when_live_state_changed(
    df: Any, ddb: Any, tmp_path: Path, table_name: Any
) -> None:
    name = table_name("saved")
    path = project_file(tmp_path, name, "main: {partition_key: PK}\n")
    plan_file = tmp_path / "plan.json"
    assert df(path, "plan", "--out", str(plan_file)).code == 0
    saved = json.loads(plan_file.read_text())
    assert (
        saved["changes"][0]["kind"] == "create" and saved["steps"][0]["operation"] == "CreateTable"
    )
    ddb.create_table(
        TableName=f"{name}-dev-main",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
    )
    refused = df(path, "apply", str(plan_file), "--yes")
    assert refused.code == 1 and "changed since" in refused.stderr

    fresh = tmp_path / "fresh.json"
    path.write_text(
        path.read_text().replace("{partition_key: PK}", "{partition_key: PK, ttl: exp}")
    )
    assert df(path, "plan", "--out", str(fresh)).code == 0
    applied = df(path, "apply", str(fresh), "--yes")
    assert applied.code == 0, applied.stderr
    ttl = ddb.describe_time_to_live(TableName=f"{name}-dev-main")["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "exp"


def test_prune_deletes_undeclared_tables_only_when_asked(
    df: Any, ddb: Any, tmp_path: Path, table_name: Any
) -> None:
    name = table_name("prune")
    path = project_file(tmp_path, name, "keep: {partition_key: PK}\ngone: {partition_key: PK}\n")
    assert df(path, "apply", "--yes").code == 0
    path.write_text(path.read_text().replace("  gone: {partition_key: PK}\n", ""))
    assert df(path, "plan", "--detailed-exitcode").code == 0  # without --prune: not our business
    pruning = df(path, "plan", "--prune", "--detailed-exitcode")
    assert pruning.code == 2 and f"- {name}-dev-gone" in pruning.stdout
    assert df(path, "apply", "--prune", "--yes").code == 0
    names = ddb.list_tables()["TableNames"]
    assert f"{name}-dev-gone" not in names and f"{name}-dev-keep" in names


def test_destroy_respects_protection_and_protected_environments(
    df: Any, ddb: Any, tmp_path: Path, table_name: Any
) -> None:
    name = table_name("destroy")
    path = project_file(
        tmp_path,
        name,
        "main: {partition_key: PK, deletion_protection: true}\nother: {partition_key: PK}\n",
        extra="",
    )
    path.write_text(
        path.read_text().replace(
            "  dev: {target: local}", "  dev: {target: local, protected: true}"
        )
    )
    assert df(path, "apply", "--yes").code == 0
    ddb.put_item(TableName=f"{name}-dev-other", Item={"PK": {"S": "x"}})

    locked = df(path, "destroy", "--force")
    assert locked.code == 1 and "deletion protection is on" in locked.stderr
    assert "deletion_protection: false" in locked.stderr
    no_tty = df(path, "destroy", "--table", "other")
    assert no_tty.code == 2 and "protected environment" in no_tty.stderr
    assert f"{name}-dev-other" in ddb.list_tables()["TableNames"]

    # A protected environment's name must be typed back: --force alone is not enough.
    forced = df(path, "destroy", "--table", "other", "--force")
    assert forced.code == 2 and "--confirm dev" in forced.stderr
    done = df(path, "destroy", "--table", "other", "--force", "--confirm", "dev")
    assert done.code == 0 and f"deleted {name}-dev-other" in done.stdout
    assert "1" in done.stdout  # the item count was shown before deleting
    names = ddb.list_tables()["TableNames"]
    assert f"{name}-dev-other" not in names and f"{name}-dev-main" in names


def test_describe_reports_a_table(df: Any, tmp_path: Path, table_name: Any) -> None:
    name = table_name("describe")
    path = project_file(
        tmp_path,
        name,
        """\
        main:
          partition_key: PK
          sort_key: SK
          ttl: expires
          stream: new_image
          indexes:
            byOwner: {partition_key: owner, projection: {include: [title]}}
    """,
    )
    assert df(path, "apply", "--yes").code == 0
    shown = df(path, "describe", "main")
    assert shown.code == 0, shown.stderr
    assert f"{name}-dev-main" in shown.stdout
    assert "expires" in shown.stdout and "NEW_IMAGE" in shown.stdout
    assert "byOwner" in shown.stdout and "include title" in shown.stdout
    as_json = json.loads(df(path, "describe", "main", "--json").stdout)
    assert as_json["status"] == "ACTIVE" and as_json["ttl"] == "expires"


def test_plan_json_and_environment_after_the_command(
    df: Any, tmp_path: Path, table_name: Any
) -> None:
    name = table_name("json")
    path = project_file(tmp_path, name, "main: {partition_key: PK}\n", extra="")
    text = path.read_text().replace(
        "  dev: {target: local}\n", "  dev: {target: local}\n  test: {target: local}\n"
    )
    path.write_text(text)
    result = df(path, "plan", "-e", "test", "--json")
    assert result.code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["env"] == "test" and data["changes"][0]["table"] == f"{name}-test-main"
    missing = df(path, "plan")
    assert missing.code == 1 and "several environments (dev, test)" in missing.stderr


def test_status_compares_the_project_with_what_is_deployed(
    df: Any, ddb: Any, tmp_path: Path, table_name: Any
) -> None:
    name = table_name("status")
    path = project_file(tmp_path, name, "a: {partition_key: PK}\nb: {partition_key: PK}\n")
    assert df(path, "apply", "--yes", "--table", "a").code == 0
    path.write_text(
        path.read_text().replace("a: {partition_key: PK}", "a: {partition_key: PK, ttl: exp}")
    )
    shown = df(path, "status", "--json")
    assert shown.code == 0, shown.stderr
    report = json.loads(shown.stdout)["project"]
    assert report["env"] == "dev"
    assert report["tables"] == {f"{name}-dev-a": "drifted: ttl", f"{name}-dev-b": "missing"}


def test_an_interrupted_apply_resumes(df: Any, ddb: Any, tmp_path: Path, table_name: Any) -> None:
    """As if apply was killed right after starting the first of two index builds: the next
    apply waits for that build, then makes the second index."""
    name = table_name("resume")
    path = project_file(tmp_path, name, "main: {partition_key: PK}\n")
    assert df(path, "apply", "--yes").code == 0
    table = f"{name}-dev-main"
    ddb.update_table(
        TableName=table,
        AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[
            {
                "Create": {
                    "IndexName": "byA",
                    "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            }
        ],
    )
    path.write_text(
        path.read_text().replace(
            "{partition_key: PK}",
            "{partition_key: PK, indexes: {byA: {partition_key: a}, byB: {partition_key: b}}}",
        )
    )
    resumed = df(path, "apply", "--yes")
    assert resumed.code == 0, resumed.stderr
    assert "[1/1]" in resumed.stderr and "create index byB" in resumed.stderr
    described = ddb.describe_table(TableName=table)["Table"]
    assert sorted(g["IndexName"] for g in described["GlobalSecondaryIndexes"]) == ["byA", "byB"]
    assert df(path, "plan", "--detailed-exitcode").code == 0
