"""`dynaform data import TABLE postgresql://... --query`: a real PostgreSQL 15 (a throwaway
cluster) into the session's DynamoDB Local, every type compared exactly, a SIGKILL mid-way
resumed to the exact result, and a row without its key rejected with its row number."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import psycopg
import pytest

from dynaform.data.export import export_table
from dynaform.data.row_order import has_order_by
from tests.data.pg_server import postgres_cluster
from tests.data.test_bulk import wire_for
from tests.helpers import run_cli

ROWS = 50_000
QUERY = (
    'SELECT pk AS "PK", n_int, n_big, n_num, f, flag, name, created, local_ts, stamp, day, id,'
    " doc, doc_json, tags, nums, tagset, blob, maybe FROM things ORDER BY pk"
)
COLUMNS = "stamp=epoch,nums=NS,tagset=SS"
SCHEMA = """
CREATE TABLE things (
    pk text PRIMARY KEY, n_int integer, n_big bigint, n_num numeric(30, 10),
    f double precision, flag boolean, name text, created timestamptz, local_ts timestamp,
    stamp timestamptz, day date, id uuid, doc jsonb, doc_json json, tags text[], nums int[],
    tagset text[], blob bytea, maybe text);
INSERT INTO things SELECT
    'P#' || lpad(i::text, 6, '0'), i * 7 - 100000, i::bigint * 1000000007,
    12345678901234567890 + i * 0.0000000001, i / 4.0::float8, i % 2 = 0, 'nämé ' || i,
    timestamptz '2024-01-01 00:00:00+00' + i * interval '1.5 seconds',
    timestamp '2020-02-29 12:00:00' + i * interval '1 minute', to_timestamp(1700000000 + i),
    date '2000-01-01' + i, md5(i::text)::uuid,
    jsonb_build_object('i', i, 'price', 1.25 + i, 'nested', jsonb_build_array(i, 'x', null, true)),
    json_build_object('big', 123456789012345678901234567890),
    ARRAY['a' || i, 'b'], ARRAY[i, i + 1, i], ARRAY['x', 'y' || (i % 3)],
    decode(md5(i::text), 'hex'), CASE WHEN i % 3 = 0 THEN NULL ELSE 'v' END
