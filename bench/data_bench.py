"""Data-plane benchmarks, side by side against one DynamoDB Local in one run.

Writers: the raw ceiling (pre-encoded BatchWriteItem bodies over keep-alive HTTP, same
concurrency), `dynaform data import` (in-process), boto3 `Table.batch_writer()`, PynamoDB's
`batch_write()` when installed. Readers: dynaform's export vs boto3's scan paginator. Codec:
dynaform vs boto3 TypeSerializer + TypeDeserializer. Each measurement runs in its own process,
so peak RSS and CPU are its own.

    python bench/data_bench.py [--items 20000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson

ENDPOINT = "http://localhost:{port}"
KEYS = [{"AttributeName": "pk", "AttributeType": "S"}]


def make_item(i: int) -> dict[str, Any]:
    """A mixed ~1 KB item in Python values."""
    return {
        "pk": f"user#{i:08d}",
        "name": f"Customer number {i} with a longer display name",
        "email": f"customer{i}@example.com",
        "balance": Decimal(f"{i}.{i % 100:02d}"),
        "visits": i * 7,
        "active": i % 3 == 0,
        "tags": {"new", "vip", f"t{i % 10}"},
        "scores": [i % 5, i % 7, Decimal("1.5")],
        "address": {"street": f"{i} Long Street", "city": "Springfield", "zip": f"{i % 99999:05d}"},
        "avatar": bytes(range(64)),
        "notes": "x" * 600,
    }


def wire_item(i: int) -> dict[str, Any]:
    from dynaform.data.codec import marshal

    return marshal(make_item(i))


def client() -> Any:
    import boto3

    return boto3.client(
        "dynamodb",
        endpoint_url=ENDPOINT,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )


def fresh_table(name: str) -> None:
    ddb = client()
    try:
        ddb.delete_table(TableName=name)
        ddb.get_waiter("table_not_exists").wait(TableName=name)
    except ddb.exceptions.ResourceNotFoundException:
        pass
    ddb.create_table(
        TableName=name,
        AttributeDefinitions=KEYS,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    )
    ddb.get_waiter("table_exists").wait(TableName=name)


def measure(prepare: Any) -> dict[str, float]:
    """``prepare()`` does the untimed set-up and returns the timed work."""
    run = prepare()
    cpu, wall = time.process_time(), time.perf_counter()
    items = run()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "items": items,
        "items_s": items / wall,
        "cpu_us": cpu / items * 1e6,
        "rss_mb": rss,
        "seconds": wall,
    }


# --- the contenders (each runs in a child process) ---------------------------------------


def raw_ceiling(n: int, source: Path) -> Any:
    """Pre-encoded request bodies sent over keep-alive connections (signing included)."""
    from dynaform.data.wire import WireClient
    from dynaform.settings import Settings

    items = [orjson.loads(line)["Item"] for line in source.read_bytes().split(b"\n") if line]
    bodies = [
        orjson.dumps(
            {
                "RequestItems": {
                    "raw-ceiling": [{"PutRequest": {"Item": it}} for it in items[i : i + 25]]
                }
            }
        )
        for i in range(0, len(items), 25)
    ]
    wire = WireClient(Settings(ENDPOINT, "us-east-1", None, False), ENDPOINT)

    def run() -> int:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda body: wire.call("BatchWriteItem", body), bodies))
        return len(items)

    return run


def dynaform_import(n: int, source: Path) -> Any:
    return lambda: _dynaform_import(n, source)


def _dynaform_import(n: int, source: Path) -> int:
    from dynaform.data import ops
    from dynaform.data.wire import WireClient
    from dynaform.settings import Settings

    wire = WireClient(Settings(ENDPOINT, "us-east-1", None, False), ENDPOINT)
    result = ops.import_files(wire, "dynaform", [source], rejects=source.with_suffix(".rej"))
    assert result.stats.rejected == 0
    return result.stats.items


def boto3_batch_writer(n: int, source: Path) -> Any:
    return lambda: _boto3_batch_writer(n, source)


def _boto3_batch_writer(n: int, source: Path) -> int:
    import boto3

    table = boto3.resource(
        "dynamodb",
        endpoint_url=ENDPOINT,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    ).Table("boto3-writer")
    with table.batch_writer() as batch:
        for i in range(n):
            batch.put_item(Item=make_item(i))
    return n


def pynamodb_batch_write(n: int, source: Path) -> Any:
    return lambda: _pynamodb_batch_write(n, source)


def _pynamodb_batch_write(n: int, source: Path) -> int:
    from pynamodb.attributes import (  # type: ignore[import-not-found]
        BinaryAttribute,
        BooleanAttribute,
        ListAttribute,
        MapAttribute,
        NumberAttribute,
        UnicodeAttribute,
        UnicodeSetAttribute,
    )
    from pynamodb.models import Model  # type: ignore[import-not-found]

    class Customer(Model):  # type: ignore[misc]
        class Meta:
            table_name = "pynamodb"
            host = ENDPOINT
            region = "us-east-1"
            aws_access_key_id = "bench"
            aws_secret_access_key = "bench"

        pk = UnicodeAttribute(hash_key=True)
        name = UnicodeAttribute()
        email = UnicodeAttribute()
        balance = NumberAttribute()
        visits = NumberAttribute()
        active = BooleanAttribute()
        tags = UnicodeSetAttribute()
        scores = ListAttribute()
        address = MapAttribute()
        avatar = BinaryAttribute(legacy_encoding=False)
        notes = UnicodeAttribute()

    with Customer.batch_write() as batch:
        for i in range(n):
            item = make_item(i)
            item["balance"] = float(item["balance"])
            item["scores"] = [float(s) for s in item["scores"]]
            batch.save(Customer(**item))
    return n


def dynaform_export(n: int, source: Path) -> Any:
    return lambda: _dynaform_export(n, source)


def _dynaform_export(n: int, source: Path) -> int:
    from dynaform.data import ops
    from dynaform.data.wire import WireClient
    from dynaform.settings import Settings

    wire = WireClient(Settings(ENDPOINT, "us-east-1", None, False), ENDPOINT)
    with tempfile.TemporaryDirectory() as tmp:
        return ops.export_table(wire, "dynaform", Path(tmp) / "out.jsonl", segments=4).items


def boto3_paginator(n: int, source: Path) -> Any:
    return lambda: _boto3_paginator(n, source)


def _boto3_paginator(n: int, source: Path) -> int:
    count = 0
    with tempfile.TemporaryDirectory() as tmp, (Path(tmp) / "out.jsonl").open("w") as out:
        from boto3.dynamodb.types import TypeDeserializer

        deserializer = TypeDeserializer()
        for page in client().get_paginator("scan").paginate(TableName="dynaform"):
            for item in page["Items"]:
                native = {k: deserializer.deserialize(v) for k, v in item.items()}
                out.write(json.dumps(native, default=repr) + "\n")
                count += 1
    return count


def codec_dynaform(n: int, source: Path) -> Any:
    from dynaform.data.codec import Decoder, Encoder

    encoder, decoder = Encoder(binary=bytes), Decoder()
    items = [make_item(i) for i in range(5000)]

    def run() -> int:
        for _ in range(3):
            for item in items:
                decoder.item(encoder.item(item))
        return 3 * len(items)

    return run


def codec_dynaform_compiled(n: int, source: Path) -> Any:
    """The same codec source compiled by mypyc (what the compiled wheel ships)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.data.compiled import build

    codec = build(Path(tempfile.gettempdir()) / "dynaform-bench-mypyc")
    encoder, decoder = codec.Encoder(binary=bytes), codec.Decoder()
    items = [make_item(i) for i in range(5000)]

    def run() -> int:
        for _ in range(3):
            for item in items:
                decoder.item(encoder.item(item))
        return 3 * len(items)

    return run


