"""Seeding: templating and generators (pure), and the command against DynamoDB Local."""

from __future__ import annotations

import json
import random
import textwrap
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from dynaform.seed import registry
from dynaform.seed.builtin import kinds_for
from dynaform.seed.run import generate
from dynaform.seed.template import Context, TemplateError, render
from tests.helpers import run_cli

ROOT = Path(__file__).resolve().parents[2]
CAL = "0f8fad5b-d9cb-469f-a165-70867728950e"


def test_templates_render_times_uuids_and_sequence_numbers() -> None:
    now = datetime(2024, 6, 15, 12, 0, tzinfo=UTC)
    context = Context(now=now, rng=random.Random(1), seq=7)
    item = {
        "id": "${uuid}",
        "n": "${seq}",
        "key": "ITEM#${seq}",
        "when": "${now-7d}",
        "epoch": "${now+2h:epoch}",
        "day": "${now-1w:date}",
        "deep": [{"at": "${now}"}],
    }
    out = render(item, context)
    assert out["n"] == 7 and out["key"] == "ITEM#7"
    assert out["when"] == "2024-06-08T12:00:00Z" and out["day"] == "2024-06-08"
    assert out["epoch"] == int(datetime(2024, 6, 15, 14, 0, tzinfo=UTC).timestamp())
    assert out["deep"] == [{"at": "2024-06-15T12:00:00Z"}]
    again = render(item, Context(now=now, rng=random.Random(1), seq=7))
    assert again["id"] == out["id"]  # same seed, same UUID
    with pytest.raises(TemplateError, match="unknown expression"):
        render("${yesterday}", context)


def test_calendar_shares_clustering_and_determinism() -> None:
    gen = registry.find("calendar")
    options = {"calendar_id": CAL, "highlighted_day": date(2024, 6, 15), "owner_name": None}

    def run(seed: int) -> list[Any]:
        return [item for _, item in generate(gen, 1000, seed, options, lambda key: False)]

    items = run(1)
    entries = [i for i in items if i.get("entity") == "entry"]
    assert len(entries) == 1000
    shares = Counter(e["kind"] for e in entries)
    for kind, share in (("multi_day", 15), ("all_day", 20), ("timed", 45), ("task", 20)):
        assert abs(100 * shares[kind] / 1000 - share) <= 3
    days = [abs((date.fromisoformat(e["start"][:10]) - date(2024, 6, 15)).days) for e in entries]
    assert sum(d <= 14 for d in days) / len(days) > 0.9  # most within two weeks
    assert max(days) <= 45
    timed = next(e for e in entries if e["kind"] == "timed")
    assert timed["start"].endswith("Z") and timed["end"] > timed["start"]
    assert timed["SK"] == f"ENTRY#{timed['start']}#{timed['entryId']}"
    assert timed["GSI1PK"] == f"CALENDAR#{CAL}#{timed['start'][:4]}"
    assert {i["entity"] for i in items} == {"calendar", "user", "membership", "entry"}
    assert run(1) == items  # identical, ids included
    assert run(2) != items
    assert kinds_for(7, random.Random(0)).count("timed") >= 3


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], clean_env: pytest.MonkeyPatch, ddb_endpoint: str):  # type: ignore[no-untyped-def]
    def run(*args: str) -> Any:
        return run_cli(capsys, "--endpoint-url", ddb_endpoint, *args)

    return run


def project(tmp_path: Path, name: str, tables: str, extra: str = "") -> Path:
    path = tmp_path / "dynaform.yaml"
    path.write_text(
        f"project: {name}\n{extra}environments:\n  dev: {{target: local}}\n"
        f"  prod: {{target: local, protected: true}}\ndefault_env: dev\n"
        f"tables:\n{textwrap.indent(textwrap.dedent(tables), '  ')}"
    )
    return path


def example_text(example: str) -> str:
    """An example's dynaform.yaml, its `entities:` files named absolutely (the copy lives in
    a temporary folder)."""
    text = (ROOT / "examples" / example / "dynaform.yaml").read_text()
    folder = (ROOT / "examples" / example).as_posix()
    return text.replace("entities.py", f"{folder}/entities.py").replace(
        "events.py", f"{folder}/events.py"
    )


def export(cli: Any, path: Path, table: str, out: Path) -> list[str]:
    assert cli("-f", str(path), "data", "export", table, "--out", str(out)).code == 0
    return sorted(
        json.dumps(json.loads(line), sort_keys=True) for line in out.read_text().splitlines()
    )