FROM generate_series(0, %s) AS i;
CREATE TABLE keyless (pk text, n integer);
INSERT INTO keyless VALUES ('a', 1), ('b', 2), (NULL, 3), ('d', 4);
"""


def expected(i: int) -> dict[str, Any]:
    item: dict[str, Any] = {
        "PK": {"S": f"P#{i:06d}"},
        "n_int": {"N": str(i * 7 - 100000)},
        "n_big": {"N": str(i * 1000000007)},
        "n_num": {"N": f"12345678901234567890.{i:010d}"},
        "f": {"N": repr(i / 4.0)},
        "flag": {"BOOL": i % 2 == 0},
        "name": {"S": f"nämé {i}"},
        "created": {"S": _iso(datetime(2024, 1, 1, tzinfo=UTC) + timedelta(seconds=1.5 * i))},
        "local_ts": {"S": _iso(datetime(2020, 2, 29, 12, tzinfo=UTC) + timedelta(minutes=i))},
        "stamp": {"N": str(1700000000 + i)},
        "day": {"S": (datetime(2000, 1, 1) + timedelta(days=i)).date().isoformat()},
        "id": {"S": str(uuid.UUID(hashlib.md5(str(i).encode()).hexdigest()))},
        "doc": {"M": {"i": {"N": str(i)}, "price": {"N": str(Decimal("1.25") + i)},
                      "nested": {"L": [{"N": str(i)}, {"S": "x"}, {"NULL": True},
                                       {"BOOL": True}]}}},
        "doc_json": {"M": {"big": {"N": "123456789012345678901234567890"}}},
        "tags": {"L": [{"S": f"a{i}"}, {"S": "b"}]},
        "nums": {"NS": [str(i), str(i + 1)]},
        "tagset": {"SS": sorted({"x", f"y{i % 3}"})},
        "blob": {"B": base64.b64encode(hashlib.md5(str(i).encode()).digest()).decode()},
    }  # fmt: skip
    if i % 3:
        item["maybe"] = {"S": "v"}
    return item


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def norm(av: Any) -> Any:
    """Numbers by value, sets unordered: what DynamoDB keeps of an attribute value."""
    [(tag, inner)] = av.items()
    if tag == "N":
        return ("N", Decimal(inner))
    if tag in ("NS", "SS"):
        return (tag, sorted(Decimal(v) if tag == "NS" else v for v in inner))
    if tag == "M":
        return ("M", {k: norm(v) for k, v in inner.items()})
    if tag == "L":
        return ("L", [norm(v) for v in inner])
    return (tag, inner)


def table_items(endpoint: str, table: str, folder: Path) -> dict[str, dict[str, Any]]:
    """The table's items, read through the data plane's export (much faster than boto)."""
    out = folder / f"{table}.check.jsonl"
    export_table(wire_for(endpoint), table, out, segments=2)
    found: dict[str, dict[str, Any]] = {}
    for line in out.read_bytes().splitlines():
        item = orjson.loads(line)["Item"]
        found[item["PK"]["S"]] = {k: norm(v) for k, v in item.items()}
    out.unlink()
    return found


def assert_exact(endpoint: str, table: str, folder: Path) -> None:
    found = table_items(endpoint, table, folder)
    assert len(found) == ROWS
    for i in range(ROWS):
        want = {k: norm(v) for k, v in expected(i).items()}
        assert found[f"P#{i:06d}"] == want, i


@pytest.fixture(scope="module")
def pg() -> Iterator[str]:
    with postgres_cluster() as dsn:
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute("ALTER DATABASE postgres SET timezone = 'America/New_York'")
            connection.execute(SCHEMA.replace("%s", str(ROWS - 1)).encode())
        yield dsn


def make_table(ddb: Any, name: str) -> None:
    ddb.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )


@pytest.fixture
def target(ddb: Any, table_name: Any, tmp_path: Path, clean_env: pytest.MonkeyPatch) -> str:
    """An empty table to import into, with the test's folder as the working folder (where
    the checkpoint and the reject file go)."""
    table = table_name("pg")
    make_table(ddb, table)
    clean_env.chdir(tmp_path)
    return table


def test_every_type_imports_exactly(
    pg: str, ddb_endpoint: str, target: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = target
    result = run_cli(
        capsys, "--endpoint-url", ddb_endpoint, "data", "import", table, pg,
        "--query", QUERY, "--types", COLUMNS,
    )  # fmt: skip
    assert result.code == 0, result.stderr
    assert f"imported {ROWS:,} of {ROWS:,} row(s)" in result.stdout
    assert_exact(ddb_endpoint, table, tmp_path)
    assert not (tmp_path / f"{table}.postgres.checkpoint.json").exists()


def test_sigkill_midway_then_resume_ends_exact(
    pg: str, ddb: Any, ddb_endpoint: str, table_name: Any, tmp_path: Path
) -> None:
    table = table_name("pgkill")
    make_table(ddb, table)
    args = ["data", "import", table, pg, "--query", QUERY, "--types", COLUMNS]
    env = {**os.environ, "AWS_ENDPOINT_URL": ddb_endpoint, "AWS_ACCESS_KEY_ID": "x",
           "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "us-east-1"}  # fmt: skip
    running = subprocess.Popen(
        [sys.executable, "-m", "dynaform", *args, "--rate", "5000"], cwd=tmp_path, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    saved = tmp_path / f"{table}.postgres.checkpoint.json"
    done = 0
    while done < 2000 and running.poll() is None:  # until some rows are confirmed
        with contextlib.suppress(FileNotFoundError, orjson.JSONDecodeError, KeyError):
            done = int(orjson.loads(saved.read_bytes())["files"].get("postgresql", 0))
        time.sleep(0.05)
    # streaming: the importer's session reads the result 2,000 rows at a time from a cursor
    with psycopg.connect(pg, autocommit=True) as connection:
        fetching = connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'FETCH FORWARD 2000 FROM%'"
        ).fetchone()
    running.send_signal(signal.SIGKILL)
    running.wait(timeout=60)
    assert running.returncode == -signal.SIGKILL
    stopped_at = int(orjson.loads(saved.read_bytes())["files"]["postgresql"])
    assert 2000 <= stopped_at < ROWS
    assert fetching == (1,)
    before = table_items(ddb_endpoint, table, tmp_path)
    assert len(before) < ROWS
    recorded = saved.read_bytes()
    assert orjson.loads(recorded)["order"]["postgresql"]  # the digest of the rows below it
    # the same rows in another order: refused before anything is written
    reversed_args = [a.replace("ORDER BY pk", "ORDER BY pk DESC") for a in args]
    refused = subprocess.run(
        [sys.executable, "-m", "dynaform", *reversed_args, "--resume"], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert refused.returncode == 1, refused.stderr
    assert "the query's rows came back in a different order" in refused.stderr
    assert "add ORDER BY on the key columns (PK)" in refused.stderr
    assert "without --resume" in refused.stderr and "Traceback" not in refused.stderr
    assert table_items(ddb_endpoint, table, tmp_path) == before  # nothing written
    assert orjson.loads(saved.read_bytes()) == orjson.loads(recorded)
    resumed = subprocess.run(
        [sys.executable, "-m", "dynaform", *args, "--resume"], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    assert f"of {ROWS - stopped_at:,} row(s)" in resumed.stdout
    assert_exact(ddb_endpoint, table, tmp_path)
    assert not saved.exists()


def test_a_row_without_its_key_goes_to_the_reject_file_with_its_row_number(
    pg: str, ddb_endpoint: str, target: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = target
    result = run_cli(
        capsys, "--endpoint-url", ddb_endpoint, "data", "import", table, pg,
        "--query", 'SELECT pk AS "PK", n FROM keyless ORDER BY n',
    )  # fmt: skip
    assert result.code != 0
    rejects = tmp_path / f"{table}.postgres.rejects.jsonl"
    assert str(rejects.name) in result.stderr
    [line] = [orjson.loads(text) for text in rejects.read_bytes().splitlines()]
    assert line["Source"] == "postgresql: row 3"
    assert line["Item"] == {"n": {"N": "3"}}
    assert "PK" in line["Error"]
    found = table_items(ddb_endpoint, table, tmp_path)
    assert sorted(found) == ["a", "b", "d"]


TRANSFORM = """\
def row(item):
    if item["PK"] == "b":
        return None
    return {**item, "seen": True}