def codec_boto3(n: int, source: Path) -> Any:
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

    serializer, deserializer = TypeSerializer(), TypeDeserializer()
    items = [make_item(i) for i in range(5000)]

    def run() -> int:
        for _ in range(3):
            for item in items:
                wire = {k: serializer.serialize(v) for k, v in item.items()}
                {k: deserializer.deserialize(v) for k, v in wire.items()}
        return 3 * len(items)

    return run


CONTENDERS = {
    name: globals()[name]
    for name in (
        "raw_ceiling",
        "dynaform_import",
        "boto3_batch_writer",
        "pynamodb_batch_write",
        "dynaform_export",
        "boto3_paginator",
        "codec_dynaform",
        "codec_dynaform_compiled",
        "codec_boto3",
    )
}
TABLES = {
    "raw_ceiling": "raw-ceiling",
    "dynaform_import": "dynaform",
    "boto3_batch_writer": "boto3-writer",
    "pynamodb_batch_write": "pynamodb",
}


def warmup(n: int, source: Path) -> None:
    from dynaform.data import ops
    from dynaform.data.wire import WireClient
    from dynaform.settings import Settings

    wire = WireClient(Settings(ENDPOINT, "us-east-1", None, False), ENDPOINT)
    ops.import_files(wire, "warmup", [source], rejects=source.with_suffix(".warm"))
    with tempfile.TemporaryDirectory() as tmp:
        ops.export_table(wire, "warmup", Path(tmp) / "w.jsonl")


def child(name: str, n: int, source: Path, port: int) -> None:
    global ENDPOINT
    ENDPOINT = ENDPOINT.format(port=port)
    if name == "warmup":
        warmup(n, source)
        return
    print(json.dumps(measure(lambda: CONTENDERS[name](n, source))))


