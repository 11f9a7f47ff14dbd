"""Sharded runs: ``--worker i/n`` gives one of n machines its share of a parallel scan (or of
an import's input), and ``data export --merge`` joins the workers' folders into one export.

A worker of an export writes a normal folder export into ``OUT/worker-i-of-n/`` holding only
its segments (segment s belongs to worker ``s % n + 1``), with its own checkpoint, so each
machine resumes on its own. The merge refuses while any worker's folder is missing or
unfinished, naming it; then it moves every part into ``OUT`` (renames, no copying) and writes
the manifest a single-process export would have written. The plan is recorded first in
``OUT/.merge.json``, so a merge stopped half-way is finished by running it again.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from dynaform.data import checkpoint
from dynaform.data.errors import DataError

_FOLDER = re.compile(r"worker-(\d+)-of-(\d+)")
MERGE_RECORD = ".merge.json"
CHECKPOINT = ".checkpoint.json"  # a folder export's, while unfinished


@dataclass(frozen=True)
class Worker:
    index: int  # 1-based, as typed
    count: int

    @property
    def label(self) -> str:
        return f"worker-{self.index}-of-{self.count}"

    @property
    def typed(self) -> str:
        return f"{self.index}/{self.count}"

    def segments(self, total: int) -> list[int]:
        """Segment s goes to worker s % n + 1: shares differ by one segment at most."""
        return [s for s in range(total) if s % self.count == self.index - 1]

    def takes(self, position: int) -> bool:
        return position % self.count == self.index - 1

    def own(self, path: Path) -> Path:
        """This worker's file of a name every worker was given: ``r.jsonl`` ->
        ``r.worker-i-of-n.jsonl`` (on a shared folder, each keeps its own)."""
        stem, dot, suffix = path.name.partition(".")
        name = f"{stem}.{self.label}{dot}{suffix}" if dot else f"{path.name}.{self.label}"
        return path.with_name(name)


def parse_worker(text: str, segments: int | None = None) -> Worker:
    """``i/n`` with 1 <= i <= n; with a scan, at most one worker per segment."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not match:
        raise DataError(
            f"--worker {text!r} is not i/n", hint="e.g. --worker 3/8: the third of 8 machines"
        )
    index, count = int(match[1]), int(match[2])
    if count < 1 or not 1 <= index <= count:
        raise DataError(
            f"--worker {text}: the worker number must be between 1 and {max(count, 1)}",
            hint=f"number the machines 1/{count} to {count}/{count}",
        )
    if segments is not None and count > segments:
        raise DataError(
            f"--worker {text}: {count} workers need at least {count} segments (--segments "
            f"{segments} leaves some without work)",
            hint=f"use --segments {count * 8} (a multiple of {count} shares evenly)",
        )
    return Worker(index, count)


def describe_share(worker: Worker, total: int) -> str:
    """What a worker of a scan takes, said in one line."""
    taken = worker.segments(total)
    shown = ", ".join(str(s) for s in taken[:8]) + (", ..." if len(taken) > 8 else "")
    even = "" if total % worker.count == 0 else f" (uneven: {total} is not a multiple of n)"
    return (
        f"worker {worker.typed} takes {len(taken)} of {total} segments: {shown}"
        f" (s % {worker.count} = {worker.index - 1}){even}"
    )


# --- merging ----------------------------------------------------------------------------


@dataclass
class MergeResult:
    items: int
    workers: int
    files: list[Path]
    scanned: tuple[str, str] | None = None  # earliest start and latest end of the workers


def _manifest(folder: Path) -> dict[str, Any]:
    if not (folder / "manifest.json").is_file():
        if (folder / ".checkpoint.json").exists():
            raise DataError(
                f"{folder.name} is unfinished ({folder / '.checkpoint.json'} is still there)",
                hint="let that worker finish, or run its command again with --resume; then merge",
            )
        raise DataError(f"{folder.name} has no manifest.json: it is not a finished worker export")
    return read_manifest(folder / "manifest.json")


def read_manifest(path: Path) -> dict[str, Any]:
    """A worker's manifest.json, or an error naming it (overwritten by something else)."""
    try:
        data = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError:
        data = None
    if not isinstance(data, dict) or not {"share", "files", "table"} <= set(data):
        raise DataError(
            f"{path} is not a worker's manifest",
            hint="run that worker's export again (without --resume), then merge",
        )
    return data