def test_calendar_seed_twice_with_clear_gives_identical_items(
    cli: Any, tmp_path: Path, table_name: Any
) -> None:
    name = table_name("cal")
    path = tmp_path / "dynaform.yaml"
    path.write_text(example_text("calendar").replace("project: calendsync", f"project: {name}"))
    assert cli("-f", str(path), "apply", "--yes").code == 0
    args = [
        "-f",
        str(path),
        "seed",
        "-g",
        "calendar",
        "--calendar-id",
        CAL,
        "--count",
        "200",
        "--seed",
        "1",
        "--highlighted-day",
        "2024-06-15",
        "--clear",
        "--yes",
    ]
    first = cli(*args)
    assert first.code == 0, first.stderr
    assert "Items by kind:" in first.stdout and "timed: 90 (" in first.stdout
    before = export(cli, path, "main", tmp_path / "a.jsonl")
    second = cli(*args)
    assert second.code == 0
    assert export(cli, path, "main", tmp_path / "b.jsonl") == before
    assert len(before) == 203  # 200 entries + calendar, owner, membership


def test_items_generator_reproduces_seed_003_report(
    cli: Any, tmp_path: Path, table_name: Any
) -> None:
    path = tmp_path / "dynaform.yaml"
    name = table_name("it")
    path.write_text(
        example_text("items").replace(
            'naming: "{table}-{env}"', f'naming: "{name}-{{table}}-{{env}}"'
        )
    )
    assert cli("-f", str(path), "apply", "--yes").code == 0
    result = cli("-f", str(path), "seed", "-g", "items", "--clear", "--yes")
    assert result.code == 0, result.stderr
    assert "table holds 5 item(s)" in result.stdout
    assert (
        "Items by status:\n  - active: 3 (60%)\n  - archived: 1 (20%)\n  - inactive: 1 (20%)"
        in result.stdout
    )


def test_seed_files_with_templates_and_dynamodb_json(
    cli: Any, ddb: Any, tmp_path: Path, table_name: Any
) -> None:
    name = table_name("files")
    path = project(tmp_path, name, "items: {partition_key: id, sort_key: {name: n, type: N}}\n")
    assert cli("-f", str(path), "apply", "--yes").code == 0
    (tmp_path / "items.yaml").write_text(
        textwrap.dedent("""\
        table: items
        items:
          - {id: "ITEM#${seq}", n: "${seq}", created: "${now-7d:epoch}", price: 19.99}
          - {id: "ITEM#${seq}", n: "${seq}", created: "${now:epoch}", tags: [a, b]}
        """)
    )
    (tmp_path / "more.jsonl").write_text('{"Item": {"id": {"S": "raw"}, "n": {"N": "9"}}}\n')
    result = cli(
        "-f", str(path), "seed", str(tmp_path / "items.yaml"), str(tmp_path / "more.jsonl")
    )
    assert result.code == 0, result.stderr
    table = f"{name}-dev-items"
    first = ddb.get_item(TableName=table, Key={"id": {"S": "ITEM#1"}, "n": {"N": "1"}})["Item"]
    assert first["price"] == {"N": "19.99"} and "N" in first["created"]
    assert ddb.get_item(TableName=table, Key={"id": {"S": "raw"}, "n": {"N": "9"}})["Item"]


def test_bad_input_is_refused_and_writes_nothing(
    cli: Any, ddb: Any, tmp_path: Path, table_name: Any
) -> None:
    name = table_name("bad")
    path = project(tmp_path, name, "items: {partition_key: id, sort_key: {name: n, type: N}}\n")
    assert cli("-f", str(path), "apply", "--yes").code == 0
    table = f"{name}-dev-items"
    seed_file = tmp_path / "bad.yaml"
    seed_file.write_text("table: items\nitems:\n  - {id: a, n: 1}\n  - {id: b, n: two}\n")
    wrong = cli("-f", str(path), "seed", str(seed_file))
    assert wrong.code == 1
    assert f"{seed_file}:4: key attribute 'n' must be type N, is S" in wrong.stderr
    bad_id = cli(
        "-f", str(path), "seed", "-g", "calendar", "--table", "items", "--calendar-id", "not-a-uuid"
    )
    assert bad_id.code == 2 and "is not a UUID" in bad_id.stderr
    unknown = cli("-f", str(path), "seed", "-g", "calender", "--table", "items")
    assert unknown.code == 2 and "did you mean 'calendar'" in unknown.stderr
    protected = cli("-f", str(path), "-e", "prod", "seed", str(seed_file))
    assert protected.code == 2 and "protected environment" in protected.stderr
    assert ddb.scan(TableName=table, Select="COUNT")["Count"] == 0


def test_project_generators_and_environment_seed_files(
    cli: Any, ddb: Any, tmp_path: Path, table_name: Any
) -> None:
    name = table_name("gen")
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "orders.py").write_text(
        textwrap.dedent("""\
        from dynaform.seed import Option, generator

        @generator("orders-demo", table="orders", report_by="state",
                   options=[Option("customers", int, 3, "How many customers")])
        def orders(count, rng, fake, options):
            '''Orders for a few customers.'''
            for n in range(count):
                yield {"pk": f"ORDER#{n}", "customer": f"C{rng.randrange(options['customers'])}",
                       "state": "open" if n % 2 else "paid"}
        """)
    )
    path = project(
        tmp_path, name, "orders: {partition_key: pk}\n", extra="generators: [seeds/*.py]\n"
    )
    assert cli("-f", str(path), "apply", "--yes").code == 0
    result = cli(
        "-f", str(path), "seed", "-g", "orders-demo", "--count", "10", "--customers", "2", "--json"
    )
    assert result.code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["written"] == 10 and report["counts"] == {"open": 5, "paid": 5}
    customers = {i["customer"]["S"] for i in ddb.scan(TableName=f"{name}-dev-orders")["Items"]}
    assert customers <= {"C0", "C1"}
    listed = cli("-f", str(path), "seed", "--list")
    assert "orders-demo" in listed.stdout and "--customers" in listed.stdout


