"""Nothing is lost: an endpoint that dies, items DynamoDB would refuse, lossless CSV, and an
export (or copy) stopped at each point of its life, then resumed. Against the session's
DynamoDB Local, through the fault-injecting proxy where a fault is needed."""

from __future__ import annotations

import csv
import io
import threading
from pathlib import Path
from typing import Any

import orjson
import pytest

from dynaform.data import export, ops
from dynaform.data.errors import EndpointUnreachableError
from tests.data.faults import fault_proxy
from tests.data.test_bulk import (
    canonical,
    every_type_item,
    make_table,
    read_items,
    wire_for,
    write_source,
)


class Killed(BaseException):
    """Stands for SIGKILL at a chosen point: nothing after it runs (no ``except Exception``
    catches it)."""


def table_items(endpoint: str, table: str, tmp_path: Path) -> list[bytes]:
    out = tmp_path / f"check-{table}.jsonl"
    ops.export_table(wire_for(endpoint), table, out, segments=2)
    items = read_items(out)
    out.unlink()
    return items


def fail_after(items: int, proxy: Any) -> Any:
    """A progress callback that makes the proxy drop every connection after ``items``."""
    seen = [0]
    lock = threading.Lock()

    def progress(n: int) -> None:
        with lock:
            seen[0] += n
            if seen[0] >= items:
                proxy.mode = "reset"

    return progress


# --- the endpoint dies ------------------------------------------------------------------


def test_import_stops_when_the_endpoint_dies_and_resumes_exactly(
    ddb_endpoint: str, ddb: Any, tmp_path: Path, table_name: Any
) -> None:
    """Connections refused or reset: the run stops with one sentence whose hint says how to
    resume, nothing goes to the reject file, the checkpoint counts only confirmed items, and
    the resumed run ends with exactly the source."""
    source = tmp_path / "items.jsonl"
    expected = write_source(source, 3_000)
    name = table_name("dies")
    make_table(ddb, name)
    rejects = tmp_path / "items.rejects.jsonl"
    with (
        fault_proxy(ddb_endpoint) as (url, proxy),
        pytest.raises(EndpointUnreachableError) as stopped,
    ):
        ops.import_files(
            wire_for(url, patience=1.0),
            name,
            [source],
            rejects=rejects,
            rate=3000,
            progress=fail_after(1_000, proxy),
        )
    assert "refused or dropped every connection" in stopped.value.message
    assert "--resume" in stopped.value.hint
    assert not rejects.exists() or rejects.read_bytes() == b""
    checkpoint = orjson.loads((tmp_path / "items.jsonl.checkpoint.json").read_bytes())
    confirmed = int(checkpoint["files"][str(source)])
    assert 1_000 <= confirmed < 3_000
    lines = source.read_bytes().split(b"\n")
    written = set(table_items(ddb_endpoint, name, tmp_path))
    assert {canonical(orjson.loads(line)["Item"]) for line in lines[:confirmed]} <= written

    result = ops.import_files(wire_for(ddb_endpoint), name, [source], rejects=rejects, resume=True)
    assert result.stats.rejected == 0 and result.rejects is None
    assert table_items(ddb_endpoint, name, tmp_path) == expected


def test_an_endpoint_that_stops_answering_stops_the_run_too(
    ddb_endpoint: str, ddb: Any, tmp_path: Path, table_name: Any
) -> None:
    """Timeouts count as unreachable: no answer within the patience stops the run, with
    nothing rejected, and the import resumes exactly."""
    source = tmp_path / "items.jsonl"
    expected = write_source(source, 1_000)
    name = table_name("hangs")
    make_table(ddb, name)
    with fault_proxy(ddb_endpoint) as (url, proxy):
        wire = wire_for(url, patience=1.0, read_timeout=0.5)
        progress = fail_after(300, proxy)

        def hang_after(n: int) -> None:
            progress(n)
            if proxy.mode == "reset":
                proxy.mode = "hang"

        with pytest.raises(EndpointUnreachableError) as stopped:
            ops.import_files(wire, name, [source], rate=2000, progress=hang_after)
    assert "did not answer in time" in stopped.value.message
    assert "--resume" in stopped.value.hint
    assert not (tmp_path / "items.jsonl.rejects.jsonl").exists()
    ops.import_files(wire_for(ddb_endpoint), name, [source], resume=True)
    assert table_items(ddb_endpoint, name, tmp_path) == expected


