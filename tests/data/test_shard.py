"""Sharded runs against DynamoDB Local: several worker processes (``--worker i/n``) each take
their share of an export, import or copy; every item is handled exactly once across them, and
``data export --merge`` gives what a single-process export gives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dynaform.data.export import export_table
from dynaform.data.shard import merge_exports, parse_worker
from dynaform.data.wire import WireClient
from dynaform.errors import DynaformError
from tests.conftest import create_simple_table, local_settings
from tests.helpers import run_cli

ITEMS = 900
WORKERS = 3


def _env(endpoint: str) -> dict[str, str]:
    return {
        **os.environ,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
    }


def _run_workers(commands: list[list[str]], cwd: Path, endpoint: str) -> list[dict[str, Any]]:
    """Every command as its own process, all at once; their --json summaries."""
    running = [
        subprocess.Popen(
            [sys.executable, "-m", "dynaform", "--json", *args],
            cwd=cwd,
            env=_env(endpoint),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for args in commands
    ]
    results = []
    for process in running:
        stdout, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr
        results.append(json.loads(stdout) | {"stderr": stderr})
    return results


def _one(args: list[str], cwd: Path, endpoint: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dynaform", *args],
        cwd=cwd,
        env=_env(endpoint),
        capture_output=True,
        text=True,
        timeout=300,
    )


def _filled(ddb: Any, name: str) -> None:
    create_simple_table(ddb, name)
    for start in range(0, ITEMS, 25):
        ddb.batch_write_item(
            RequestItems={
                name: [
                    {"PutRequest": {"Item": {"pk": {"S": f"k{i:04d}"}, "n": {"N": str(i)}}}}
                    for i in range(start, min(start + 25, ITEMS))
                ]
            }
        )


def _keys(folder: Path) -> list[str]:
    keys = []
    for part in sorted(folder.glob("part-*.jsonl")):
        keys += [json.loads(line)["Item"]["pk"]["S"] for line in part.read_text().splitlines()]
    return keys


def _two_worker_exports(ddb: Any, endpoint: str, folder: Path, table: str) -> None:
    """``table`` filled, and exported by workers 1/2 and 2/2 of 4 segments into ``folder``."""
    _filled(ddb, table)
    wire = WireClient(local_settings(endpoint), endpoint)
    for text in ("1/2", "2/2"):
        who = parse_worker(text, 4)
        export_table(wire, table, folder / who.label, segments=4, share=who.segments(4))


def _stop_merge_at_second_part(
    shared: Path, monkeypatch: pytest.MonkeyPatch, stop: BaseException
) -> None:
    """Run the merge of ``shared`` and raise ``stop`` as it moves its second part."""
    real_replace = Path.replace
    moved: list[Path] = []

    def stop_on_the_second_part(self: Path, target: Any) -> Any:
        if self.name.startswith("part-"):
            if moved:
                raise stop  # the machine stops in the middle of the merge
            moved.append(self)
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", stop_on_the_second_part)
    try:
        merge_exports(shared)
    finally:
        monkeypatch.setattr(Path, "replace", real_replace)


def test_worker_exports_merge_into_what_one_process_exports(
    ddb: Any, ddb_endpoint: str, tmp_path: Path, table_name: Any
) -> None:
    table = table_name("shard-export")
    _filled(ddb, table)
    shared = tmp_path / "shared"
    base = ["data", "export", table, "--out", str(shared), "--segments", "6"]
    results = _run_workers(
        [[*base, "--worker", f"{i}/{WORKERS}"] for i in range(1, WORKERS + 1)],
        tmp_path,
        ddb_endpoint,
    )
    assert sum(r["items"] for r in results) == ITEMS  # each item read by exactly one worker
    assert "worker 2/3 takes 2 of 6 segments: 1, 4" in results[1]["stderr"]
    old = shared / "worker-3-of-3" / "manifest.json"  # as if its folder were a day older
    record = json.loads(old.read_text())
    record["scanned"][0] = "2020-01-01T00:00:00+00:00"
    old.write_text(json.dumps(record))
    merged = _one([*base, "--merge"], tmp_path, ddb_endpoint)
    assert merged.returncode == 0, merged.stderr
    assert f"merged 3 worker export(s) of {table}" in merged.stdout
    assert "the workers' scans ran from 2020-01-01T00:00:00+00:00 to " in merged.stdout
    scanned = json.loads((shared / "manifest.json").read_text()).pop("scanned")
    assert scanned[0] == "2020-01-01T00:00:00+00:00" and scanned[1] > scanned[0]
    single = tmp_path / "single"
    alone = _one(
        ["data", "export", table, "--out", str(single), "--segments", "6"], tmp_path, ddb_endpoint
    )
    assert alone.returncode == 0, alone.stderr
    merged_manifest = json.loads((shared / "manifest.json").read_text())
    assert merged_manifest.pop("scanned") == scanned  # the rest is what one process writes
    assert merged_manifest == json.loads((single / "manifest.json").read_text())
    for part in sorted(single.glob("part-*")):
        assert (shared / part.name).read_bytes() == part.read_bytes()
    keys = _keys(shared)
    assert sorted(keys) == [f"k{i:04d}" for i in range(ITEMS)]  # exactly once
    assert not list(shared.glob("worker-*"))


def test_merge_names_a_missing_or_unfinished_worker(
    ddb: Any, ddb_endpoint: str, tmp_path: Path, table_name: Any
) -> None:
    table = table_name("shard-missing")
    _filled(ddb, table)
    shared = tmp_path / "shared"
    base = ["data", "export", table, "--out", str(shared), "--segments", "4"]
    for i in (1, 3):
        done = _one([*base, "--worker", f"{i}/3"], tmp_path, ddb_endpoint)
        assert done.returncode == 0, done.stderr
    missing = _one([*base, "--merge"], tmp_path, ddb_endpoint)
    assert missing.returncode != 0
    assert "worker-2-of-3 missing" in missing.stderr
    assert "--worker 2/3" in missing.stderr
    (shared / "worker-2-of-3").mkdir()
    (shared / "worker-2-of-3" / ".checkpoint.json").write_text("{}")
    unfinished = _one([*base, "--merge"], tmp_path, ddb_endpoint)
    assert unfinished.returncode != 0
    assert "worker-2-of-3 is unfinished" in unfinished.stderr
    assert not (shared / "manifest.json").exists()  # nothing was moved
    assert (shared / "worker-1-of-3" / "manifest.json").exists()


def test_worker_imports_write_each_item_once(
    ddb: Any, ddb_endpoint: str, tmp_path: Path, table_name: Any
) -> None:
    """One input file (fewer files than workers: every n-th line each), then four files (whole
    files each); the workers' confirmed writes add up to the input, the table holds it all."""
    lines = [json.dumps({"pk": f"k{i:04d}", "n": i}) for i in range(ITEMS)]
    single = tmp_path / "items.jsonl"
    single.write_text("\n".join(lines) + "\n")
    quarters = []
    for q in range(4):
        path = tmp_path / f"q{q}.jsonl"
        path.write_text("\n".join(lines[q::4]) + "\n")
        quarters.append(str(path))
    for inputs, said in (([str(single)], "one item in 3"), (quarters, "file(s)")):
        table = table_name("shard-import")
        create_simple_table(ddb, table)
        results = _run_workers(
            [["data", "import", table, *inputs, "--worker", f"{i}/3"] for i in (1, 2, 3)],
            tmp_path,
            ddb_endpoint,
        )
        assert sum(r["items"] for r in results) == ITEMS
        assert said in results[0]["stderr"]
        pages = ddb.get_paginator("scan").paginate(TableName=table, Select="COUNT")
        assert sum(page["Count"] for page in pages) == ITEMS
        assert not list(tmp_path.glob("*.checkpoint.json"))  # each worker's own, removed


