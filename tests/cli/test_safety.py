"""Nothing wiped by mistake: saved plans run exactly what was shown, protection follows the
physical table, prune only touches what the project owns, an interrupted TABLE REBUILD is
reported and resumed, and outputs never overwrite a project. Real DynamoDB Local throughout."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dynaform import api
from dynaform.settings import Flags
from tests.cli.test_tables import count, project_file


def two_environments(tmp_path: Path, name: str, *more: str) -> Path:
    """dev and a protected prod, both on the session engine; items-{env} naming; ``more``
    tables declared beside ``items`` (same key)."""
    path = tmp_path / "dynaform.yaml"
    tables = "".join(f"  {table}: {{partition_key: id}}\n" for table in ("items", *more))
    path.write_text(
        f"project: {name}\nnaming: '{{table}}-{name}-{{env}}'\ndefault_env: dev\n"
        "environments:\n  dev: {target: local}\n  prod: {target: local, protected: true}\n"
        f"tables:\n{tables}"
    )
    return path


def undeclare(path: Path, table: str) -> None:
    """Take ``table`` (declared by ``two_environments``) out of the project file."""
    path.write_text(path.read_text().replace(f"  {table}: {{partition_key: id}}\n", ""))


def test_apply_of_a_saved_plan_runs_exactly_the_saved_operations(
    df: Any, ddb: Any, tmp_path: Path, table_name: Any
) -> None:
    name = table_name("exact")
    path = project_file(tmp_path, name, "main: {partition_key: PK}\n")
    assert df(path, "apply", "--yes").code == 0
    path.write_text(
        path.read_text().replace("{partition_key: PK}", "{partition_key: PK, ttl: exp}")
    )
    saved = tmp_path / "p.json"
    assert df(path, "plan", "--out", str(saved)).code == 0
    # The file moves on after the plan was saved: the saved plan still runs as shown.
    path.write_text(path.read_text().replace("ttl: exp}", "ttl: exp, stream: keys_only}"))
    applied = df(path, "apply", str(saved), "--yes")
    assert applied.code == 0, applied.stderr
    assert "enable TTL on exp" in applied.stdout and "stream" not in applied.stdout
    assert "project file changed" in applied.stderr
    table = ddb.describe_table(TableName=f"{name}-dev-main")["Table"]
    assert "StreamSpecification" not in table  # not in the saved plan: not applied
    ttl = ddb.describe_time_to_live(TableName=f"{name}-dev-main")["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "exp"


def test_a_plan_file_edited_by_hand_is_refused_and_nothing_runs(
    df: Any, ddb: Any, tmp_path: Path, table_name: Any
) -> None:
    name = table_name("edited")
    path = project_file(tmp_path, name, "main: {partition_key: PK}\n")
    saved = tmp_path / "p.json"
    assert df(path, "plan", "--out", str(saved)).code == 0
    data = json.loads(saved.read_text())
    data["changes"][0]["operations"][0]["steps"][0]["params"]["TableName"] = "someone-else"
    saved.write_text(json.dumps(data))
    refused = df(path, "apply", str(saved), "--yes")
    assert refused.code == 1 and "checksum" in refused.stderr
    assert f"{name}-dev-main" not in ddb.list_tables()["TableNames"]
    assert "someone-else" not in ddb.list_tables()["TableNames"]


def test_protection_follows_the_physical_table_whatever_environment_is_named(
    df: Any, ddb: Any, tmp_path: Path, table_name: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    name = table_name("guard")
    path = two_environments(tmp_path, name)
    prod = f"items-{name}-prod"
    assert df(path, "-e", "prod", "apply", "--yes").code == 0
    ddb.put_item(TableName=prod, Item={"id": {"S": "precious"}})
    seed_file = tmp_path / "seed.yaml"
    seed_file.write_text("items:\n  - {id: a}\n")
    lines = tmp_path / "more.jsonl"
    lines.write_text('{"id": "b"}\n')
    attempts = [
        ("-e", "dev", "data", "clear", prod, "--yes"),
        ("-e", "dev", "data", "clear", prod, "--yes", "--force"),  # no terminal to type on
        ("-e", "dev", "seed", str(seed_file), "--table", prod, "--clear", "--yes"),
        ("-e", "dev", "data", "import", prod, str(lines)),
        ("-e", "prod", "data", "clear", "items", "--yes"),
        ("-e", "dev", "data", "clear", prod, "--yes", "--confirm", "dev"),
    ]
    for attempt in attempts:
        refused = df(path, *attempt)
        assert refused.code == 2, (attempt, refused.stderr)
        assert "protected environment prod" in refused.stderr or "does not match" in refused.stderr
        assert ddb.scan(TableName=prod)["Items"] == [{"id": {"S": "precious"}}]
    confirmed = df(path, "-e", "dev", "data", "import", prod, str(lines), "--confirm", "prod")
    assert confirmed.code == 0, confirmed.stderr
    assert count(ddb, prod) == 2


def test_prune_deletes_only_tables_this_project_owns(
    df: Any, ddb: Any, tmp_path: Path, table_name: Any
) -> None:
    name = table_name("owned")
    path = project_file(tmp_path, name, "keep: {partition_key: PK}\nmine: {partition_key: PK}\n")
    assert df(path, "apply", "--yes").code == 0
    # Another project's table that happens to follow this project's naming rule.
    foreign = f"{name}-dev-orders"
    ddb.create_table(
        TableName=foreign,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
    )
    ddb.put_item(TableName=foreign, Item={"id": {"S": "theirs"}})
    path.write_text(path.read_text().replace("  mine: {partition_key: PK}\n", ""))
    planned = df(path, "plan", "--prune")
    assert f"- {name}-dev-mine" in planned.stdout and foreign not in planned.stdout
    assert df(path, "apply", "--prune", "--yes").code == 0
    names = ddb.list_tables()["TableNames"]
    assert foreign in names and f"{name}-dev-mine" not in names and f"{name}-dev-keep" in names
    assert count(ddb, foreign) == 1


def test_prune_in_a_protected_environment_needs_the_name_typed_back(
    df: Any, ddb: Any, tmp_path: Path, table_name: Any
) -> None:
    name = table_name("pruneprod")
    path = two_environments(tmp_path, name, "old")
    assert df(path, "-e", "prod", "apply", "--yes").code == 0
    undeclare(path, "old")
    refused = df(path, "-e", "prod", "apply", "--prune", "--yes")
    assert refused.code == 2 and "--confirm prod" in refused.stderr
    assert f"old-{name}-prod" in ddb.list_tables()["TableNames"]
    done = df(path, "-e", "prod", "apply", "--prune", "--yes", "--confirm", "prod")
    assert done.code == 0, done.stderr
    assert f"old-{name}-prod" not in ddb.list_tables()["TableNames"]


class Killed(BaseException):
    """Stands in for the process being killed at a given stage of a rebuild."""


STAGES = [
    "copy every item into",
    "create the table as declared",
    "copy every item back",
    "item(s) verified; delete",
]


@pytest.mark.parametrize("stage", STAGES)
def test_an_interrupted_rebuild_is_reported_and_apply_resumes_it_exactly(
    df: Any,
    ddb: Any,
    ddb_endpoint: str,
    tmp_path: Path,
    table_name: Any,
    stage: str,
    clean_env: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    name = table_name("resume")
    path = project_file(tmp_path, name, "main: {partition_key: PK, sort_key: SK}\n")
    assert df(path, "apply", "--yes").code == 0
    table, hold = f"{name}-dev-main", f"{name}-dev-main.dynaform-rebuild"
    for i in range(300):
        ddb.put_item(TableName=table, Item={"PK": {"S": f"p{i % 7}"}, "SK": {"S": str(i)}})
    path.write_text(path.read_text().replace("sort_key: SK", "sort_key: {name: SK, type: N}"))

    def report(message: str) -> None:
        if stage in message:
            raise Killed(message)

    bound = api.bind(api.load_project(path), "dev", Flags(endpoint_url=ddb_endpoint), {})
    with pytest.raises(Killed):
        api.apply(bound, api.plan(bound), allow_rebuild=True, report=report)
    assert hold in ddb.list_tables()["TableNames"]

    status = df(path, "status")
    assert "REBUILD INCOMPLETE" in status.stdout, status.stdout
    planned = df(path, "plan", "--prune", "--detailed-exitcode")
    assert planned.code == 2 and "REBUILD INCOMPLETE" in planned.stdout
    assert f"- {hold}" not in planned.stdout  # the holding table is never offered for deletion
    resumed = df(path, "apply", "--yes")  # no --allow-rebuild needed to finish what was started
    assert resumed.code == 0, resumed.stderr
    assert count(ddb, table) == 300
    assert hold not in ddb.list_tables()["TableNames"]
    described = ddb.describe_table(TableName=table)["Table"]["AttributeDefinitions"]
    assert {"AttributeName": "SK", "AttributeType": "N"} in described
    assert df(path, "plan", "--detailed-exitcode").code == 0


def test_outputs_never_overwrite_a_project_or_a_folder_with_files(
    df: Any, ddb: Any, tmp_path: Path, table_name: Any
) -> None:
    name = table_name("out")
    path = project_file(tmp_path, name, "main: {partition_key: PK}\n")
    assert df(path, "apply", "--yes").code == 0
    original = path.read_text()
    table = f"{name}-dev-main"
    refused = df(path, "data", "export", table, "--out", str(path))
    assert refused.code == 2 and "belongs to the project" in refused.stderr
    assert df(path, "export", "--out", str(tmp_path)).code == 2  # holds dynaform.yaml
    template = tmp_path / "t.json"
    template.write_text(
        json.dumps(
            {
                "TableName": "x",
                "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            }
        )
    )
    assert df(path, "import", str(template), "--out", str(tmp_path)).code == 2
    assert df(path, "import", str(template), "--out", str(path)).code == 2
    assert path.read_text() == original
    backup = tmp_path / "backup.jsonl"
    assert df(path, "data", "export", table, "--out", str(backup)).code == 0
    again = df(path, "data", "export", table, "--out", str(backup))
    assert again.code == 2 and "--resume" in again.stderr
    assert df(path, "data", "export", table, "--out", str(backup), "--force").code == 0
