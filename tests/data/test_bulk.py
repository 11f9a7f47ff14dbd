"""The data plane against the session's DynamoDB Local: lossless round trips, resume after
SIGKILL, fault injection, reject files, the lean client's parity with botocore."""

from __future__ import annotations

import base64
import gzip
import json
import signal
import subprocess
import sys
import time
from decimal import Context, Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError

from dynaform.aws.client import dynamodb_client
from dynaform.data import ops
from dynaform.data.errors import WriteStalledError
from dynaform.data.wire import WireClient
from dynaform.errors import DynaformError
from dynaform.local import engine
from tests.conftest import local_settings
from tests.data.faults import fault_proxy
from tests.helpers import run_cli

ODD = 'line\u2028sep\u2029 tab\t quote" back\\ nul\x00 emoji 🎉 ñ 漢字 \n newline'


def every_type_item(i: int) -> dict[str, Any]:
    """A wire item using every AttributeValue type."""
    b64 = base64.b64encode
    return {
        "pk": {"S": f"item#{i:06d}"},
        "sk": {"N": str(i)},
        "text": {"S": f"{ODD} {i}"},
        "big": {"N": "9" * 38},
        "precise": {"N": "-0.00000000000000000000000000000000000123456789012345678901"},
        "tiny": {"N": "1E-130"},
        "bin": {"B": b64(bytes([i % 256, 0, 255, 10, 13])).decode()},
        "ss": {"SS": ["a", ODD, f"s{i}"]},
        "ns": {"NS": ["1", "2.5", str(i + 10)]},
        "bs": {"BS": [b64(b"\x00\x01").decode(), b64(bytes([i % 256 or 7])).decode()]},
        "flag": {"BOOL": i % 2 == 0},
        "nothing": {"NULL": True},
        "nested": {
            "M": {
                "list": {
                    "L": [
                        {"S": ODD},
                        {"N": "0"},
                        {"M": {"deep": {"BOOL": True}}},
                        {"L": []},
                        {"M": {}},
                    ]
                },
                "empty": {"S": ""},
            }
        },
    }


def number(text: str) -> str:
    return str(Decimal(text).normalize(Context(prec=60)))


def canonical(item: dict[str, Any]) -> bytes:
    """Items compare with sets unordered and numbers by value: DynamoDB keeps neither set order
    nor a number's spelling (1E-130 comes back as 0.000…1)."""

    def fix(av: Any) -> Any:
        if isinstance(av, dict) and len(av) == 1:
            [(tag, inner)] = av.items()
            if tag == "N":
                return {"N": number(inner)}
            if tag == "NS":
                return {"NS": sorted(number(n) for n in inner)}
            if tag in {"SS", "BS"}:
                return {tag: sorted(inner)}
            if tag == "M":
                return {"M": {k: fix(v) for k, v in inner.items()}}
            if tag == "L":
                return {"L": [fix(v) for v in inner]}
        return av

    return orjson.dumps({k: fix(v) for k, v in item.items()}, option=orjson.OPT_SORT_KEYS)


def read_items(path: Path) -> list[bytes]:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return sorted(canonical(orjson.loads(line)["Item"]) for line in raw.split(b"\n") if line)


def write_source(path: Path, count: int) -> list[bytes]:
    items = [every_type_item(i) for i in range(count)]
    path.write_bytes(b"".join(orjson.dumps({"Item": it}) + b"\n" for it in items))
    return sorted(canonical(it) for it in items)


def make_table(ddb: Any, name: str) -> None:
    ddb.create_table(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def wire_for(endpoint: str, **options: Any) -> WireClient:
    return WireClient(local_settings(endpoint), endpoint, **options)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], clean_env: pytest.MonkeyPatch, ddb_endpoint: str):  # type: ignore[no-untyped-def]
    def run(*args: str) -> Any:
        return run_cli(capsys, "--endpoint-url", ddb_endpoint, *args)

    return run