def test_copy_with_a_checkpoint_stops_when_the_endpoint_dies_and_resumes_exactly(
    ddb_endpoint: str, ddb: Any, tmp_path: Path, table_name: Any
) -> None:
    source_table, target_table = table_name("csrc"), table_name("cdst")
    make_table(ddb, source_table)
    make_table(ddb, target_table)
    source = tmp_path / "s.jsonl"
    expected = write_source(source, 2_000)
    ops.import_files(wire_for(ddb_endpoint), source_table, [source])
    checkpoint = tmp_path / "copy.checkpoint.json"
    rejects = tmp_path / "copy.rejects.jsonl"
    with fault_proxy(ddb_endpoint) as (url, proxy):
        wire = wire_for(url, patience=1.0)
        with pytest.raises(EndpointUnreachableError) as stopped:
            ops.copy_table(
                wire,
                source_table,
                wire,
                target_table,
                segments=3,
                rate=2000,
                rejects=rejects,
                progress=fail_after(700, proxy),
                checkpoint_path=checkpoint,
            )
    assert "--resume" in stopped.value.hint and checkpoint.exists()
    result = ops.copy_table(
        wire_for(ddb_endpoint),
        source_table,
        wire_for(ddb_endpoint),
        target_table,
        segments=3,
        rejects=rejects,
        checkpoint_path=checkpoint,
        resume=True,
    )
    assert result.stats.rejected == 0 and not checkpoint.exists()
    assert 0 < result.read < 2_000  # it went on from the checkpoint, not from the start
    assert table_items(ddb_endpoint, target_table, tmp_path) == expected


# --- items DynamoDB would refuse --------------------------------------------------------


def refused_items() -> dict[str, tuple[dict[str, Any], str]]:
    """Items DynamoDB refuses, each with (part of) the reason given."""
    big = every_type_item(900) | {"pk": {"S": "bad-big"}, "text": {"S": "x" * 410_000}}
    nested = {"M": {"deep": {"L": [{"BS": ["AAEC", "not base64!"]}]}}}
    found = {
        "big": (big, "DynamoDB's limit is 409,600"),
        "empty-key": (every_type_item(901) | {"pk": {"S": ""}}, "key attribute 'pk' is empty"),
        "digits": (
            every_type_item(902) | {"pk": {"S": "bad-digits"}, "big": {"N": "1" * 39}},
            "more than 38 significant digits",
        ),
        "range": (
            every_type_item(903) | {"pk": {"S": "bad-range"}, "big": {"N": "1E126"}},
            "out of DynamoDB's number range",
        ),
        "base64": (
            every_type_item(904) | {"pk": {"S": "bad-b64"}, "bin": {"B": "@@@"}},
            "bin: '@@@' is not valid base64",
        ),
        "nested-base64": (
            every_type_item(905) | {"pk": {"S": "bad-bs"}, "nested": nested},
            "is not valid base64",
        ),
        "empty-set": (
            every_type_item(906) | {"pk": {"S": "bad-set"}, "ss": {"SS": []}},
            "an empty SS set",
        ),
    }
    return {
        label: (item | {"marker": {"S": f"bad-{label}"}}, why)
        for label, (item, why) in found.items()
    }


def test_items_dynamodb_would_refuse_go_alone_to_the_reject_file_and_are_never_sent(
    ddb_endpoint: str, ddb: Any, tmp_path: Path, table_name: Any
) -> None:
    name = table_name("refuse")
    make_table(ddb, name)
    good = [every_type_item(i) for i in range(60)]
    bad = refused_items()
    lines = list(good)
    bad_lines = {}
    for offset, (label, (item, _)) in enumerate(bad.items()):  # spread over the batches
        lines.insert(3 + offset * 8, item)
        bad_lines[label] = 3 + offset * 8 + 1
    source = tmp_path / "mixed.jsonl"
    source.write_bytes(b"".join(orjson.dumps({"Item": it}) + b"\n" for it in lines))
    rejects = tmp_path / "mixed.rejects.jsonl"
    with fault_proxy(ddb_endpoint) as (url, proxy):
        proxy.record = True
        result = ops.import_files(wire_for(url), name, [source], rejects=rejects)
    sent = b"".join(proxy.bodies)
    assert b"item#000059" in sent and b"bad-" not in sent  # the good sent, the bad never
    assert result.stats.items == 60 and result.stats.rejected == len(bad)
    assert result.stats.retries == 0
    records = [orjson.loads(line) for line in rejects.read_bytes().splitlines()]
    by_source = {r["Source"]: r for r in records}
    for label, (item, reason) in bad.items():
        record = by_source[f"{source}:{bad_lines[label]}"]
        assert reason in record["Error"], (label, record["Error"])
        assert canonical(record["Item"]) == canonical(item)
    assert table_items(ddb_endpoint, name, tmp_path) == sorted(canonical(i) for i in good)


# --- CSV --------------------------------------------------------------------------------


