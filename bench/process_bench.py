"""Whole-process data-plane benchmark: each contender is a separate command, measured from
the outside (wall time and client CPU from ``getrusage(RUSAGE_CHILDREN)`` deltas, so process
start, imports and file reading are all counted), side by side against one DynamoDB Local.

Writers (30k items of ~300 B by default):
- ``raw ceiling``: a script that sends pre-encoded BatchWriteItem bodies over keep-alive
  connections (8 in flight, signing included). Its items/s is the send phase only (the
  strictest ceiling); its CPU is the whole process.
- ``dynaform data import`` of the DynamoDB JSON file (the lossless format), and of the same
  items as plain JSON lines (``--format json``).
- boto3 ``Table.batch_writer()`` in a script reading the plain JSON lines (numbers as Decimal).

Readers: ``dynaform data export`` vs a script with boto3's scan paginator writing plain JSON
lines. Rounds are interleaved (order reversed every other round); the best round per
contender is reported, and the median too.

    python bench/process_bench.py [--items 30000] [--rounds 3] [--big]

``--big`` uses the mixed ~1 KB item of data_bench.py instead of the ~300 B one.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson

BIN = Path(sys.executable).parent
HERE = Path(__file__).resolve().parent


def small_item(i: int) -> dict[str, Any]:
    """About 300 bytes of DynamoDB JSON: strings, numbers, a flag, a small map and list."""
    return {
        "pk": f"order#{i:08d}",
        "customer": f"customer{i % 5000:05d}@example.com",
        "status": ("new", "paid", "shipped")[i % 3],
        "total": Decimal(f"{i % 1000}.{i % 100:02d}"),
        "lines": i % 9 + 1,
        "gift": i % 4 == 0,
        "address": {"city": "Springfield", "zip": f"{i % 99999:05d}"},
        "tags": ["web", f"c{i % 10}"],
        "note": "n" * 40,
    }


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value) if "." in str(value) else int(value)
    raise TypeError(type(value).__name__)


def write_sources(folder: Path, count: int, big: bool) -> tuple[Path, Path]:
    """The same items as DynamoDB JSON lines and as plain JSON lines."""
    from dynaform.data.codec import marshal

    sys.path.insert(0, str(HERE))
    from data_bench import make_item

    make = make_item if big else small_item
    ddb, plain = folder / "items.ddb.jsonl", folder / "items.plain.jsonl"
    with ddb.open("wb") as ddb_out, plain.open("wb") as plain_out:
        for i in range(count):
            item = make(i)
            ddb_out.write(orjson.dumps({"Item": marshal(item)}) + b"\n")
            if big:  # plain JSON has no sets or bytes: keep the item's other values
                item = {k: v for k, v in item.items() if k not in ("tags", "avatar")}
            plain_out.write(json.dumps(item, default=_plain).encode() + b"\n")
    return ddb, plain


RAW_CEILING = """
import sys, time, orjson
from concurrent.futures import ThreadPoolExecutor
from dynaform.data.wire import WireClient
from dynaform.settings import Settings
url, table, source = sys.argv[1:4]
items = [orjson.loads(l)["Item"] for l in open(source, "rb").read().split(b"\\n") if l]
bodies = [orjson.dumps({"RequestItems": {table: [{"PutRequest": {"Item": it}}
          for it in items[i:i + 25]]}}) for i in range(0, len(items), 25)]
wire = WireClient(Settings(url, "us-east-1", None, False), url)
began = time.perf_counter()
with ThreadPoolExecutor(8) as pool:
    for answer in pool.map(lambda body: wire.call("BatchWriteItem", body), bodies):
        assert not answer.get("UnprocessedItems"), answer
print(time.perf_counter() - began)
"""

BOTO3_WRITER = """
import json, sys
from decimal import Decimal
import boto3
url, table, source = sys.argv[1:4]
resource = boto3.resource("dynamodb", endpoint_url=url, region_name="us-east-1",
                          aws_access_key_id="bench", aws_secret_access_key="bench")
with resource.Table(table).batch_writer() as batch, open(source, "rb") as lines:
    for line in lines:
        if line.strip():
            batch.put_item(Item=json.loads(line, parse_float=Decimal))