def export_rss(count: int) -> None:
    """Import ``count`` small items, then export them in a fresh process and report its peak
    RSS (the export streams: memory must not grow with the table)."""
    from dynaform.local import engine

    state = Path(tempfile.mkdtemp()) / "state"
    port = engine.free_port()
    engine.start(state, port=port, in_memory=True)
    url = f"http://localhost:{port}"
    try:
        global ENDPOINT
        ENDPOINT = url
        fresh_table("dynaform")
        source = Path(tempfile.mkdtemp()) / "items.jsonl"
        with source.open("wb") as out:
            for i in range(count):
                out.write(
                    orjson.dumps(
                        {
                            "Item": {
                                "pk": {"S": f"item#{i:09d}"},
                                "n": {"N": str(i)},
                                "s": {"S": "x" * 100},
                            }
                        }
                    )
                    + b"\n"
                )
        began = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "dynaform",
                "--endpoint-url",
                url,
                "--json",
                "data",
                "import",
                "dynaform",
                str(source),
            ],
            check=True,
            capture_output=True,
        )
        imported = time.perf_counter() - began
        out_dir = Path(tempfile.mkdtemp()) / "export"
        script = (
            "import resource, subprocess, sys; "
            "subprocess.run(sys.argv[1:], check=True, capture_output=True); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
        )
        began = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                script,
                sys.executable,
                "-m",
                "dynaform",
                "--endpoint-url",
                url,
                "data",
                "export",
                "dynaform",
                "--out",
                str(out_dir),
                "--segments",
                "4",
                "--gzip",
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        exported = time.perf_counter() - began
        print(
            f"{count} items: import {imported:.0f}s ({count / imported:,.0f}/s), export "
            f"{exported:.0f}s ({count / exported:,.0f}/s), export peak RSS "
            f"{int(done.stdout.strip()) / 1024:.0f} MB"
        )
    finally:
        engine.stop(state)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--export-rss",
        type=int,
        default=0,
        help="Only measure peak RSS of exporting this many items (e.g. 1000000).",
    )
    parser.add_argument(
        "--only", help="Comma-separated contenders to run (e.g. codec_dynaform,codec_boto3)."
    )
    parser.add_argument("--child")
    parser.add_argument("--source")
    parser.add_argument("--port", type=int)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.items, Path(args.source), args.port)
        return

    global ENDPOINT
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    if args.export_rss:
        export_rss(args.export_rss)
        return
    from dynaform.local import engine

    state = Path(tempfile.mkdtemp()) / "state"
    port = engine.free_port()
    engine.start(state, port=port, in_memory=True)
    ENDPOINT = ENDPOINT.format(port=port)
    results: dict[str, dict[str, float]] = {}
    try:
        source = Path(tempfile.mkdtemp()) / "items.jsonl"
        source.write_bytes(
            b"".join(orjson.dumps({"Item": wire_item(i)}) + b"\n" for i in range(args.items))
        )
        fresh_table("warmup")  # the JVM's JIT warms up before anything is measured
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                "warmup",
                "--items",
                str(args.items),
                "--source",
                str(source),
                "--port",
                str(port),
            ],
            check=True,
            capture_output=True,
        )
        for round_number in range(args.rounds):  # best of N: DynamoDB Local's speed wanders
            chosen = [n for n in CONTENDERS if not args.only or n in args.only.split(",")]
            names = chosen if round_number % 2 == 0 else chosen[::-1]
            for name in names:
                if name == "pynamodb_batch_write":
                    try:
                        import pynamodb  # type: ignore[import-not-found]  # noqa: F401
                    except ImportError:
                        continue
                if name in TABLES:
                    fresh_table(TABLES[name])
                done = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--child",
                        name,
                        "--items",
                        str(args.items),
                        "--source",
                        str(source),
                        "--port",
                        str(port),
                    ],
                    capture_output=True,
                    text=True,
                )
                if done.returncode != 0:
                    print(f"{name} failed:\n{done.stderr[-2000:]}", file=sys.stderr)
                    continue
                got = json.loads(done.stdout.strip().splitlines()[-1])
                if name not in results or got["items_s"] > results[name]["items_s"]:
                    results[name] = got
    finally:
        engine.stop(state)
    print(
        f"{args.items} items of ~1 KB, DynamoDB Local in memory, best of {args.rounds} rounds, "
        f"{os.cpu_count()} cores shared with the engine"
    )
    print(f"{'contender':<22}{'items/s':>10}{'CPU µs/item':>13}{'peak RSS MB':>13}")
    for name, r in results.items():
        print(f"{name:<22}{r['items_s']:>10,.0f}{r['cpu_us']:>13,.0f}{r['rss_mb']:>13,.0f}")
    # (label, numerator contender, denominator contender, measure); CPU ratio is inverted.
    wanted = [
        ("import vs raw ceiling", "dynaform_import", "raw_ceiling", "items_s"),
        ("import vs boto3 batch_writer", "dynaform_import", "boto3_batch_writer", "items_s"),
        ("import vs PynamoDB batch_write", "dynaform_import", "pynamodb_batch_write", "items_s"),
        ("boto3 CPU / dynaform CPU per item", "boto3_batch_writer", "dynaform_import", "cpu_us"),
        ("export vs boto3 paginator", "dynaform_export", "boto3_paginator", "items_s"),
        ("codec vs boto3 types", "codec_dynaform", "codec_boto3", "items_s"),
        ("compiled codec vs boto3 types", "codec_dynaform_compiled", "codec_boto3", "items_s"),
    ]
    ratios = [
        (label, results[a][measure] / results[b][measure])
        for label, a, b, measure in wanted
        if a in results and b in results
    ]
    for label, value in ratios:
        print(f"{label:<36}{value:>6.2f}x")


if __name__ == "__main__":
    main()