def test_csv_export_has_every_column_once_and_imports_back_exactly(
    ddb_endpoint: str, ddb: Any, tmp_path: Path, table_name: Any
) -> None:
    """Columns from every item (not the first page's), one header however many segments."""
    first, again, folder_copy = table_name("csv"), table_name("csv"), table_name("csv")
    for name in (first, again, folder_copy):
        make_table(ddb, name)
    items = []
    for i in range(3_000):
        item = {"pk": {"S": f"row{i:05d}"}, "sk": {"N": str(i)}, "text": {"S": f't,{i}\n"'}}
        if i % 500 == 7:
            item[f"rare{i}"] = {"S": f"only in row {i}"}
        items.append(item)
    source = tmp_path / "rows.jsonl"
    source.write_bytes(b"".join(orjson.dumps({"Item": it}) + b"\n" for it in items))
    ops.import_files(wire_for(ddb_endpoint), first, [source])
    expected = sorted(canonical(i) for i in items)

    out = tmp_path / "rows.csv"
    ops.export_table(wire_for(ddb_endpoint), first, out, fmt="csv", segments=4)
    header, *rows = list(csv.reader(io.StringIO(out.read_text())))
    assert header[:2] == ["pk", "sk"]
    assert {f"rare{i}" for i in range(7, 3_000, 500)} <= set(header)
    assert len(rows) == 3_000 and all(row[0] != "pk" for row in rows)
    ops.import_files(wire_for(ddb_endpoint), again, [out], types={"sk": "N"})
    assert table_items(ddb_endpoint, again, tmp_path) == expected

    folder = tmp_path / "csv-folder"
    ops.export_table(wire_for(ddb_endpoint), first, folder, fmt="csv", segments=3, gz=True)
    ops.import_files(wire_for(ddb_endpoint), folder_copy, [folder], types={"sk": "N"})
    assert table_items(ddb_endpoint, folder_copy, tmp_path) == expected


# --- an export stopped at each point of its life ----------------------------------------


def _kill_at(monkeypatch: pytest.MonkeyPatch, point: str) -> None:
    if point == "scan":  # a kill after the first page: the other parts not yet written
        calls = [0]
        original_append = export._append

        def append(*args: Any) -> None:
            calls[0] += 1
            if calls[0] == 2:
                raise Killed
            original_append(*args)

        monkeypatch.setattr(export, "_append", append)
    elif point == "before-join":  # every part complete, phase "join" recorded
        monkeypatch.setattr(export, "_finish", lambda *args: (_ for _ in ()).throw(Killed()))
    elif point == "mid-join":  # the temporary file half written
        original_concatenate = export._concatenate

        def concatenate(parts: list[Path]) -> Any:
            def write(out: Any) -> None:
                original_concatenate(parts[:1])(out)
                raise Killed

            return write

        monkeypatch.setattr(export, "_concatenate", concatenate)
    else:  # "after-rename" / "mid-cleanup": the file in place, the parts not yet removed
        monkeypatch.setattr(export, "_clean_up", lambda *args: (_ for _ in ()).throw(Killed()))


@pytest.mark.parametrize(
    "point", ["scan", "scan-part-lost", "before-join", "mid-join", "after-rename", "mid-cleanup"]
)
def test_single_file_export_resumes_exactly_from_every_kill_point(
    ddb_endpoint: str,
    ddb: Any,
    tmp_path: Path,
    table_name: Any,
    monkeypatch: pytest.MonkeyPatch,
    point: str,
) -> None:
    name = table_name("join")
    make_table(ddb, name)
    source = tmp_path / "s.jsonl"
    expected = write_source(source, 6_000)
    ops.import_files(wire_for(ddb_endpoint), name, [source])
    out = tmp_path / "export.jsonl.gz"
    out.write_bytes(b"an older export")  # replaced whole, or not at all
    parts = tmp_path / "export.jsonl.gz.parts"
    with monkeypatch.context() as patch:
        _kill_at(patch, point.replace("-part-lost", ""))
        with pytest.raises(Killed):
            ops.export_table(wire_for(ddb_endpoint), name, out, segments=3, gz=True)
    if point in {"scan", "scan-part-lost", "before-join", "mid-join"}:
        assert out.read_bytes() == b"an older export"
    if point == "scan-part-lost":  # a part lost bytes its checkpoint recorded (a crash)
        max(parts.glob("part-*"), key=lambda p: p.stat().st_size).write_bytes(b"")
    if point == "mid-cleanup":  # the kill came after the first part was removed
        sorted(parts.glob("part-*"))[0].unlink()
    result = ops.export_table(wire_for(ddb_endpoint), name, out, segments=3, gz=True, resume=True)
    assert result.items == 6_000
    assert read_items(out) == expected
    assert not parts.exists() and not (tmp_path / "export.jsonl.gz.checkpoint.json").exists()


def test_folder_export_resumes_exactly_after_a_kill_mid_scan(
    ddb_endpoint: str, ddb: Any, tmp_path: Path, table_name: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = table_name("fold")
    make_table(ddb, name)
    source = tmp_path / "s.jsonl"
    expected = write_source(source, 6_000)
    ops.import_files(wire_for(ddb_endpoint), name, [source])
    folder = tmp_path / "backup"
    with monkeypatch.context() as patch:
        _kill_at(patch, "scan")
        with pytest.raises(Killed):
            ops.export_table(wire_for(ddb_endpoint), name, folder, segments=3)
    assert not (folder / "manifest.json").exists()
    result = ops.export_table(wire_for(ddb_endpoint), name, folder, segments=3, resume=True)
    assert sorted(x for p in result.files for x in read_items(p)) == expected
    manifest = orjson.loads((folder / "manifest.json").read_bytes())
    assert manifest["items"] == 6_000 and not (folder / ".checkpoint.json").exists()