"""

BOTO3_PAGINATOR = """
import json, sys
import boto3
from boto3.dynamodb.types import TypeDeserializer
url, table, out = sys.argv[1:4]
client = boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1",
                      aws_access_key_id="bench", aws_secret_access_key="bench")
deserializer = TypeDeserializer()
count = 0
with open(out, "w") as stream:
    for page in client.get_paginator("scan").paginate(TableName=table):
        for item in page["Items"]:
            native = {k: deserializer.deserialize(v) for k, v in item.items()}
            stream.write(json.dumps(native, default=repr) + "\\n")
            count += 1
assert count == int(sys.argv[4]), count
"""


def dynaform(url: str, *args: str) -> list[str]:
    return [str(BIN / "dynaform"), "--endpoint-url", url, "--json", *args]


def timed(argv: list[str], env: dict[str, str]) -> dict[str, float]:
    """Wall time and CPU (user + system) of one command and its children."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{argv[:4]} failed:\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, "stdout": done.stdout}  # type: ignore[dict-item]


def fresh_table(client: Any, name: str) -> None:
    try:
        client.delete_table(TableName=name)
        client.get_waiter("table_not_exists").wait(TableName=name)
    except client.exceptions.ResourceNotFoundException:
        pass
    client.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    )
    client.get_waiter("table_exists").wait(TableName=name)


def writers(url: str, ddb: Path, plain: Path) -> dict[str, tuple[str, list[str]]]:
    """name -> (table, argv)."""
    py = sys.executable
    return {
        "raw ceiling": ("w-raw", [py, "-c", RAW_CEILING, url, "w-raw", str(ddb)]),
        "dynaform import": ("w-dyn", dynaform(url, "data", "import", "w-dyn", str(ddb))),
        "dynaform import json": (
            "w-json",
            dynaform(url, "data", "import", "w-json", str(plain), "--format", "json"),
        ),
        "boto3 batch_writer": ("w-boto3", [py, "-c", BOTO3_WRITER, url, "w-boto3", str(plain)]),
    }


def readers(url: str, out: Path, count: int) -> dict[str, list[str]]:
    return {
        "dynaform export": dynaform(
            url, "data", "export", "w-dyn", "--out", str(out / "d.jsonl"), "--force"
        ),
        "boto3 paginator": [
            sys.executable,
            "-c",
            BOTO3_PAGINATOR,
            url,
            "w-dyn",
            str(out / "b.jsonl"),
            str(count),
        ],
    }


Runs = dict[str, list[dict[str, float]]]
START_ITEMS = 10  # the same command on this many items: what starting costs


def run_rounds(args: argparse.Namespace, url: str, folder: Path) -> Runs:
    import boto3

    client = boto3.client(
        "dynamodb",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}
    env["AWS_DEFAULT_REGION"] = "us-east-1"
    ddb, plain = write_sources(folder, args.items, args.big)
    few = folder / "few"
    few.mkdir()
    ddb_few, plain_few = few / ddb.name, few / plain.name
    for path, small in ((ddb, ddb_few), (plain, plain_few)):
        small.write_bytes(b"".join(path.read_bytes().splitlines(keepends=True)[:START_ITEMS]))
    results: Runs = {}
    fresh_table(client, "w-dyn")  # the JVM warms up before anything is measured
    timed(writers(url, ddb, plain)["dynaform import"][1], env)
    timed(readers(url, folder, args.items)["dynaform export"], env)
    for number in range(args.rounds):
        plan = list(writers(url, ddb, plain).items())
        plan = plan if number % 2 == 0 else plan[::-1]
        for name, (table, argv) in plan:
            fresh_table(client, table)
            got = timed(argv, env)
            if name == "raw ceiling":
                got["send"] = float(str(got["stdout"]).strip().splitlines()[-1])
            results.setdefault(name, []).append(got)
        plan_r = list(readers(url, folder, args.items).items())
        for name, argv in plan_r if number % 2 == 0 else plan_r[::-1]:
            results.setdefault(name, []).append(timed(argv, env))
        for name, (table, argv) in writers(url, ddb_few, plain_few).items():  # after the reads
            if name in ("dynaform import", "boto3 batch_writer"):
                fresh_table(client, table)
                results.setdefault(f"{name} ({START_ITEMS})", []).append(timed(argv, env))
        boto3_start = timed([sys.executable, "-c", "import boto3"], env)
        results.setdefault("import boto3", []).append(boto3_start)
    return results


