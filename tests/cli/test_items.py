"""``dynaform data get/query/scan/put/delete`` against DynamoDB Local: typed keys, every
sort-key operator, indexes, filters, limits and pages, every output format, conditional
writes, protection, and values that come back exactly (38 digits, sets, binary, nested maps)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import Result, run_cli

BIG = "12345678901234567890123456789012345678"  # 38 digits: a float would round it
EXACT_ITEM = {
    "PK": {"S": "EXACT"},
    "SK": {"S": "ITEM"},
    "big": {"N": BIG},
    "small": {"N": "0.000000000000000000000000000000000001"},
    "blobs": {"BS": ["AAEC", "/w=="]},
    "nums": {"NS": ["1", "2.5", BIG]},
    "nested": {
        "M": {
            "list": {"L": [{"N": "-1E+100"}, {"S": "x"}, {"NULL": True}, {"BOOL": False}]},
            "deep": {"M": {"bin": {"B": "3q2+7w=="}, "tags": {"SS": ["a", "b"]}}},
        }
    },
}


@pytest.fixture(scope="module")
def tables(ddb: Any, ddb_endpoint: str) -> dict[str, str]:
    """A single-table design (PK/SK, GSI1) with ten entries and a user, and a table whose
    keys are a number and binary."""
    import uuid

    main, typed = f"items-main-{uuid.uuid4().hex[:6]}", f"items-typed-{uuid.uuid4().hex[:6]}"
    ddb.create_table(
        TableName=main,
        AttributeDefinitions=[
            {"AttributeName": n, "AttributeType": "S"} for n in ("PK", "SK", "G1PK", "G1SK")
        ],
        KeySchema=[
            {"AttributeName": "PK", "KeyType": "HASH"},
            {"AttributeName": "SK", "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "ByYear",
                "KeySchema": [
                    {"AttributeName": "G1PK", "KeyType": "HASH"},
                    {"AttributeName": "G1SK", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.create_table(
        TableName=typed,
        AttributeDefinitions=[
            {"AttributeName": "id", "AttributeType": "N"},
            {"AttributeName": "bin", "AttributeType": "B"},
        ],
        KeySchema=[
            {"AttributeName": "id", "KeyType": "HASH"},
            {"AttributeName": "bin", "KeyType": "RANGE"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    for day in range(1, 11):
        date = f"2024-06-{day:02d}"
        ddb.put_item(
            TableName=main,
            Item={
                "PK": {"S": "CAL#1"},
                "SK": {"S": f"ENTRY#{date}"},
                "G1PK": {"S": "CAL#1#2024"},
                "G1SK": {"S": date},
                "_type": {"S": "entry"},
                "day": {"N": str(day)},
            },
        )
    ddb.put_item(
        TableName=main,
        Item={"PK": {"S": "CAL#1"}, "SK": {"S": "METADATA"}, "_type": {"S": "calendar"}},
    )
    ddb.put_item(
        TableName=typed,
        Item={"id": {"N": BIG}, "bin": {"B": b"\x01\x02\x03"}, "note": {"S": "x" * 80}},
    )
    return {"main": main, "typed": typed}


@pytest.fixture
def df(
    capsys: pytest.CaptureFixture[str],
    clean_env: pytest.MonkeyPatch,
    ddb_endpoint: str,
    tmp_path: Path,
) -> Any:
    clean_env.chdir(tmp_path)  # no project file: physical names on a bare endpoint

    def run(*args: str) -> Result:
        return run_cli(capsys, "--endpoint-url", ddb_endpoint, "data", *args)

    return run


def sks(result: Result) -> list[str]:
    assert result.code == 0, result.stderr
    return [item["SK"] for item in json.loads(result.stdout)]


def test_an_item_with_38_digits_sets_binary_and_nested_maps_comes_back_exactly(
    df: Any, tables: dict[str, str]
) -> None:
    line = json.dumps({"Item": EXACT_ITEM})
    assert df("put", tables["main"], line).code == 0
    back = df("get", tables["main"], "PK=EXACT", "SK=ITEM", "--ddb-json")
    assert back.code == 0, back.stderr
    got = json.loads(back.stdout)["Item"]
    for kind in ("BS", "NS"):  # sets have no order
        for holder, name in ((got, "blobs"), (got, "nums")):
            if kind in holder[name]:
                holder[name][kind].sort()
    expected = json.loads(json.dumps(EXACT_ITEM))
    expected["blobs"]["BS"].sort()
    expected["nums"]["NS"].sort()
    assert got == expected
    plain = df("--json", "get", tables["main"], "PK=EXACT", "SK=ITEM")
    assert f'"big": {BIG}' in plain.stdout  # the number itself, every digit, not a string
    assert "1E-36" in plain.stdout or "0.000000000000000000000000000000000001" in plain.stdout
    assert json.loads(plain.stdout)["nested"]["deep"]["bin"] == "3q2+7w=="
    human = df("get", tables["main"], "PK=EXACT", "SK=ITEM")
    assert BIG in human.stdout and "BS" in human.stdout


def test_plain_json_put_keeps_exact_numbers_and_get_of_a_missing_item_exits_1(
    df: Any, tables: dict[str, str]
) -> None:
    item = f'{{"PK": "PLAIN", "SK": "1", "n": {BIG}, "d": 0.1, "m": {{"a": [1, "b"]}}}}'
    assert df("put", tables["main"], item).code == 0
    got = json.loads(df("get", tables["main"], "PK=PLAIN", "SK=1", "--ddb-json").stdout)
    assert got["Item"]["n"] == {"N": BIG} and got["Item"]["d"] == {"N": "0.1"}
    assert got["Item"]["m"] == {"M": {"a": {"L": [{"N": "1"}, {"S": "b"}]}}}
    missing = df("get", tables["main"], "PK=PLAIN", "SK=2")
    assert missing.code == 1 and "no item" in missing.stderr
    wrong = df("get", tables["main"], "PK=PLAIN")
    assert wrong.code == 2 and "SK is missing" in wrong.stderr


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("= ENTRY#2024-06-03", ["03"]),
        ("ENTRY#2024-06-03", ["03"]),
        ("< ENTRY#2024-06-03", ["01", "02"]),
        ("<= ENTRY#2024-06-03", ["01", "02", "03"]),
        ("> ENTRY#2024-06-08", ["09", "10", "METADATA"]),
        (">= ENTRY#2024-06-09", ["09", "10", "METADATA"]),
        ("between ENTRY#2024-06-04 and ENTRY#2024-06-06", ["04", "05", "06"]),
        ("begins_with ENTRY#2024-06-0", [f"{d:02d}" for d in range(1, 10)]),
    ],
)
def test_every_sort_key_operator(
    df: Any, tables: dict[str, str], condition: str, expected: list[str]
) -> None:
    found = df("--json", "query", tables["main"], "PK=CAL#1", "--sk", condition, "--all")
    assert [s.removeprefix("ENTRY#2024-06-") for s in sks(found)] == expected


def test_query_index_filter_limit_desc_and_all(df: Any, tables: dict[str, str]) -> None:
    week = df(
        "--json", "query", tables["main"], "G1PK=CAL#1#2024", "--index", "ByYear",
        "--sk", "between 2024-06-03 and 2024-06-09", "--filter", "day >= 5 and _type = entry",
    )  # fmt: skip
    assert [s[-2:] for s in sks(week)] == ["05", "06", "07", "08", "09"]
    first = df("--json", "query", tables["main"], "PK=CAL#1", "--limit", "3", "--desc")
    assert sks(first) == ["METADATA", "ENTRY#2024-06-10", "ENTRY#2024-06-09"]
    assert "more match" in first.stderr
    # A selective filter still fills the page: the reader goes on past empty pages.
    odd = df("--json", "query", tables["main"], "PK=CAL#1", "--filter", "day in (1, 9)")
    assert sks(odd) == ["ENTRY#2024-06-01", "ENTRY#2024-06-09"]
    everything = df("--json", "query", tables["main"], "PK=CAL#1", "--all")
    assert len(sks(everything)) == 11 and "more match" not in everything.stderr
    bad = df("query", tables["main"], "PK=CAL#1", "--index", "Nope")
    assert bad.code == 2 and "ByYear" in bad.stderr


def test_scan_filters_fill_the_page_and_segments_read_everything(
    df: Any, tables: dict[str, str]
) -> None:
    two = df(
        "--json", "scan", tables["main"], "--filter", 'begins_with(SK, "ENTRY#")', "--limit", "2"
    )
    assert len(sks(two)) == 2 and "more match" in two.stderr
    typed = df(
        "--json", "scan", tables["main"], "--filter", "_type = calendar or day between 2 and 3",
        "--segments", "3", "--all",
    )  # fmt: skip
    assert sorted(sks(typed)) == ["ENTRY#2024-06-02", "ENTRY#2024-06-03", "METADATA"]
    nothing = df("--json", "scan", tables["main"], "--filter", "day > 100")
    assert json.loads(nothing.stdout) == []
    lines = df("scan", tables["main"], "--filter", "_type = calendar", "--ddb-json")
    assert json.loads(lines.stdout.strip())["Item"]["_type"] == {"S": "calendar"}


def test_table_output_has_the_union_of_attributes_and_shortens_wide_values(
    df: Any, tables: dict[str, str]
) -> None:
    shown = df("scan", tables["main"], "--all")
    header = shown.stdout.splitlines()[1]
    for column in ("PK", "SK", "G1PK", "_type", "day"):
        assert column in header
    wide = df("query", tables["typed"], f"id={BIG}")
    assert wide.code == 0, wide.stderr
    assert "x" * 80 not in wide.stdout and "…" in wide.stdout and BIG in wide.stdout


def test_keys_are_typed_from_the_key_schema(df: Any, tables: dict[str, str]) -> None:
    found = df("--json", "get", tables["typed"], f"id={BIG}", "bin=AQID")
    assert found.code == 0, found.stderr
    assert f'"id": {BIG}' in found.stdout
    not_a_number = df("get", tables["typed"], "id=abc", "bin=AQID")
    assert not_a_number.code == 2 and "number" in not_a_number.stderr
    not_base64 = df("get", tables["typed"], "id=1", "bin=***")
    assert not_base64.code == 2 and "base64" in not_base64.stderr


def test_conditional_puts(df: Any, tables: dict[str, str]) -> None:
    main = tables["main"]
    assert df("put", main, '{"PK": "V", "SK": "1", "version": 1}', "--if-not-exists").code == 0
    again = df("put", main, '{"PK": "V", "SK": "1", "version": 1}', "--if-not-exists")
    assert again.code == 1 and "already exists" in again.stderr
    assert df("put", main, '{"PK": "V", "SK": "1", "x": "a"}', "--if-version", "1").code == 0
    stored = json.loads(df("--json", "get", main, "PK=V", "SK=1").stdout)
    assert stored == {"PK": "V", "SK": "1", "x": "a", "version": 2}
    stale = df("put", main, '{"PK": "V", "SK": "1", "x": "b"}', "--if-version", "1")
    assert stale.code == 1 and "version is not 1" in stale.stderr
    assert json.loads(df("--json", "get", main, "PK=V", "SK=1").stdout)["x"] == "a"


def test_delete_asks_and_exits_1_when_nothing_was_there(df: Any, tables: dict[str, str]) -> None:
    main = tables["main"]
    assert df("put", main, '{"PK": "DEL", "SK": "1"}').code == 0
    unasked = df("delete", main, "PK=DEL", "SK=1")
    assert unasked.code == 2 and "--yes" in unasked.stderr
    assert df("delete", main, "PK=DEL", "SK=1", "--yes").code == 0
    assert df("get", main, "PK=DEL", "SK=1").code == 1
    gone = df("delete", main, "PK=DEL", "SK=1", "--yes")
    assert gone.code == 1 and "nothing was deleted" in gone.stderr


def test_protected_environments_need_the_typed_confirmation(
    capsys: pytest.CaptureFixture[str],
    clean_env: pytest.MonkeyPatch,
    ddb_endpoint: str,
    ddb: Any,
    tmp_path: Path,
) -> None:
    import uuid

    name = f"prot{uuid.uuid4().hex[:6]}"
    project = tmp_path / "dynaform.yaml"
    project.write_text(
        f"project: {name}\nnaming: '{{project}}-{{env}}-{{table}}'\ndefault_env: prod\n"
        "environments:\n  prod: {target: local, protected: true}\n"
        "tables:\n  main: {partition_key: id}\n"
    )
    clean_env.chdir(tmp_path)

    def df(*args: str) -> Result:
        return run_cli(capsys, "--endpoint-url", ddb_endpoint, "data", *args)

    assert run_cli(capsys, "--endpoint-url", ddb_endpoint, "apply", "--yes").code == 0
    refused = df("put", "main", '{"id": "a"}')
    assert refused.code == 2 and "protected environment prod" in refused.stderr
    assert "Item" not in ddb.scan(TableName=f"{name}-prod-main")["Items"]
    assert df("put", "main", '{"id": "a"}', "--confirm", "prod").code == 0
    wrong = df("delete", "main", "id=a", "--yes", "--confirm", "dev")
    assert wrong.code == 2 and "does not match" in wrong.stderr
    assert df("delete", "main", "id=a", "--confirm", "prod").code == 0
    assert ddb.scan(TableName=f"{name}-prod-main")["Count"] == 0