"""


def test_transform_epoch_ms_and_an_unstorable_value(
    pg: str, ddb_endpoint: str, target: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = target
    (tmp_path / "shape.py").write_text(TRANSFORM)
    query = (
        "SELECT pk AS \"PK\", timestamptz '2024-01-01 00:00:00.25+00' AS at,"
        " CASE WHEN pk = 'd' THEN 'NaN'::numeric ELSE n END AS n"
        " FROM keyless WHERE pk IS NOT NULL ORDER BY pk"
    )
    result = run_cli(
        capsys, "--endpoint-url", ddb_endpoint, "data",
        "import", table, pg, "--query", query, "--types", "at=epoch-ms",
        "--transform", "shape:row",
    )  # fmt: skip
    assert result.code == 1, result.stderr  # the NaN row is rejected
    assert "1 skipped by the transform, 1 rejected" in result.stdout
    [line] = [orjson.loads(text) for text in (tmp_path / f"{table}.postgres.rejects.jsonl")
              .read_bytes().splitlines()]  # fmt: skip
    assert line["Source"] == "postgresql: row 3" and "NaN" in line["Error"]
    found = table_items(ddb_endpoint, table, tmp_path)
    assert found == {
        "a": {"PK": ("S", "a"), "at": ("N", Decimal("1704067200250")), "n": ("N", Decimal(1)),
              "seen": ("BOOL", True)},
    }  # fmt: skip


def test_order_by_is_found_outside_literals_and_comments() -> None:
    assert has_order_by("select * from t Order\n  By id")
    assert not has_order_by("SELECT 'order by' AS x FROM t -- ORDER BY id\n")
    assert not has_order_by("SELECT a /* order by a */ FROM t WHERE b = 'it''s order by'")
    assert not has_order_by("SELECT recorder_by FROM t")


def test_a_query_without_order_by_is_warned_about(
    pg: str, ddb_endpoint: str, target: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = target
    cli = ("--endpoint-url", ddb_endpoint, "data", "import", table, pg, "--query")
    unordered = run_cli(capsys, *cli, 'SELECT pk AS "PK", n FROM keyless WHERE pk IS NOT NULL')
    assert unordered.code == 0, unordered.stderr
    assert "the query has no ORDER BY" in unordered.stderr and "--resume" in unordered.stderr
    ordered = run_cli(capsys, *cli, 'SELECT pk AS "PK" FROM keyless WHERE n > 0 ORDER BY pk')
    assert ordered.code == 1  # the row without its key is rejected; no warning about order
    assert "ORDER BY" not in ordered.stderr


def test_an_unreachable_server_and_a_bad_query_are_one_sentence_each(
    pg: str, ddb_endpoint: str, target: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = target
    cli = ("--endpoint-url", ddb_endpoint, "data", "import", table)
    closed = pg.rsplit(":", 1)[0] + ":1/postgres"
    refused = run_cli(capsys, *cli, closed, "--query", 'SELECT 1 AS "PK"')
    assert refused.code == 1
    assert "cannot connect to PostgreSQL" in refused.stderr and "Traceback" not in refused.stderr
    assert not (tmp_path / f"{table}.postgres.checkpoint.json").exists()  # nothing to resume
    wrong = run_cli(capsys, *cli, pg, "--query", "SELECT nope FROM keyless")
    assert wrong.code == 1
    assert "PostgreSQL refused the query" in wrong.stderr and "nope" in wrong.stderr
    assert not (tmp_path / f"{table}.postgres.checkpoint.json").exists()
    missing = run_cli(capsys, *cli, pg)
    assert missing.code != 0 and "--query" in missing.stderr