def _workers(out: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Every worker's finished folder, or an error naming the first missing or unfinished."""
    found = {int(m[1]): (p, int(m[2])) for p in out.iterdir() if (m := _FOLDER.fullmatch(p.name))}
    counts = {count for _, count in found.values()}
    if not found:
        raise DataError(
            f"{out} holds no worker-i-of-n folders", hint="run the exports with --worker first"
        )
    if len(counts) > 1:
        raise DataError(f"{out} mixes runs of {sorted(counts)} workers: keep one run's folders")
    count = counts.pop()
    missing = [f"worker-{i}-of-{count}" for i in range(1, count + 1) if i not in found]
    if missing:
        raise DataError(
            f"{', '.join(missing)} missing in {out}: every worker's part is needed",
            hint=f"run that machine's export (--worker {missing[0].split('-')[1]}/{count}), "
            "or copy its folder here; then merge",
        )
    return [(found[i][0], _manifest(found[i][0])) for i in range(1, count + 1)]


def _said(manifest: dict[str, Any]) -> str:
    gz = ", gzip" if manifest.get("gzip") else ""
    what = f"{manifest.get('table')}, {manifest.get('format')}{gz}"
    return f"{what}, {manifest.get('segments')} segments"


def _plan(out: Path, workers: list[tuple[Path, dict[str, Any]]]) -> dict[str, Any]:
    first = workers[0][1]
    same = ("table", "format", "segments", "gzip")
    owner: dict[int, str] = {}
    moves: dict[int, tuple[str, str, int]] = {}
    for folder, manifest in workers:
        if any(manifest.get(k) != first.get(k) for k in same):
            raise DataError(
                f"{folder.name} is another export ({_said(manifest)}) than "
                f"{workers[0][0].name} ({_said(first)})",
                hint="every worker runs the same command apart from --worker",
            )
        for segment, name in zip(manifest["share"], manifest["files"], strict=True):
            if segment in owner:
                raise DataError(f"segment {segment} is in both {owner[segment]} and {folder.name}")
            owner[segment] = folder.name
            moves[segment] = (f"{folder.name}/{name}", name, _size(folder / name))
    missing = sorted(set(range(int(first["segments"]))) - set(owner))
    if missing:
        raise DataError(f"no worker holds segment(s) {missing[:8]} of {first['segments']}")
    ordered = [moves[s] for s in sorted(moves)]
    return {
        "table": first["table"],
        "format": first["format"],
        "items": sum(int(m["items"]) for _, m in workers),
        "files": [name for _, name, _ in ordered],
        "moves": ordered,
        "workers": [folder.name for folder, _ in workers],
        "scanned": _span([m.get("scanned") for _, m in workers]),
    }


def _span(spans: list[Any]) -> list[str] | None:
    """When the workers' scans ran, earliest start to latest end (None: a worker of an older
    dynaform recorded none). A folder left from an older run shows as a long span."""
    known = [s for s in spans if isinstance(s, list) and len(s) == 2 and all(s)]
    if len(known) != len(spans) or not known:
        return None
    return [min(s[0] for s in known), max(s[1] for s in known)]


def merge_exports(out: Path) -> MergeResult:
    """Join the worker folders in ``out`` into one folder export (resumable)."""
    record = out / MERGE_RECORD
    if record.exists():
        plan = checkpoint.load(record, "merge")
    elif (out / "manifest.json").is_file():
        raise DataError(f"{out} is already a merged export (manifest.json)", hint="use it as it is")
    elif not out.is_dir():
        raise DataError(f"{out} is not a folder", hint="give the --out of the workers' exports")
    else:
        _refuse_single_export(out)
        plan = _plan(out, _workers(out))
        checkpoint.save(record, plan, durable=True)
    for source, target, *size in plan["moves"]:  # no size: a plan of an older dynaform
        if (out / source).exists():
            if size and (out / source).stat().st_size != size[0]:
                raise DataError(
                    f"{out / source} changed since the merge began ({size[0]:,} bytes then)",
                    hint=f"run that worker again in full, delete {record}, then merge",
                )
            (out / source).replace(out / target)
        elif not (out / target).exists():
            raise DataError(f"{out / source} vanished during the merge", hint=f"see {record}")
    checkpoint.fsync_dir(out)
    manifest = {k: plan[k] for k in ("table", "format", "items", "files")}
    if plan.get("scanned"):
        manifest["scanned"] = plan["scanned"]
    checkpoint.save(out / "manifest.json", manifest, durable=True)
    for name in plan["workers"]:
        (out / name / "manifest.json").unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # something else in it: left alone
            (out / name).rmdir()
    record.unlink()
    files = [out / f for f in plan["files"]]
    span = plan.get("scanned")
    scanned = (str(span[0]), str(span[1])) if span else None
    return MergeResult(int(plan["items"]), len(plan["workers"]), files, scanned)


def _size(path: Path) -> int:
    if not path.is_file():
        raise DataError(f"{path} is missing: its worker's manifest lists it")
    return path.stat().st_size


def _refuse_single_export(out: Path) -> None:
    """OUT itself holds a stopped single-process export: the merge would move the workers'
    parts over its parts, and its resume command would later cut them back, mid-line."""
    if (out / CHECKPOINT).exists():
        raise DataError(
            f"{out} holds an unfinished export ({out / CHECKPOINT}) whose parts a merge "
            "would replace",
            hint=f"finish it with --resume, or delete {out / CHECKPOINT} and its "
            "part-* files, or give the workers another --out",
        )


def worker_folder(out: Path, worker: Worker) -> Path:
    """``OUT/worker-i-of-n``; never while a merge of OUT is half-way (the run would rewrite
    parts the merge has yet to move) or once OUT is merged."""
    if str(out) == "-" or out.suffix or (out.exists() and not out.is_dir()):
        raise DataError(
            f"with --worker, --out is a folder ({out} looks like a file)",
            hint="e.g. --out backup/orders: each worker writes backup/orders/worker-i-of-n/",
        )
    _refuse_single_export(out)
    if (out / MERGE_RECORD).exists():
        raise DataError(
            f"a merge of {out} is half-way ({out / MERGE_RECORD}); a worker run now would "
            "rewrite the parts it has yet to move",
            hint=f"finish it first with `dynaform data export TABLE --out {out} --merge`",
        )
    if (out / "manifest.json").is_file():
        raise DataError(
            f"{out} is already a merged export (manifest.json)",
            hint="export into a new folder",
        )
    return out / worker.label