def test_20k_items_of_every_type_round_trip_exactly(
    cli: Any, ddb: Any, tmp_path: Path, table_name: Any
) -> None:
    source = tmp_path / "source.jsonl"
    expected = write_source(source, 20_000)
    first, second = table_name("rt"), table_name("rt")
    make_table(ddb, first)
    make_table(ddb, second)

    imported = cli("data", "import", first, str(source))
    assert imported.code == 0, imported.stderr
    assert "imported 20,000 item(s)" in imported.stdout

    exported = tmp_path / "out.jsonl.gz"
    result = cli("data", "export", first, "--out", str(exported), "--segments", "4", "--gzip")
    assert result.code == 0, result.stderr
    assert read_items(exported) == expected

    again = cli("--json", "data", "import", second, str(exported))
    assert again.code == 0, again.stderr
    assert json.loads(again.stdout)["items"] == 20_000
    folder = tmp_path / "parts"
    assert cli("data", "export", second, "--out", str(folder), "--segments", "3").code == 0
    parts = sorted(folder.glob("part-*.jsonl"))
    assert len(parts) == 3
    assert sorted(x for p in parts for x in read_items(p)) == expected
    assert json.loads((folder / "manifest.json").read_bytes())["items"] == 20_000
    counted = cli("--json", "data", "count", second)
    assert json.loads(counted.stdout)["items"] == 20_000