def test_worker_copies_write_each_item_once(
    ddb: Any, ddb_endpoint: str, tmp_path: Path, table_name: Any
) -> None:
    source, target = table_name("shard-from"), table_name("shard-to")
    _filled(ddb, source)
    create_simple_table(ddb, target)
    results = _run_workers(
        [
            ["data", "copy", source, target, "--segments", "8", "--worker", f"{i}/3"]
            for i in (1, 2, 3)
        ],
        tmp_path,
        ddb_endpoint,
    )
    assert sum(r["items"] for r in results) == ITEMS
    assert sum(r["read"] for r in results) == ITEMS
    assert "(uneven: 8 is not a multiple of n)" in results[0]["stderr"]
    pages = ddb.get_paginator("scan").paginate(TableName=target, Select="COUNT")
    assert sum(page["Count"] for page in pages) == ITEMS


@pytest.mark.parametrize(
    ("text", "segments", "said"),
    [
        ("9/8", 64, "between 1 and 8"),
        ("0/8", 64, "between 1 and 8"),
        ("3", 64, "is not i/n"),
        ("3/8", 4, "8 workers need at least 8 segments"),
    ],
)
def test_a_wrong_worker_is_refused(text: str, segments: int, said: str) -> None:
    with pytest.raises(DynaformError, match=said):
        parse_worker(text, segments)