def report(results: Runs, items: int, rounds: int) -> None:
    cores = os.cpu_count()
    print(f"{items} items, whole processes, best (median) of {rounds} rounds, {cores} cores")
    print(f"{'contender':<22}{'items/s':>16}{'CPU µs/item':>18}")
    best: dict[str, dict[str, float]] = {}
    for name, runs in results.items():
        if name.endswith(f"({START_ITEMS})") or name == "import boto3":
            continue
        rates = [items / r.get("send", r["wall"]) for r in runs]
        cpus = [r["cpu"] / items * 1e6 for r in runs]
        best[name] = {"items_s": max(rates), "cpu_us": min(cpus)}
        best[name]["items_s_med"] = statistics.median(rates)
        best[name]["cpu_us_med"] = statistics.median(cpus)
        print(
            f"{name:<22}{max(rates):>8,.0f} ({statistics.median(rates):>5,.0f})"
            f"{min(cpus):>10,.0f} ({statistics.median(cpus):>5,.0f})"
        )
    wanted = [
        ("import items/s / raw ceiling", "dynaform import", "raw ceiling", "items_s", 0.90),
        ("import CPU / boto3 writer CPU", "dynaform import", "boto3 batch_writer", "cpu_us", 1 / 6),
        ("export items/s / boto3 paginator", "dynaform export", "boto3 paginator", "items_s", 4),
        ("export CPU / paginator CPU", "dynaform export", "boto3 paginator", "cpu_us", 1 / 5),
    ]
    steady: dict[str, float] = {}
    for name in ("dynaform import", "boto3 batch_writer"):
        runs = results.get(f"{name} ({START_ITEMS})")
        if runs and name in results:
            start = min(r["cpu"] for r in runs)
            steady[name] = (min(r["cpu"] for r in results[name]) - start) / (items - START_ITEMS)
            wall = statistics.median(r["wall"] for r in runs)
            print(
                f"{name}: {START_ITEMS} items take {start * 1000:.0f} ms CPU ({wall * 1000:.0f} ms "
                f"wall); past the start {steady[name] * 1e6:.1f} µs CPU per item"
            )
    few = results.get(f"dynaform import ({START_ITEMS})")
    if few and "import boto3" in results:
        boto3_wall = statistics.median(r["wall"] for r in results["import boto3"])
        ratio = statistics.median(r["wall"] for r in few) / boto3_wall
        print(
            f"dynaform data import of {START_ITEMS} items / python -c 'import boto3' (wall, "
            f"medians): {ratio:.2f} (import boto3 {boto3_wall * 1000:.0f} ms; target 1.5)"
        )
    if len(steady) == 2:
        ratio = steady["dynaform import"] / steady["boto3 batch_writer"]
        print(f"{'import CPU / boto3 CPU past the start':<36}{ratio:>7.3f}")
    for label, a, b, measure, target in wanted:
        if a in best and b in best:
            value = best[a][measure] / best[b][measure]
            median = best[a][measure + "_med"] / best[b][measure + "_med"]
            print(f"{label:<36}{value:>7.3f} (median {median:.3f}; target {target:.3g})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=30000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--big", action="store_true", help="the mixed ~1 KB item")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE.parent / "src"))
    # Byte-code as an installed wheel has it, even where PYTHONDONTWRITEBYTECODE is set.
    compileall.compile_dir(HERE.parent / "src", quiet=1)
    from dynaform.local import engine

    folder = Path(tempfile.mkdtemp())
    state = folder / "state"
    port = engine.free_port()
    engine.start(state, port=port, in_memory=True)
    try:
        results = run_rounds(args, f"http://localhost:{port}", folder)
    finally:
        engine.stop(state)
    report(results, args.items, args.rounds)


if __name__ == "__main__":
    main()
