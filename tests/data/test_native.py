"""``data export --via s3://...`` and ``data import --via s3://...`` against moto's server.

DynamoDB Local has no S3, no point-in-time recovery, and neither ExportTableToPointInTime nor
ImportTable, so these tests run on moto's server (started through `dynaform local start
--engine moto`'s code path), as the project's rules allow for what DynamoDB Local lacks. Moto
serves S3, PITR, the export (full, written as one gzip file), DescribeExport, ImportTable
(DYNAMODB_JSON) and DescribeImport. What moto lacks, and so what is not tested here against a
service: the export's manifests (manifest-summary.json, manifest-files.json; the download
falls back to the export's data/ folder, and reads manifest-files.json when DescribeExport
names one, as AWS does), incremental exports (moto accepts INCREMENTAL_EXPORT but writes a full
export; the NewImage/Keys conversion is tested on an incremental file written to moto's S3 in
AWS's layout), ImportTable's CSV and ION formats, and billing (BilledSizeBytes is moto's count
of bytes).
"""

from __future__ import annotations

import gzip
import json
import textwrap
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from dynaform.aws.client import dynamodb_client
from dynaform.aws.s3 import s3_client
from dynaform.data import native
from dynaform.local import engine
from tests.conftest import local_settings
from tests.helpers import run_cli

PROJECT = """\
project: nat
default_env: dev
environments:
  dev: {target: aws}
  prod: {target: aws, protected: true}
tables:
  orders:
    partition_key: pk
    point_in_time_recovery: true
  restored:
    partition_key: pk
    indexes:
      byOwner: {partition_key: owner}
  nopitr:
    partition_key: pk
  withlsi:
    partition_key: pk
    sort_key: sk
    local_indexes:
      byDate: {sort_key: date}
"""
ITEMS = 40