def _kill_when(args: list[str], cwd: Path, ready: Any, timeout: float = 120) -> bool:
    """Run dynaform, SIGKILL it as soon as ``ready()``; False if it finished first."""
    process = subprocess.Popen(
        [sys.executable, "-m", "dynaform", *args],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + timeout
    while not ready():
        if process.poll() is not None or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    killed = process.poll() is None
    process.send_signal(signal.SIGKILL)
    process.wait()
    return killed


def _progress(checkpoint: Path) -> int:
    try:
        state = orjson.loads(checkpoint.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return -1
    if "files" in state:
        return sum(int(v) for v in state["files"].values())
    parts = state["parts"].values()
    return -1 if all(p["done"] for p in parts) else sum(p["items"] for p in parts)


def test_import_killed_repeatedly_then_resumed_is_exactly_the_source(
    ddb_endpoint: str, ddb: Any, tmp_path: Path, table_name: Any
) -> None:
    source = tmp_path / "source.jsonl"
    expected = write_source(source, 12_000)  # ~6 s a run at --rate 2000: room for 3 kills
    name = table_name("kill")
    make_table(ddb, name)
    checkpoint = tmp_path / "source.jsonl.checkpoint.json"
    base = ["--endpoint-url", ddb_endpoint, "data", "import", name, str(source), "--rate", "2000"]
    kills = 0
    for resume in ([], ["--resume"], ["--resume"]):
        start = _progress(checkpoint)
        if _kill_when([*base, *resume], tmp_path, lambda s=start: _progress(checkpoint) > s + 500):
            kills += 1
    assert kills == 3 and checkpoint.exists()
    done = subprocess.run(
        [sys.executable, "-m", "dynaform", *base, "--resume"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert not checkpoint.exists()
    out = tmp_path / "check.jsonl"
    exported = subprocess.run(
        [
            sys.executable,
            "-m",
            "dynaform",
            "--endpoint-url",
            ddb_endpoint,
            "data",
            "export",
            name,
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert exported.returncode == 0, exported.stderr
    assert read_items(out) == expected


def test_export_killed_then_resumed_has_every_item_once(
    ddb_endpoint: str, ddb: Any, tmp_path: Path, table_name: Any
) -> None:
    source = tmp_path / "source.jsonl"
    expected = write_source(source, 20_000)
    name = table_name("exkill")
    make_table(ddb, name)
    ops.import_files(wire_for(ddb_endpoint), name, [source])
    out = tmp_path / "export.jsonl.gz"
    checkpoint = tmp_path / "export.jsonl.gz.checkpoint.json"
    args = [
        "--endpoint-url",
        ddb_endpoint,
        "data",
        "export",
        name,
        "--out",
        str(out),
        "--segments",
        "2",
        "--gzip",
    ]
    assert _kill_when(args, tmp_path, lambda: _progress(checkpoint) > 0)
    assert checkpoint.exists()
    done = subprocess.run(
        [sys.executable, "-m", "dynaform", *args, "--resume"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert read_items(out) == expected  # every item, none twice


def test_chaos_loses_nothing(ddb_endpoint: str, ddb: Any, tmp_path: Path, table_name: Any) -> None:
    source = tmp_path / "source.jsonl"
    expected = write_source(source, 3_000)
    name = table_name("chaos")
    make_table(ddb, name)
    with fault_proxy(ddb_endpoint, "chaos") as (url, proxy):
        result = ops.import_files(
            wire_for(url),
            name,
            [source],
            writer_options={"base_delay": 0.001, "max_delay": 0.01, "max_rounds": 50},
        )
        assert proxy.injected > 20
    assert result.stats.rejected == 0 and result.stats.retries > 0
    out = tmp_path / "out.jsonl"
    ops.export_table(wire_for(ddb_endpoint), name, out)
    assert read_items(out) == expected


def test_throttling_past_the_deadline_stops_without_rejecting_and_resumes(
    ddb_endpoint: str, ddb: Any, tmp_path: Path, table_name: Any
) -> None:
    """Throttling never moves an item to the reject file: past the deadline the run stops,
    its checkpoint resumable, and the resumed run writes exactly the source."""
    source = tmp_path / "source.jsonl"
    expected = write_source(source, 300)
    name = table_name("throttled")
    make_table(ddb, name)
    rejects = tmp_path / "rejects.jsonl"
    with (
        fault_proxy(ddb_endpoint, "throttle") as (url, _),
        pytest.raises(WriteStalledError) as stopped,
    ):
        ops.import_files(
            wire_for(url, max_attempts=1),
            name,
            [source],
            rejects=rejects,
            writer_options={"base_delay": 0.001, "max_delay": 0.01, "stall_timeout": 0.5},
        )
    assert "--resume" in stopped.value.hint
    assert not rejects.exists() or rejects.read_bytes() == b""
    assert (tmp_path / "source.jsonl.checkpoint.json").exists()
    result = ops.import_files(wire_for(ddb_endpoint), name, [source], rejects=rejects, resume=True)
    assert result.stats.rejected == 0 and result.rejects is None
    out = tmp_path / "out.jsonl"
    ops.export_table(wire_for(ddb_endpoint), name, out)
    assert read_items(out) == expected


def test_invalid_file_sends_nothing(cli: Any, ddb: Any, tmp_path: Path, table_name: Any) -> None:
    name = table_name("bad")
    make_table(ddb, name)
    source = tmp_path / "bad.jsonl"
    good = orjson.dumps({"Item": every_type_item(1)})
    source.write_bytes(good + b"\n" + good + b'\n{"Item": {"pk": {"S": "x"}}}\n')
    result = cli("data", "import", name, str(source))
    assert result.code == 1
    assert f"{source}:3: key attribute 'sk' must be type N, is missing" in result.stderr
    assert ddb.scan(TableName=name, Select="COUNT")["Count"] == 0
    source.write_bytes(good + b"\nnot json\n")
    broken = cli("data", "import", name, str(source))
    assert broken.code == 1 and f"{source}:2: not JSON" in broken.stderr
    assert ddb.scan(TableName=name, Select="COUNT")["Count"] == 0


def test_an_item_dynamodb_refuses_is_rejected_alone(
    cli: Any, ddb: Any, tmp_path: Path, table_name: Any
) -> None:
    name = table_name("refuse")
    make_table(ddb, name)
    items = [every_type_item(i) for i in range(30)]
    items[7]["ns"] = {"NS": ["1", "1"]}  # DynamoDB refuses duplicates in a set
    source = tmp_path / "some.jsonl"
    source.write_bytes(b"".join(orjson.dumps({"Item": it}) + b"\n" for it in items))
    result = cli("data", "import", name, str(source))
    assert result.code == 1
    assert "1 item(s) could not be written (1 x ValidationException" in result.stderr
    rejects = tmp_path / "some.jsonl.rejects.jsonl"
    assert read_items(rejects) == [canonical(items[7])]
    assert ddb.scan(TableName=name, Select="COUNT")["Count"] == 29


def test_json_and_csv_formats(cli: Any, ddb: Any, tmp_path: Path, table_name: Any) -> None:
    name = table_name("fmt")
    make_table(ddb, name)
    plain = tmp_path / "plain.jsonl"
    plain.write_text(
        '{"pk": "a", "sk": 1, "price": 19.99, "tags": ["x"], "ok": true}\n'
        '{"pk": "b", "sk": 2, "price": 12345678901234567890.123456789}\n'
    )
    assert cli("data", "import", name, str(plain)).code == 0
    item = ddb.get_item(TableName=name, Key={"pk": {"S": "b"}, "sk": {"N": "2"}})["Item"]
    assert item["price"] == {"N": "12345678901234567890.123456789"}
    as_json = tmp_path / "back.jsonl"
    assert cli("data", "export", name, "--out", str(as_json), "--format", "json").code == 0
    lines = sorted(as_json.read_text().splitlines())
    assert '"price":19.99' in lines[0] and '"price":12345678901234567890.123456789' in lines[1]

    table_csv = tmp_path / "rows.csv"
    table_csv.write_text('pk,sk,price,active,meta\nc,3,1.50,true,"{""a"": [1, 2]}"\nd,4,2,false,\n')
    result = cli(
        "data", "import", name, str(table_csv), "--types", "sk=N,price=N,active=BOOL,meta=JSON"
    )
    assert result.code == 0, result.stderr
    row = ddb.get_item(TableName=name, Key={"pk": {"S": "c"}, "sk": {"N": "3"}})["Item"]
    assert row["price"] == {"N": "1.50"} or row["price"] == {"N": "1.5"}
    assert row["active"] == {"BOOL": True}
    assert row["meta"] == {"M": {"a": {"L": [{"N": "1"}, {"N": "2"}]}}}
    assert (
        "meta" not in ddb.get_item(TableName=name, Key={"pk": {"S": "d"}, "sk": {"N": "4"}})["Item"]
    )
    out_csv = tmp_path / "out.csv"
    assert (
        cli(
            "data",
            "export",
            name,
            "--out",
            str(out_csv),
            "--format",
            "csv",
            "--columns",
            "pk,sk,price",
        ).code
        == 0
    )
    assert out_csv.read_text().splitlines()[0] == "pk,sk,price"


def test_s3_export_folder_and_workbench_model(
    cli: Any, ddb: Any, tmp_path: Path, table_name: Any
) -> None:
    name = table_name("s3")
    make_table(ddb, name)
    folder = tmp_path / "AWSDynamoDB" / "0123-abc"
    (folder / "data").mkdir(parents=True)
    items = [every_type_item(i) for i in range(50)]
    for part in range(2):
        chunk = items[part * 25 : (part + 1) * 25]
        (folder / "data" / f"f{part}.json.gz").write_bytes(
            gzip.compress(b"".join(orjson.dumps({"Item": it}) + b"\n" for it in chunk))
        )
    (folder / "manifest-files.json").write_text(
        "\n".join(
            json.dumps(
                {"itemCount": 25, "dataFileS3Key": f"AWSDynamoDB/0123-abc/data/f{p}.json.gz"}
            )
            for p in range(2)
        )
        + "\n"
    )
    assert cli("data", "import", name, str(folder)).code == 0
    assert ddb.scan(TableName=name, Select="COUNT")["Count"] == 50

    model = tmp_path / "model.json"
    model.write_text(
        json.dumps(
            {
                "ModelName": "m",
                "DataModel": [
                    {
                        "TableName": "T",
                        "TableData": [
                            {"pk": {"S": "wb1"}, "sk": {"N": "1"}},
                            {"pk": {"S": "wb2"}, "sk": {"N": "2"}},
                        ],
                    }
                ],
            }
        )
    )
    assert cli("data", "import", name, str(model)).code == 0
    assert ddb.scan(TableName=name, Select="COUNT")["Count"] == 52


def test_copy_with_transform_count_and_clear(
    cli: Any, ddb: Any, tmp_path: Path, table_name: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    source_name, target_name = table_name("src"), table_name("dst")
    make_table(ddb, source_name)
    make_table(ddb, target_name)
    source = tmp_path / "s.jsonl"
    write_source(source, 500)
    assert cli("data", "import", source_name, str(source)).code == 0
    (tmp_path / "shaping.py").write_text(
        "def keep_even(item):\n"
        "    if item['sk'] % 2:\n        return None\n"
        "    item['copied'] = True\n    return item\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    copied = cli(
        "data",
        "copy",
        source_name,
        target_name,
        "--transform",
        "shaping:keep_even",
        "--rejects",
        str(tmp_path / "copy.rej"),
    )
    assert copied.code == 0, copied.stderr
    assert "copied 250 of 500 item(s) (250 skipped by the transform)" in copied.stdout
    item = ddb.get_item(TableName=target_name, Key={"pk": {"S": "item#000002"}, "sk": {"N": "2"}})
    assert item["Item"]["copied"] == {"BOOL": True}
    assert item["Item"]["text"]["S"].startswith(ODD)
    refused = cli("data", "clear", target_name)
    assert refused.code == 2 and "no terminal" in refused.stderr
    cleared = cli("data", "clear", target_name, "--yes")
    assert cleared.code == 0 and "deleted 250 item(s)" in cleared.stdout
    assert ddb.scan(TableName=target_name, Select="COUNT")["Count"] == 0
    assert ddb.describe_table(TableName=target_name)["Table"]["TableStatus"] == "ACTIVE"


@pytest.mark.parametrize(
    ("mode", "code", "retryable"),
    [
        (
            "error:400:ProvisionedThroughputExceededException",
            "ProvisionedThroughputExceededException",
            True,
        ),
        ("error:500:InternalServerError", "InternalServerError", True),
        ("error:400:ValidationException", "ValidationException", False),
        ("error:400:UnrecognizedClientException", "UnrecognizedClientException", False),
    ],
)
def test_lean_client_errors_and_retries_match_botocore(
    ddb_endpoint: str, mode: str, code: str, retryable: bool
) -> None:
    request = {"TableName": "whatever"}
    with fault_proxy(ddb_endpoint, mode) as (url, proxy):
        botocore_client = dynamodb_client(
            local_settings(url),
            config=Config(retries={"mode": "standard", "total_max_attempts": 3}),
        )
        with pytest.raises(ClientError) as theirs:
            botocore_client.describe_table(**request)
        their_requests = proxy.requests
        proxy.requests = 0
        with pytest.raises(ClientError) as ours:
            wire_for(url, max_attempts=3).call("DescribeTable", request)
        our_requests = proxy.requests
    assert ours.value.response["Error"]["Code"] == theirs.value.response["Error"]["Code"] == code
    assert our_requests == their_requests == (3 if retryable else 1)


def test_lean_client_connection_errors_match_botocore() -> None:
    url = f"http://localhost:{engine.free_port()}"
    with pytest.raises(EndpointConnectionError):
        dynamodb_client(
            local_settings(url), config=Config(retries={"total_max_attempts": 1})
        ).list_tables()
    with pytest.raises(EndpointConnectionError):
        wire_for(url, max_attempts=1).call("ListTables", {})


def test_resume_without_checkpoint_and_mismatched_resume_are_clear(
    ddb_endpoint: str, tmp_path: Path, ddb: Any, table_name: Any
) -> None:
    name = table_name("res")
    make_table(ddb, name)
    source = tmp_path / "s.jsonl"
    write_source(source, 10)
    with pytest.raises(DynaformError, match="nothing to resume"):
        ops.import_files(wire_for(ddb_endpoint), name, [source], resume=True)
    with pytest.raises(DynaformError, match="nothing to resume"):
        ops.export_table(wire_for(ddb_endpoint), name, tmp_path / "x.jsonl", resume=True)
    assert not (tmp_path / "x.jsonl").exists()


def test_an_export_folder_imports_back(cli: Any, ddb: Any, tmp_path: Path, table_name: Any) -> None:
    first, second = table_name("fold"), table_name("fold")
    make_table(ddb, first)
    make_table(ddb, second)
    source = tmp_path / "s.jsonl"
    expected = write_source(source, 400)
    assert cli("data", "import", first, str(source)).code == 0
    folder = tmp_path / "backup"
    assert cli("data", "export", first, "--out", str(folder), "--segments", "3", "--gzip").code == 0
    assert cli("data", "import", second, str(folder)).code == 0
    out = tmp_path / "check.jsonl"
    assert cli("data", "export", second, "--out", str(out)).code == 0
    assert read_items(out) == expected


def test_logical_table_names_resolve_through_the_project(
    cli: Any, tmp_path: Path, table_name: Any, ddb: Any
) -> None:
    project = table_name("proj")
    path = tmp_path / "dynaform.yaml"
    path.write_text(
        f"project: {project}\nenvironments:\n  dev: {{target: local}}\n"
        "tables:\n  orders: {partition_key: pk, sort_key: {name: sk, type: N}}\n"
    )
    assert cli("-f", str(path), "apply", "--yes").code == 0
    source = tmp_path / "s.jsonl"
    write_source(source, 30)
    result = cli("-f", str(path), "data", "import", "orders", str(source))
    assert result.code == 0, result.stderr
    assert f"into {project}-dev-orders" in result.stdout
    assert ddb.scan(TableName=f"{project}-dev-orders", Select="COUNT")["Count"] == 30


def test_copy_to_another_endpoint(
    cli: Any, ddb: Any, ddb_endpoint: str, tmp_path: Path, table_name: Any
) -> None:
    source_name, target_name = table_name("from"), table_name("to")
    make_table(ddb, source_name)
    make_table(ddb, target_name)
    source = tmp_path / "s.jsonl"
    expected = write_source(source, 120)
    assert cli("data", "import", source_name, str(source)).code == 0
    other = ddb_endpoint.replace("localhost", "127.0.0.1")  # the same engine by another address
    copied = cli(
        "data",
        "copy",
        source_name,
        target_name,
        "--to-endpoint",
        other,
        "--rejects",
        str(tmp_path / "c.rej"),
    )
    assert copied.code == 0, copied.stderr
    out = tmp_path / "check.jsonl"
    assert cli("data", "export", target_name, "--out", str(out)).code == 0
    assert read_items(out) == expected
    same = cli("data", "copy", source_name, source_name)
    assert same.code == 2 and "same table" in same.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["data", "count"],
        ["data", "clear", "--yes"],
        ["data", "export", "--out", "x.jsonl"],
        ["seed", "-g", "items"],
    ],
)
def test_a_missing_table_is_one_sentence_not_a_traceback(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    args = (
        [*command[:2], "no-such-table", *command[2:]]
        if command[0] == "data"
        else [*command, "--table", "no-such-table"]
    )
    result = cli(*args)
    assert result.code == 1
    assert "table no-such-table does not exist" in result.stderr
    assert "dynaform apply" in result.stderr and "Traceback" not in result.stderr


def test_requests_the_client_retried_count_in_the_summary(
    ddb: Any, ddb_endpoint: str, tmp_path: Path, table_name: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A connection dropped once (an engine restarting) is retried by the client; the import's
    summary said "0 retries" because only the rounds for unprocessed items were counted."""
    from dynaform.data import http
    from dynaform.data.importer import import_files

    table = table_name("retried")
    make_table(ddb, table)
    source = tmp_path / "source.jsonl"
    write_source(source, 60)
    real_post = http.Connections.post
    dropped: list[bool] = []

    def drop_the_first_write(self: Any, path: str, headers: Any, body: bytes) -> Any:
        if b'"RequestItems"' in body and not dropped:
            dropped.append(True)
            raise http.DroppedError("the engine went away")
        return real_post(self, path, headers, body)

    monkeypatch.setattr(http.Connections, "post", drop_the_first_write)
    result = import_files(wire_for(ddb_endpoint), table, [source], concurrency=1)
    assert dropped and result.stats.items == 60
    assert result.stats.retries == 1
