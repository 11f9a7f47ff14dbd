"""The examples' migrations against DynamoDB Local: items (seed 003's table check and dev seed,
then a real backfill) and calendar (the year view's keys for entries written before it)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import Result, run_cli
from tests.migrate.conftest import scan_all

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def copy_example(name: str, tmp_path: Path, unique: str) -> Path:
    """The example in a folder of its own, its tables named apart from every other test's."""
    folder = tmp_path / name
    shutil.copytree(EXAMPLES / name, folder, ignore=shutil.ignore_patterns(".dynaform"))
    path = folder / "dynaform.yaml"
    text = path.read_text()
    text = text.replace('naming: "{table}-{env}"', 'naming: "{project}-{table}-{env}"')
    project_line = next(line for line in text.splitlines() if line.startswith("project:"))
    path.write_text(text.replace(project_line, f"project: {unique}"))
    return path


@pytest.fixture
def cli(
    capsys: pytest.CaptureFixture[str], clean_env: pytest.MonkeyPatch, ddb_endpoint: str
) -> Any:
    def run(path: Path, *args: str) -> Result:
        return run_cli(capsys, "-f", str(path), "--endpoint-url", ddb_endpoint, *args)

    return run


def test_items_example_checks_seeds_and_backfills(
    cli: Any, ddb: Any, tmp_path: Path, table_name: Callable[[str], str]
) -> None:
    unique = table_name("itemsx")
    path = copy_example("items", tmp_path, unique)
    table = f"{unique}-items-dev"
    assert cli(path, "apply", "--yes").code == 0
    ddb.put_item(  # written by the app before the migrations: no owner, no description
        TableName=table,
        Item={
            "id": {"S": "old"},
            "name": {"S": "Old"},
            "status": {"S": "active"},
            "createdAt": {"N": "1"},
            "updatedAt": {"N": "1"},
            "createdBy": {"S": "ada"},
            "version": {"N": "4"},
        },
    )
    ran = cli(path, "--json", "migrate", "up")
    assert ran.code == 0, ran.stderr
    assert [o["id"] for o in json.loads(ran.stdout)] == [
        "0001_create_items_table",
        "0002_dev_seed",
        "0003_add_owner",
    ]
    assert "ACTIVE" in ran.stderr and "5 sample item(s) created" in ran.stderr
    items = scan_all(ddb, table)
    assert len(items) == 6
    assert items["old"]["owner"] == {"S": "ada"} and items["old"]["version"] == {"N": "5"}
    assert items["old"]["description"] == {"S": ""}
    laptop = items["550e8400-e29b-41d4-a716-446655440000"]
    assert laptop["name"] == {"S": "Laptop"} and laptop["owner"] == {"S": "seed-script"}
    assert cli(path, "migrate", "status", "--detailed-exitcode").code == 0


def test_calendar_example_fills_the_year_view_of_old_entries(
    cli: Any, ddb: Any, tmp_path: Path, table_name: Callable[[str], str]
) -> None:
    unique = table_name("calx")
    path = copy_example("calendar", tmp_path, unique)
    table = f"{unique}-dev-main"
    assert cli(path, "apply", "--yes").code == 0
    old = [("e1", "2023-12-31T23:30:00Z", None), ("e2", "2024-06-10T09:00:00.250000Z", "r1")]
    for entry, start, recurrence in old:  # written before the indexes: no GSI keys
        item = {
            "PK": {"S": "CALENDAR#c1"},
            "SK": {"S": f"ENTRY#{start}#{entry}"},
            "_type": {"S": "entry"},
            "calendar_id": {"S": "c1"},
            "entry_id": {"S": entry},
            "kind": {"S": "timed"},
            "title": {"S": entry},
            "start": {"S": start},
            "version": {"N": "0"},
        }
        if recurrence:
            item["recurrence_id"] = {"S": recurrence}
        ddb.put_item(TableName=table, Item=item)
    ddb.put_item(TableName=table, Item={"PK": {"S": "USER#u"}, "SK": {"S": "PROFILE"}})
    ran = cli(path, "migrate", "up")
    assert ran.code == 0, ran.stderr

    def year(value: str) -> list[str]:
        answer = ddb.query(
            TableName=table,
            IndexName="GSI1-YearView",
            KeyConditionExpression="GSI1PK = :p",
            ExpressionAttributeValues={":p": {"S": value}},
        )
        return [i["GSI1SK"]["S"] for i in answer["Items"]]

    assert year("CALENDAR#c1#2023") == ["2023-12-31T23:30:00Z#e1"]
    assert year("CALENDAR#c1#2024") == ["2024-06-10T09:00:00Z#e2"]
    masters = ddb.query(
        TableName=table,
        IndexName="GSI2-RecurrenceLookup",
        KeyConditionExpression="GSI2PK = :p",
        ExpressionAttributeValues={":p": {"S": "MASTER#r1"}},
    )["Items"]
    assert [i["GSI2SK"]["S"] for i in masters] == ["2024-06-10T09:00:00Z"]
    profile = ddb.get_item(TableName=table, Key={"PK": {"S": "USER#u"}, "SK": {"S": "PROFILE"}})
    assert "GSI1PK" not in profile["Item"]  # not an entry: left alone