def test_worker_segments_cover_the_scan_once() -> None:
    shares = [parse_worker(f"{i}/8", 64).segments(64) for i in range(1, 9)]
    assert sorted(s for share in shares for s in share) == list(range(64))
    assert shares[2][:3] == [2, 10, 18]


def test_a_single_worker_is_merged_too(
    ddb: Any, ddb_endpoint: str, tmp_path: Path, table_name: Any
) -> None:
    table = table_name("shard-one")
    _filled(ddb, table)
    wire = WireClient(local_settings(ddb_endpoint), ddb_endpoint)
    only = parse_worker("1/1", 2)
    export_table(wire, table, tmp_path / only.label, segments=2, share=only.segments(2))
    assert merge_exports(tmp_path).items == ITEMS


def test_a_csv_or_file_worker_export_is_refused(
    ddb: Any, ddb_endpoint: str, tmp_path: Path, table_name: Any
) -> None:
    table = table_name("shard-csv")
    create_simple_table(ddb, table)
    csv = _one(
        ["data", "export", table, "--out", "x", "--format", "csv", "--worker", "1/2"],
        tmp_path,
        ddb_endpoint,
    )
    assert csv.returncode != 0 and "CSV needs every item's columns" in csv.stderr
    as_file = _one(
        ["data", "export", table, "--out", "x.jsonl", "--worker", "1/2"], tmp_path, ddb_endpoint
    )
    assert as_file.returncode != 0 and "--out is a folder" in as_file.stderr


def test_a_stopped_worker_resumes_alone_and_the_merge_is_whole(
    ddb: Any, ddb_endpoint: str, tmp_path: Path, table_name: Any
) -> None:
    """Worker 1 of 2 stops after its first page (Ctrl-C in the middle of its scan); its own
    checkpoint brings it to the end with --resume while worker 2 never stopped."""
    table = table_name("shard-resume")
    create_simple_table(ddb, table)
    pad = "x" * 3000
    for start in range(0, 1200, 25):
        writes = [
            {"PutRequest": {"Item": {"pk": {"S": f"k{i:04d}"}, "pad": {"S": pad}}}}
            for i in range(start, start + 25)
        ]
        ddb.batch_write_item(RequestItems={table: writes})
    wire = WireClient(local_settings(ddb_endpoint), ddb_endpoint)
    shared = tmp_path / "shared"
    first = parse_worker("1/2", 4)
    pages = []

    def stop_after_one_page(n: int) -> None:
        pages.append(n)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        export_table(
            wire,
            table,
            shared / first.label,
            segments=4,
            share=first.segments(4),
            progress=stop_after_one_page,
        )
    assert pages and (shared / first.label / ".checkpoint.json").exists()
    second = parse_worker("2/2", 4)
    export_table(wire, table, shared / second.label, segments=4, share=second.segments(4))
    with pytest.raises(DynaformError, match="worker-1-of-2 is unfinished"):
        merge_exports(shared)
    resumed = export_table(
        wire, table, shared / first.label, segments=4, share=first.segments(4), resume=True
    )
    assert resumed.items > pages[0]  # it went on from its checkpoint
    merged = merge_exports(shared)
    assert merged.items == 1200
    assert sorted(_keys(shared)) == [f"k{i:04d}" for i in range(1200)]


