"""``dynaform ui`` on a large table: server time of the first page of a 100,000-item table
(target < 300 ms), a query page, and memory while paging on with signed cursors.

Server time is the time the application takes to answer (in process, no browser), which is
what the target is about; the table is written once through ``dynaform data import``.

    python bench/ui_bench.py [--items 100000] [--pages 200]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from html import unescape
from pathlib import Path

from dynaform.local import engine

warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")

ROOT = Path(__file__).resolve().parents[1]


def fill(endpoint: str, table: str, count: int, directory: Path) -> None:
    source = directory / "items.jsonl"
    with source.open("w") as out:
        for i in range(count):
            item = {
                "PK": {"S": f"USER#{i % 1000:04d}"},
                "SK": {"S": f"ENTRY#{i:08d}"},
                "_type": {"S": "entry" if i % 10 else "user"},
                "title": {"S": f"Entry number {i} with a reasonably long title"},
                "n": {"N": f"{i}12345678901234567890123456789"[:38]},
                "tags": {"SS": ["a", f"t{i % 7}"]},
            }
            out.write(json.dumps({"Item": item}) + "\n")
    base = [sys.executable, "-m", "dynaform", "--endpoint-url", endpoint]
    run = {"cwd": directory, "check": True, "capture_output": True}
    project = directory / "dynaform.yaml"
    project.write_text(
        "project: bench\nnaming: '{table}'\nenvironments: {dev: {target: local}}\n"
        f"tables:\n  {table}: {{partition_key: PK, sort_key: SK}}\n"
    )
    subprocess.run([*base, "apply", "--yes"], **run)  # type: ignore[call-overload]
    subprocess.run([*base, "data", "import", table, str(source)], **run)  # type: ignore[call-overload]


def rss_mb() -> float:
    with Path("/proc/self/status").open() as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(endpoint: str, table: str, pages: int, directory: Path) -> None:
    from starlette.testclient import TestClient

    from dynaform.settings import Flags
    from dynaform.ui.server import create_app
    from dynaform.ui.state import UiState

    ui = UiState(None, Flags(endpoint_url=endpoint), None, project_dir=directory)
    client = TestClient(create_app(ui, "t", 1), base_url="http://127.0.0.1:1")
    client.get("/?token=t")

    def timed(path: str) -> tuple[float, str]:
        began = time.perf_counter()
        answer = client.get(path)
        assert answer.status_code == 200, answer.text[:500]
        return (time.perf_counter() - began) * 1000, answer.text

    cold, _ = timed(f"/t/{table}")
    warm = [timed(f"/t/{table}")[0] for _ in range(20)]
    query = [timed(f"/t/{table}?pk=USER%230042&op=begins_with&v1=ENTRY%2300")[0] for _ in range(20)]
    print(f"first page, cold (describe + type sample + page): {cold:7.1f} ms")
    print(f"first page, median of 20:                      {statistics.median(warm):7.1f} ms")
    print(f"query page (begins_with), median of 20:        {statistics.median(query):7.1f} ms")
    path, before, at_10 = f"/t/{table}?size=100", rss_mb(), 0.0
    for number in range(pages):
        _, html = timed(path)
        found = re.search(r'id="next" href="([^"]+)"', html)
        if number == 10:
            at_10 = rss_mb()
        if not found:
            break
        path = unescape(found[1])
    print(
        f"paged {number + 1} pages of 100: RSS {before:.0f} MB before, {at_10:.0f} MB at page 10,"
    )
    print(f"  {rss_mb():.0f} MB at the end")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--pages", type=int, default=200)
    args = parser.parse_args()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    with tempfile.TemporaryDirectory() as temp:
        directory = Path(temp)
        state = directory / "engine"
        started = engine.start(state, port=engine.free_port(), in_memory=True)
        try:
            endpoint = started.record.endpoint_url
            began = time.perf_counter()
            fill(endpoint, "uibench", args.items, directory)
            print(f"ui bench: {args.items:,} items written in {time.perf_counter() - began:.0f} s")
            measure(endpoint, "uibench", args.pages, directory)
        finally:
            engine.stop(state)


if __name__ == "__main__":
    main()