def test_environment_seed_files_and_workbench_generator(
    cli: Any, ddb: Any, tmp_path: Path, table_name: Any
) -> None:
    name = table_name("envseed")
    path = project(tmp_path, name, "items: {partition_key: id}\n")
    path.write_text(
        path.read_text().replace(
            "  dev: {target: local}", "  dev: {target: local, seeds: [dev-items.yaml]}"
        )
    )
    (tmp_path / "dev-items.yaml").write_text("table: items\nitems:\n  - {id: one}\n  - {id: two}\n")
    assert cli("-f", str(path), "apply", "--yes").code == 0
    result = cli("-f", str(path), "seed")
    assert result.code == 0, result.stderr
    assert "seeded 2 item(s)" in result.stdout
    model = tmp_path / "model.json"
    model.write_text(
        json.dumps(
            {
                "ModelName": "m",
                "DataModel": [
                    {
                        "TableName": "items",
                        "TableData": [{"id": {"S": "wb"}, "note": {"S": "from the model"}}],
                    }
                ],
            }
        )
    )
    wb = cli("-f", str(path), "seed", "-g", "workbench", "--table", "items", "--model", str(model))
    assert wb.code == 0, wb.stderr
    got = ddb.get_item(TableName=f"{name}-dev-items", Key={"id": {"S": "wb"}})["Item"]
    assert got["note"] == {"S": "from the model"}


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty-key.yaml", 'table: items\nitems:\n  - {id: ok}\n  - {id: ""}\n', "is empty"),
        (
            "bad-binary.jsonl",
            '{"Item": {"id": {"S": "a"}}}\n{"Item": {"id": {"S": "b"}, "blob": {"B": "no!"}}}\n',
            "not valid base64",
        ),
        (
            "too-big.jsonl",
            '{"Item": {"id": {"S": "big"}, "text": {"S": "' + "x" * 410_000 + '"}}}\n',
            "DynamoDB's limit is 409,600",
        ),
    ],
    ids=["empty-key", "bad-base64", "over-400KB"],
)
def test_clear_with_invalid_seed_data_changes_nothing(
    cli: Any, ddb: Any, tmp_path: Path, table_name: Any, name: str, content: str, reason: str
) -> None:
    """`seed --clear` checks every item before it deletes anything: invalid seed data leaves
    the table exactly as it was (it used to be emptied, then nothing written)."""
    project_name = table_name("keep")
    path = project(tmp_path, project_name, "items: {partition_key: id}\n")
    assert cli("-f", str(path), "apply", "--yes").code == 0
    table = f"{project_name}-dev-items"
    for start in range(0, 60, 25):
        ddb.batch_write_item(
            RequestItems={
                table: [
                    {"PutRequest": {"Item": {"id": {"S": f"kept-{i}"}}}}
                    for i in range(start, min(start + 25, 60))
                ]
            }
        )
    seed_file = tmp_path / name
    seed_file.write_text(content)
    result = cli("-f", str(path), "seed", str(seed_file), "--table", "items", "--clear", "--yes")
    assert result.code == 1, result.stdout
    assert f"{seed_file}:" in result.stderr and reason in result.stderr
    assert ddb.scan(TableName=table, Select="COUNT")["Count"] == 60


def test_write_checks_every_item_before_clearing(
    ddb_endpoint: str, ddb: Any, tmp_path: Path, table_name: Any
) -> None:
    """The same guarantee for callers of ``seed.run.write`` (it is what the command runs)."""
    from dynaform.data.wire import WireClient
    from dynaform.seed.run import SeedError, write
    from tests.conftest import create_simple_table, local_settings

    table = table_name("direct")
    create_simple_table(ddb, table)
    ddb.put_item(TableName=table, Item={"pk": {"S": "kept"}})
    wire = WireClient(local_settings(ddb_endpoint), ddb_endpoint)
    items = [("seed.yaml:3", {"pk": {"S": "new"}}), ("seed.yaml:4", {"pk": {"S": ""}})]
    with pytest.raises(SeedError, match=r"seed.yaml:4: key attribute 'pk' is empty"):
        write(wire, table, items, clear=True, report_by=None, rejects=tmp_path / "r.jsonl")
    assert [i["pk"]["S"] for i in ddb.scan(TableName=table)["Items"]] == ["kept"]