def test_a_merge_stopped_half_way_finishes_when_run_again(
    ddb: Any, ddb_endpoint: str, tmp_path: Path, table_name: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = table_name("shard-remerge")
    shared = tmp_path / "shared"
    _two_worker_exports(ddb, ddb_endpoint, shared, table)
    with pytest.raises(OSError, match="disk gone"):
        _stop_merge_at_second_part(shared, monkeypatch, OSError("disk gone"))
    assert (shared / ".merge.json").exists() and (shared / "part-00000.jsonl").exists()
    merged = merge_exports(shared)
    assert merged.items == ITEMS and not (shared / ".merge.json").exists()
    assert sorted(_keys(shared)) == [f"k{i:04d}" for i in range(ITEMS)]


def test_worker_imports_given_the_files_in_another_order_still_write_each_item_once(
    ddb: Any, ddb_endpoint: str, tmp_path: Path, table_name: Any
) -> None:
    """Two machines given the same four files in another order (a shell's glob sorts by the
    locale, a list is typed by hand): the shares follow the files, not the order typed."""
    lines = [json.dumps({"pk": f"k{i:04d}", "n": i}) for i in range(ITEMS)]
    quarters = []
    for q in range(4):
        path = tmp_path / f"q{q}.jsonl"
        path.write_text("\n".join(lines[q::4]) + "\n")
        quarters.append(str(path))
    table = table_name("shard-order")
    create_simple_table(ddb, table)
    one, two = quarters, [quarters[1], quarters[0], quarters[3], quarters[2]]
    results = _run_workers(
        [
            ["data", "import", table, *one, "--worker", "1/2"],
            ["data", "import", table, *two, "--worker", "2/2"],
        ],
        tmp_path,
        ddb_endpoint,
    )
    assert sum(r["items"] for r in results) == ITEMS
    prints = [r["stderr"].split("; inputs ", 1)[1].split(" ", 1)[0] for r in results]
    assert prints[0] == prints[1]  # what an operator compares across machines
    pages = ddb.get_paginator("scan").paginate(TableName=table, Select="COUNT")
    assert sum(page["Count"] for page in pages) == ITEMS


def test_a_worker_run_again_during_a_stopped_merge_is_refused(
    ddb: Any, ddb_endpoint: str, tmp_path: Path, table_name: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The merge stops after moving one part; someone runs worker 2 again (--force, its folder
    looked half-empty). That run emptied the parts the merge had yet to move, and the merge,
    run again, moved the empty parts in under a manifest counting every item."""
    table = table_name("shard-rerun")
    shared = tmp_path / "shared"
    _two_worker_exports(ddb, ddb_endpoint, shared, table)
    with pytest.raises(OSError, match="disk gone"):
        _stop_merge_at_second_part(shared, monkeypatch, OSError("disk gone"))
    base = ["data", "export", table, "--out", str(shared), "--segments", "4"]
    again = _one([*base, "--worker", "2/2", "--force"], tmp_path, ddb_endpoint)
    assert again.returncode != 0
    assert f"a merge of {shared} is half-way" in again.stderr
    assert "Traceback" not in again.stderr
    pending = shared / "worker-2-of-2" / "part-00001.jsonl"
    whole = pending.read_bytes()
    pending.write_bytes(whole[: len(whole) // 2])  # rewritten by something else meanwhile
    with pytest.raises(DynaformError, match=r"part-00001\.jsonl changed since the merge began"):
        merge_exports(shared)
    pending.write_bytes(whole)
    merged = _one([*base, "--merge"], tmp_path, ddb_endpoint)
    assert merged.returncode == 0, merged.stderr
    assert sorted(_keys(shared)) == [f"k{i:04d}" for i in range(ITEMS)]


def test_worker_imports_given_one_reject_file_keep_each_workers_rejects(
    ddb: Any, ddb_endpoint: str, tmp_path: Path, table_name: Any
) -> None:
    """Both workers are given `--rejects rejects.jsonl` (one script for the fleet, a shared
    folder): each run starts its reject file afresh, so the second erased the first's."""
    table = table_name("shard-rejects")
    create_simple_table(ddb, table)
    inputs = []
    for name in ("a", "b"):
        path = tmp_path / f"{name}.jsonl"
        big = json.dumps({"pk": f"{name}-big", "pad": "x" * 410_000})
        path.write_text(json.dumps({"pk": f"{name}-ok"}) + "\n" + big + "\n")
        inputs.append(str(path))
    for i in (1, 2):
        run = _one(
            ["data", "import", table, *inputs, "--worker", f"{i}/2", "--rejects", "rejects.jsonl"],
            tmp_path,
            ddb_endpoint,
        )
        assert run.returncode == 1 and "1 item(s) could not be written" in run.stderr
    rejected = [
        json.loads(line)["Item"]["pk"]["S"]
        for path in tmp_path.glob("rejects*.jsonl")
        for line in path.read_text().splitlines()
    ]
    assert sorted(rejected) == ["a-big", "b-big"]


def test_ctrl_c_during_a_merge_says_how_to_finish_it(
    ddb: Any,
    ddb_endpoint: str,
    tmp_path: Path,
    table_name: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Ctrl-C after the merge moved one part said "aborted; nothing more was done": half the
    parts had moved out of the worker folders, and nothing said how to finish."""
    table = table_name("shard-sigint")
    shared = tmp_path / "shared"
    _two_worker_exports(ddb, ddb_endpoint, shared, table)
    real_replace = Path.replace
    moved: list[Path] = []

    def ctrl_c_on_the_second_part(self: Path, target: Any) -> Any:
        if self.name.startswith("part-"):
            if moved:
                raise KeyboardInterrupt
            moved.append(self)
        return real_replace(self, target)

    args = ["data", "export", table, "--out", str(shared), "--merge"]
    monkeypatch.setenv("AWS_ENDPOINT_URL", ddb_endpoint)
    monkeypatch.setattr(sys, "argv", ["dynaform", *args])
    monkeypatch.setattr(Path, "replace", ctrl_c_on_the_second_part)
    stopped = run_cli(capsys, *args)
    monkeypatch.setattr(Path, "replace", real_replace)
    assert stopped.code == 130, stopped.stderr
    assert "nothing more was done" not in stopped.stderr
    assert f"interrupted: the merge of {shared} is half-way" in stopped.stderr
    assert f"dynaform data export {table} --out {shared} --merge" in stopped.stderr
    finished = run_cli(capsys, *args)
    assert finished.code == 0, finished.stderr
    assert sorted(_keys(shared)) == [f"k{i:04d}" for i in range(ITEMS)]


def test_workers_into_the_folder_of_a_stopped_single_export_are_refused(
    ddb: Any, ddb_endpoint: str, tmp_path: Path, table_name: Any
) -> None:
    """A single-process export into OUT stopped (Ctrl-C); workers were then run into OUT and
    merged over its parts, leaving its checkpoint: its resume command, run later, cut the
    merged parts back to the old sizes, mid-line."""
    table = table_name("shard-stale")
    _filled(ddb, table)
    wire = WireClient(local_settings(ddb_endpoint), ddb_endpoint)
    shared = tmp_path / "shared"

    def stop(n: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        export_table(wire, table, shared, segments=4, progress=stop)
    assert (shared / ".checkpoint.json").exists()
    base = ["data", "export", table, "--out", str(shared), "--segments", "4"]
    worker = _one([*base, "--worker", "1/2"], tmp_path, ddb_endpoint)
    assert worker.returncode != 0
    assert f"{shared} holds an unfinished export" in worker.stderr
    assert not (shared / "worker-1-of-2").exists()
    for text in ("1/2", "2/2"):  # written some other way (an older dynaform, a copy)
        who = parse_worker(text, 4)
        export_table(wire, table, shared / who.label, segments=4, share=who.segments(4))
    with pytest.raises(DynaformError, match="holds an unfinished export"):
        merge_exports(shared)
    assert (shared / "worker-1-of-2" / "manifest.json").exists()  # nothing moved


def test_a_worker_manifest_that_is_not_one_is_named(
    ddb: Any, ddb_endpoint: str, tmp_path: Path, table_name: Any
) -> None:
    """A worker's manifest.json overwritten (a sync tool's conflict copy, an editor) made the
    merge say "unexpected error talking to OUT", as if a service had failed."""
    table = table_name("shard-badman")
    shared = tmp_path / "shared"
    _two_worker_exports(ddb, ddb_endpoint, shared, table)
    manifest = shared / "worker-2-of-2" / "manifest.json"
    for text in ("[]", "garbage"):
        manifest.write_text(text)
        merged = _one(
            ["data", "export", table, "--out", str(shared), "--merge"], tmp_path, ddb_endpoint
        )
        assert merged.returncode == 1
        assert f"{manifest} is not a worker's manifest" in merged.stderr
        assert "unexpected" not in merged.stderr
        assert "run that worker's export again" in merged.stderr
    assert not (shared / ".merge.json").exists()


def test_the_same_worker_started_twice_at_once_is_refused_once(
    ddb: Any, ddb_endpoint: str, tmp_path: Path, table_name: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two machines of a fleet given the same i start together on the shared folder: both
    found no checkpoint, and both appended pages to the same parts (items twice, counts of
    one). A barrier holds both right after that check, as a simultaneous start does."""
    import threading

    from dynaform.data import checkpoint

    table = table_name("shard-twice")
    _filled(ddb, table)
    shared = tmp_path / "shared"
    who = parse_worker("1/2", 4)
    both_checked = threading.Barrier(2, timeout=60)
    real_refuse = checkpoint.refuse_unfinished

    def refuse_then_wait(path: Path, what: str) -> None:
        real_refuse(path, what)
        both_checked.wait()

    monkeypatch.setattr(checkpoint, "refuse_unfinished", refuse_then_wait)
    outcomes: list[str] = []

    def run() -> None:
        wire = WireClient(local_settings(ddb_endpoint), ddb_endpoint)
        try:
            export_table(wire, table, shared / who.label, segments=4, share=who.segments(4))
            outcomes.append("done")
        except Exception as exc:  # anything but the one sentence fails the assertions
            outcomes.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(outcomes) == 2 and outcomes.count("done") == 1
    [refused] = [text for text in outcomes if text != "done"]
    assert refused.startswith("DataError: another export started writing")
    keys = _keys(shared / who.label)
    assert len(keys) == len(set(keys))  # each item once


def test_the_inputs_fingerprint_tells_other_inputs_apart(tmp_path: Path) -> None:
    from dynaform.data.importer import shard_sources, sources_for

    paths = []
    for q in range(4):
        path = tmp_path / f"q{q}.jsonl"
        path.write_text(json.dumps({"pk": f"k{q}"}) + "\n")
        paths.append(path)
    worker = parse_worker("1/2")

    def fingerprint(given: list[Path]) -> str:
        _, said = shard_sources(sources_for(given, None), worker)
        return said.split("; inputs ", 1)[1].split(" ", 1)[0]

    assert fingerprint(paths) == fingerprint(list(reversed(paths)))
    assert fingerprint(paths) != fingerprint(paths[:3])  # a machine missing a file shows it


def test_a_merge_stopped_by_an_older_dynaform_finishes_too(
    ddb: Any, ddb_endpoint: str, tmp_path: Path, table_name: Any
) -> None:
    """A .merge.json from before the plan recorded sizes ([source, target] moves) made the
    merge run again fail with "unexpected error ... not enough values to unpack"."""
    from dynaform.data import checkpoint
    from dynaform.data.shard import _plan, _workers

    table = table_name("shard-oldplan")
    shared = tmp_path / "shared"
    _two_worker_exports(ddb, ddb_endpoint, shared, table)
    plan = _plan(shared, _workers(shared))
    plan["moves"] = [[source, target] for source, target, _ in plan["moves"]]
    checkpoint.save(shared / ".merge.json", plan)
    first_source, first_target = plan["moves"][0]
    (shared / first_source).replace(shared / first_target)  # it had moved one part
    assert merge_exports(shared).items == ITEMS
    assert sorted(_keys(shared)) == [f"k{i:04d}" for i in range(ITEMS)]