@pytest.fixture
def moto(clean_env: pytest.MonkeyPatch, moto_endpoint: str, tmp_path: Path) -> dict[str, Any]:
    """A project on moto, ``orders`` (PITR on, ITEMS items) and ``nopitr`` created, and a
    bucket; ``restored`` is declared but not created."""
    clean_env.setenv("AWS_ACCESS_KEY_ID", "testing")
    clean_env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    (tmp_path / "dynaform.yaml").write_text(textwrap.dedent(PROJECT))
    settings = local_settings(moto_endpoint)
    ddb: Any = dynamodb_client(settings)
    for table in ddb.list_tables()["TableNames"]:
        ddb.delete_table(TableName=table)
    for name in ("nat-dev-orders", "nat-dev-nopitr"):
        ddb.create_table(
            TableName=name,
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
    ddb.update_continuous_backups(
        TableName="nat-dev-orders",
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
    )
    for i in range(ITEMS):
        item = {"pk": {"S": f"k{i:03d}"}, "owner": {"S": f"o{i % 3}"}, "n": {"N": str(i)}}
        ddb.put_item(TableName="nat-dev-orders", Item=item)
    s3: Any = s3_client(settings)
    bucket = f"bucket-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    return {"ddb": ddb, "s3": s3, "bucket": bucket, "endpoint": moto_endpoint, "dir": tmp_path}


def _df(capsys: Any, moto: dict[str, Any], *args: str) -> Any:
    path = moto["dir"] / "dynaform.yaml"
    return run_cli(capsys, "-f", str(path), "--endpoint-url", moto["endpoint"], *args)


def _keys(folder: Path) -> list[str]:
    keys = []
    for part in sorted((folder / "data").glob("*.json.gz")):
        for line in gzip.decompress(part.read_bytes()).splitlines():
            keys.append(json.loads(line)["Item"]["pk"]["S"])
    return sorted(keys)


def test_native_export_downloads_and_native_import_creates_the_declared_table(
    capsys: pytest.CaptureFixture[str], moto: dict[str, Any]
) -> None:
    via = f"s3://{moto['bucket']}/exports/orders"
    folder = moto["dir"] / "orders-export"
    done = _df(
        capsys, moto, "--json", "data", "export", "orders", "--via", via, "--download", str(folder)
    )
    assert done.code == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["items"] == ITEMS and summary["files"] >= 1
    assert _keys(folder) == [f"k{i:03d}" for i in range(ITEMS)]
    assert (folder / "manifest-files.json").is_file()

    # The download is what the data plane reads: a scan-path import of the folder.
    loaded = _df(capsys, moto, "data", "import", "nat-dev-nopitr", str(folder))
    assert loaded.code == 0, loaded.stderr
    assert f"imported {ITEMS} item(s)" in loaded.stdout

    # ImportTable from the export's data folder creates the declared table, GSI included.
    data = summary["data"]
    assert data.startswith(f"s3://{moto['bucket']}/exports/orders/AWSDynamoDB/")
    imported = _df(capsys, moto, "--json", "data", "import", "restored", "--via", data)
    assert imported.code == 0, imported.stderr
    result = json.loads(imported.stdout)
    assert (result["items"], result["counted"], result["errors"]) == (ITEMS, ITEMS, 0)
    assert "+ create table nat-dev-restored by ImportTable" in imported.stderr
    table = moto["ddb"].describe_table(TableName="nat-dev-restored")["Table"]
    assert [g["IndexName"] for g in table["GlobalSecondaryIndexes"]] == ["byOwner"]

    again = _df(capsys, moto, "data", "import", "restored", "--via", data)
    assert again.code != 0
    assert "nat-dev-restored exists already; ImportTable only creates new tables" in again.stderr


def test_waiting_for_a_started_export_by_its_arn(
    capsys: pytest.CaptureFixture[str], moto: dict[str, Any]
) -> None:
    via = f"s3://{moto['bucket']}/again"
    first = _df(capsys, moto, "--json", "data", "export", "orders", "--via", via)
    assert first.code == 0, first.stderr
    arn = json.loads(first.stdout)["export_arn"]
    assert f"export {arn} started into {via}" in first.stderr
    folder = moto["dir"] / "later"
    wait_again = ["data", "export", "orders", "--via", via, "--export-arn", arn]
    later = _df(capsys, moto, *wait_again, "--download", str(folder))
    assert later.code == 0, later.stderr
    assert "started" not in later.stderr  # no second export
    assert _keys(folder) == [f"k{i:03d}" for i in range(ITEMS)]
    (folder / "manifest-files.json").unlink()  # as if stopped before the end of the download
    again = _df(capsys, moto, *wait_again, "--download", str(folder))
    assert again.code == 0, again.stderr  # the same export's folder: finished, not refused
    assert _keys(folder) == [f"k{i:03d}" for i in range(ITEMS)]


def test_export_without_pitr_says_how_to_enable_it_in_the_project(
    capsys: pytest.CaptureFixture[str], moto: dict[str, Any]
) -> None:
    refused = _df(capsys, moto, "data", "export", "nopitr", "--via", f"s3://{moto['bucket']}/x")
    assert refused.code != 0
    assert "point-in-time recovery is off for nat-dev-nopitr" in refused.stderr
    assert "point_in_time_recovery: true` on nopitr" in refused.stderr
    assert not list(native_keys(moto))  # nothing was exported


def native_keys(moto: dict[str, Any]) -> list[str]:
    listing = moto["s3"].list_objects_v2(Bucket=moto["bucket"])
    return [entry["Key"] for entry in listing.get("Contents", [])]


def test_native_import_refusals(capsys: pytest.CaptureFixture[str], moto: dict[str, Any]) -> None:
    via = f"s3://{moto['bucket']}/in/"
    empty = _df(capsys, moto, "data", "import", "restored", "--via", via)
    assert empty.code != 0 and f"no object under s3://{moto['bucket']}/in/" in empty.stderr
    moto["s3"].put_object(Bucket=moto["bucket"], Key="in/manifest-files.json", Body=b"{}")
    manifests = _df(capsys, moto, "data", "import", "restored", "--via", via)
    assert manifests.code != 0 and "point --via at the export's data folder" in manifests.stderr
    undeclared = _df(capsys, moto, "data", "import", "nat-dev-other", "--via", via)
    assert undeclared.code != 0 and "is not declared in the project" in undeclared.stderr
    moto["s3"].put_object(Bucket=moto["bucket"], Key="lsi/a.json.gz", Body=gzip.compress(b""))
    lsi = _df(capsys, moto, "data", "import", "withlsi", "--via", f"s3://{moto['bucket']}/lsi/")
    assert lsi.code != 0 and "local secondary indexes" in lsi.stderr
    mixed = _df(capsys, moto, "data", "import", "restored", "x.jsonl", "--via", via)
    assert mixed.code != 0 and "FILES belong(s) to the scan path" in mixed.stderr
    protected = _df(capsys, moto, "-e", "prod", "data", "import", "restored", "--via", via)
    assert protected.code == 2 and "belongs to the protected environment prod" in protected.stderr
    confirmed = _df(
        capsys,
        moto,
        "-e",
        "prod",
        "data",
        "import",
        "restored",
        "--via",
        f"s3://{moto['bucket']}/none/",
        "--confirm",
        "prod",
    )
    assert confirmed.code != 0 and "/none/" in confirmed.stderr  # past the guard: nothing there
    assert not {"nat-dev-restored", "nat-prod-restored"} & set(
        moto["ddb"].list_tables()["TableNames"]
    )


def test_scan_options_and_via_options_do_not_mix(
    capsys: pytest.CaptureFixture[str], moto: dict[str, Any]
) -> None:
    via = f"s3://{moto['bucket']}/mix"
    worker = _df(capsys, moto, "data", "export", "orders", "--via", via, "--worker", "1/2")
    assert worker.code != 0 and "--worker belong(s) to the scan path" in worker.stderr
    download = _df(capsys, moto, "data", "export", "orders", "--out", "o", "--download", "d")
    assert download.code != 0 and "--download goes with --via" in download.stderr
    window = _df(capsys, moto, "data", "export", "orders", "--via", via, "--until", "2026-01-01")
    assert window.code != 0 and "--until goes with --since" in window.stderr
    neither = _df(capsys, moto, "data", "import", "restored")
    assert neither.code == 2 and "nothing to import" in neither.stderr
    bad = _df(capsys, moto, "data", "export", "orders", "--via", "s3:/nope")
    assert bad.code != 0 and "is not an S3 address" in bad.stderr


def test_an_incremental_export_downloads_as_upserts_and_deleted_keys(
    moto: dict[str, Any], tmp_path: Path
) -> None:
    """Moto writes no incremental export, so the file AWS writes (Keys, NewImage, OldImage
    lines in AWSDynamoDB/<ExportId>/data/) is put into moto's S3 and downloaded."""
    changes = [
        {"Keys": {"pk": {"S": "a"}}, "NewImage": {"pk": {"S": "a"}, "n": {"N": "2"}}},
        {"Keys": {"pk": {"S": "b"}}, "OldImage": {"pk": {"S": "b"}}},
        {
            "Keys": {"pk": {"S": "c"}},
            "NewImage": {"pk": {"S": "c"}},
            "OldImage": {"pk": {"S": "c"}},
        },
    ]
    body = gzip.compress(b"".join(json.dumps(c).encode() + b"\n" for c in changes))
    key = "inc/AWSDynamoDB/0123-abc/data/part1.json.gz"
    moto["s3"].put_object(Bucket=moto["bucket"], Key=key, Body=body)
    description = {"ExportArn": "arn:aws:dynamodb:us-east-1:1:table/t/export/0123-abc"}
    description["ExportType"] = "INCREMENTAL_EXPORT"
    where = native.parse_s3_url(f"s3://{moto['bucket']}/inc")
    got = native.download_export(moto["s3"], description, where, tmp_path / "inc")
    assert (got.items, got.deleted) == (2, 1)
    lines = gzip.decompress((tmp_path / "inc" / "data" / "part1.json.gz").read_bytes())
    assert [json.loads(x)["Item"]["pk"]["S"] for x in lines.splitlines()] == ["a", "c"]
    deleted = (tmp_path / "inc" / "deleted-keys.jsonl").read_text().splitlines()
    assert [json.loads(x) for x in deleted] == [{"Keys": {"pk": {"S": "b"}}}]


def test_a_download_never_mixes_two_exports(
    capsys: pytest.CaptureFixture[str], moto: dict[str, Any]
) -> None:
    folder = moto["dir"] / "dl"
    runs = []
    for prefix in ("one", "two"):
        via = f"s3://{moto['bucket']}/{prefix}"
        runs.append(
            _df(capsys, moto, "data", "export", "orders", "--via", via, "--download", str(folder))
        )
    assert runs[0].code == 0, runs[0].stderr
    assert runs[1].code != 0 and f"{folder} already holds other files (the export" in runs[1].stderr
    assert _keys(folder) == [f"k{i:03d}" for i in range(ITEMS)]  # the first download, intact


def test_an_incremental_export_request_over_a_window(
    capsys: pytest.CaptureFixture[str], moto: dict[str, Any]
) -> None:
    """The request (INCREMENTAL_EXPORT with its window) is accepted; moto writes a full export
    for it, whose Item lines the download keeps as they are."""
    via = f"s3://{moto['bucket']}/inc"
    folder = moto["dir"] / "inc"
    window = ("--since", "2026-11-29T08:00:00", "--until", "2026-11-29T09:00:00+00:00")
    done = _df(
        capsys,
        moto,
        "--json",
        "data",
        "export",
        "orders",
        "--via",
        via,
        *window,
        "--download",
        str(folder),
    )
    assert done.code == 0, done.stderr
    assert json.loads(done.stdout)["type"] == "INCREMENTAL_EXPORT"
    assert _keys(folder) == [f"k{i:03d}" for i in range(ITEMS)]
    backwards = ("--since", "2026-11-29T09:00:00", "--until", "2026-11-29T08:00:00")
    refused = _df(capsys, moto, "data", "export", "orders", "--via", via, *backwards)
    assert refused.code == 2 and "is not before --until" in refused.stderr


def test_a_stopped_download_is_not_imported_as_if_whole(
    capsys: pytest.CaptureFixture[str], moto: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full export of two data files in AWS's layout, put into moto's S3 (moto writes one
    file per export); the download is stopped (Ctrl-C) after the first file. Importing that
    folder would load half the export and say it succeeded."""
    halves = [[f"k{i:03d}" for i in range(0, 20)], [f"k{i:03d}" for i in range(20, 40)]]
    for n, keys in enumerate(halves):
        body = b"".join(json.dumps({"Item": {"pk": {"S": k}}}).encode() + b"\n" for k in keys)
        key = f"full/AWSDynamoDB/0456-def/data/part{n}.json.gz"
        moto["s3"].put_object(Bucket=moto["bucket"], Key=key, Body=gzip.compress(body))
    description = {"ExportArn": "arn:aws:dynamodb:us-east-1:1:table/t/export/0456-def"}
    description["ExportType"] = "FULL_EXPORT"
    where = native.parse_s3_url(f"s3://{moto['bucket']}/full")
    real = native.s3io.download
    fetched: list[str] = []

    def stop_at_the_second(s3: Any, bucket: str, key: str, target: Path) -> int:
        if fetched:
            raise KeyboardInterrupt
        fetched.append(key)
        return real(s3, bucket, key, target)

    monkeypatch.setattr(native.s3io, "download", stop_at_the_second)
    folder = moto["dir"] / "stopped"
    with pytest.raises(KeyboardInterrupt):
        native.download_export(moto["s3"], description, where, folder)
    assert len(list((folder / "data").glob("*.json.gz"))) == 1
    loaded = _df(capsys, moto, "data", "import", "nat-dev-nopitr", str(folder))
    assert loaded.code != 0
    assert f"{folder} is an unfinished download" in loaded.stderr
    assert "--export-arn arn:aws:dynamodb:us-east-1:1:table/t/export/0456-def" in loaded.stderr
    assert moto["ddb"].scan(TableName="nat-dev-nopitr", Select="COUNT")["Count"] == 0


def test_waiting_for_an_export_by_its_arn_under_another_address_is_refused(
    capsys: pytest.CaptureFixture[str], moto: dict[str, Any]
) -> None:
    """--export-arn names an export written to s3://bucket/new; --via names s3://bucket/old,
    where an older export of other items lies. The download took the old export's files."""
    bucket = moto["bucket"]
    old = _df(capsys, moto, "data", "export", "orders", "--via", f"s3://{bucket}/old")
    assert old.code == 0, old.stderr
    moto["ddb"].put_item(TableName="nat-dev-orders", Item={"pk": {"S": "late"}})
    new = _df(capsys, moto, "--json", "data", "export", "orders", "--via", f"s3://{bucket}/new")
    assert new.code == 0, new.stderr
    arn = json.loads(new.stdout)["export_arn"]
    folder = moto["dir"] / "by-arn"
    wrong = _df(
        capsys,
        moto,
        "data",
        "export",
        "orders",
        "--via",
        f"s3://{bucket}/old",
        "--export-arn",
        arn,
        "--download",
        str(folder),
    )
    assert wrong.code != 0
    assert f"the export {arn} was written to s3://{bucket}/new" in wrong.stderr
    assert f"--via s3://{bucket}/new" in wrong.stderr
    other = _df(
        capsys, moto, "data", "export", "nopitr", "--via", f"s3://{bucket}/new", "--export-arn", arn
    )
    assert other.code != 0
    assert f"the export {arn} is an export of nat-dev-orders, not nat-dev-nopitr" in other.stderr
    assert not folder.exists()


def test_native_import_takes_the_folder_named_not_its_namesakes(
    capsys: pytest.CaptureFixture[str], moto: dict[str, Any]
) -> None:
    """ImportTable's S3KeyPrefix is a plain prefix: `in/orders` also matches `in/orders-old/`,
    a sibling folder whose items were loaded with the ones asked for."""
    bucket = moto["bucket"]
    for folder, keys in (("orders", ["a", "b"]), ("orders-old", ["x", "y", "z"])):
        body = b"".join(json.dumps({"Item": {"pk": {"S": k}}}).encode() + b"\n" for k in keys)
        key = f"in/{folder}/data.json.gz"
        moto["s3"].put_object(Bucket=bucket, Key=key, Body=gzip.compress(body))
    done = _df(
        capsys, moto, "--json", "data", "import", "restored", "--via", f"s3://{bucket}/in/orders"
    )
    assert done.code == 0, done.stderr
    assert json.loads(done.stdout)["counted"] == 2
    keys = {i["pk"]["S"] for i in moto["ddb"].scan(TableName="nat-dev-restored")["Items"]}
    assert keys == {"a", "b"}


def test_a_download_folder_that_cannot_be_used_is_refused_before_the_export_starts(
    capsys: pytest.CaptureFixture[str], moto: dict[str, Any]
) -> None:
    """A native export is billed and can take hours: a --download that would be refused (a
    folder holding other files, a file) is refused before it is started, not after."""
    bucket = moto["bucket"]
    busy = moto["dir"] / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    a_file = moto["dir"] / "file.txt"
    a_file.write_text("mine")
    for target in (busy, a_file):
        via = f"s3://{bucket}/{target.name}"
        refused = _df(
            capsys, moto, "data", "export", "orders", "--via", via, "--download", str(target)
        )
        assert refused.code != 0
        assert str(target) in refused.stderr and "started" not in refused.stderr
        assert "Traceback" not in refused.stderr
    assert native_keys(moto) == []  # no export was started
    assert (busy / "notes.txt").read_text() == "mine" and a_file.read_text() == "mine"


@contextmanager
def _moto_of_its_own(
    env: pytest.MonkeyPatch, factory: pytest.TempPathFactory, folder: Path
) -> Iterator[tuple[str, Path]]:
    """A moto server for one test (which stops it): the project, ``orders`` with PITR, a
    bucket ``lost-bucket`` and, under ``in/``, one data object of two items."""
    env.setenv("AWS_ACCESS_KEY_ID", "testing")
    env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    state_dir = factory.mktemp("moto-lost") / "state"
    endpoint = engine.start(state_dir, port=engine.free_port(), engine="moto").record.endpoint_url
    try:
        (folder / "dynaform.yaml").write_text(textwrap.dedent(PROJECT))
        settings = local_settings(endpoint)
        ddb: Any = dynamodb_client(settings)
        ddb.create_table(
            TableName="nat-dev-orders",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        ddb.update_continuous_backups(
            TableName="nat-dev-orders",
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
        )
        s3: Any = s3_client(settings)
        s3.create_bucket(Bucket="lost-bucket")
        body = b"".join(json.dumps({"Item": {"pk": {"S": k}}}).encode() + b"\n" for k in "ab")
        s3.put_object(Bucket="lost-bucket", Key="in/data.json.gz", Body=gzip.compress(body))
        yield endpoint, state_dir
    finally:
        engine.stop(state_dir)


def test_an_endpoint_lost_while_waiting_says_how_to_wait_again(
    capsys: pytest.CaptureFixture[str],
    clean_env: pytest.MonkeyPatch,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """A moto server of its own, stopped once the export is started: the error said "cannot
    connect" only, not that the export goes on, nor the command that waits for it again."""
    with _moto_of_its_own(clean_env, tmp_path_factory, tmp_path) as (endpoint, state_dir):
        real_start = native.start_export

        def start_then_lose_the_endpoint(*args: Any, **kwargs: Any) -> dict[str, Any]:
            started = real_start(*args, **kwargs)
            engine.stop(state_dir)
            return started

        clean_env.setattr(native, "start_export", start_then_lose_the_endpoint)
        folder = tmp_path / "dl"
        via = "s3://lost-bucket/x"
        lost = run_cli(
            capsys,
            *("-f", str(tmp_path / "dynaform.yaml"), "--endpoint-url", endpoint),
            *("data", "export", "orders", "--via", via, "--download", str(folder)),
        )
    assert lost.code != 0
    assert "cannot connect" in lost.stderr and "Traceback" not in lost.stderr
    arn = lost.stderr.split("export ", 1)[1].split(" started", 1)[0]
    assert "the export goes on in DynamoDB" in lost.stderr
    again = (
        f"dynaform data export nat-dev-orders --via {via} --export-arn {arn} --download {folder}"
    )
    assert again in lost.stderr


def test_an_endpoint_lost_during_a_native_import_says_how_to_follow_it(
    capsys: pytest.CaptureFixture[str],
    clean_env: pytest.MonkeyPatch,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Stopped once ImportTable is started: the error said "cannot connect" alone; running
    the command again then says the table exists. Now the import's ARN and how to follow and
    check it are said."""
    with _moto_of_its_own(clean_env, tmp_path_factory, tmp_path) as (endpoint, state_dir):
        real_start = native.start_import

        def start_then_lose_the_endpoint(*args: Any, **kwargs: Any) -> dict[str, Any]:
            started = real_start(*args, **kwargs)
            engine.stop(state_dir)
            return started

        clean_env.setattr(native, "start_import", start_then_lose_the_endpoint)
        lost = run_cli(
            capsys,
            *("-f", str(tmp_path / "dynaform.yaml"), "--endpoint-url", endpoint),
            *("data", "import", "restored", "--via", "s3://lost-bucket/in"),
        )
    assert lost.code != 0
    assert "cannot connect" in lost.stderr and "Traceback" not in lost.stderr
    arn = lost.stderr.split("import ", 1)[1].split(" started", 1)[0]
    assert arn.startswith("arn:")
    assert "the import goes on in DynamoDB" in lost.stderr
    assert f"aws dynamodb describe-import --import-arn {arn}" in lost.stderr
    assert "dynaform data count nat-dev-restored" in lost.stderr


def test_a_window_with_an_export_arn_is_refused_not_ignored(
    capsys: pytest.CaptureFixture[str], moto: dict[str, Any]
) -> None:
    """--since/--until with --export-arn were dropped without a word: the download was then
    whatever that export held, full or another window, taken for the window asked for."""
    via = f"s3://{moto['bucket']}/w"
    first = _df(capsys, moto, "--json", "data", "export", "orders", "--via", via)
    assert first.code == 0, first.stderr
    arn = json.loads(first.stdout)["export_arn"]
    window = ("--since", "2026-11-29T08:00:00")
    refused = _df(
        capsys, moto, "data", "export", "orders", "--via", via, "--export-arn", arn, *window
    )
    assert refused.code == 2
    assert "--since/--until choose a new export's window" in refused.stderr
