"""Backfill benchmark, side by side against one DynamoDB Local in one run.

Two tables hold the same N items. The naive way: boto3's scan paginator and one `update_item`
per item, conditional on the version read (the same correctness: no live write lost).
dynaform's way: `dynaform migrate up` (in-process, through `dynaform.api.migrations`): segment
leases, checkpoints, the lean wire client, conditional writes in parallel. Both end with every
item changed exactly once; the run checks it.

    python bench/migrate_bench.py [--items 100000] [--segments 8]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

MIGRATION = '''"""Give every item an owner."""


def up(m):
    def fill(item):
        if "owner" in item:
            return None
        return {**item, "owner": item.get("createdBy", "app")}

    m.backfill("items", fill)
'''


def client(endpoint: str) -> Any:
    import boto3

    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )


def create(ddb: Any, name: str) -> None:
    ddb.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )


def fill_table(ddb: Any, name: str, items: int) -> None:
    def batch(start: int) -> None:
        requests = [
            {
                "PutRequest": {
                    "Item": {
                        "id": {"S": f"item-{i:08d}"},
                        "name": {"S": f"Item number {i}"},
                        "status": {"S": ("active", "inactive", "archived")[i % 3]},
                        "createdAt": {"N": str(1_700_000_000 + i)},
                        "createdBy": {"S": f"user{i % 97}"},
                        "version": {"N": "1"},
                    }
                }
            }
            for i in range(start, min(start + 25, items))
        ]
        pending = {name: requests}
        while pending:
            pending = ddb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(batch, range(0, items, 25)))


def naive(ddb: Any, name: str) -> int:
    """The loop most teams write: scan, and update each item conditional on its version."""
    changed = 0
    for page in ddb.get_paginator("scan").paginate(TableName=name):
        for item in page["Items"]:
            if "owner" in item:
                continue
            ddb.update_item(
                TableName=name,
                Key={"id": item["id"]},
                UpdateExpression="SET #o = :o, #v = :next",
                ConditionExpression="#v = :v",
                ExpressionAttributeNames={"#o": "owner", "#v": "version"},
                ExpressionAttributeValues={
                    ":o": item["createdBy"],
                    ":v": item["version"],
                    ":next": {"N": str(int(item["version"]["N"]) + 1)},
                },
            )
            changed += 1
    return changed


def dynaform_up(endpoint: str, folder: Path, segments: int) -> int:
    from dynaform import api
    from dynaform.api import migrations
    from dynaform.migrate import Reporter
    from dynaform.settings import Flags

    project = api.load_project(folder / "dynaform.yaml")
    binding = api.bind(project, "dev", Flags(endpoint_url=endpoint), {"AWS_ACCESS_KEY_ID": "b"})
    options = migrations.Options(segments=segments)
    outcomes = migrations.up(binding, options, Reporter())
    return sum(t.changed for o in outcomes for _, t in o.tallies)


def check(ddb: Any, name: str, items: int) -> None:
    seen = 0
    for page in ddb.get_paginator("scan").paginate(TableName=name):
        for item in page["Items"]:
            assert item["owner"] == item["createdBy"] and item["version"]["N"] == "2", item
            seen += 1
    assert seen == items, (seen, items)


def timed(work: Any) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--segments", type=int, default=8)
    args = parser.parse_args()
    from dynaform.local import engine

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        state = root / ".dynaform" / "local"
        endpoint = engine.start(state, port=engine.free_port(), in_memory=True).record.endpoint_url
        try:
            run(endpoint, root, args.items, args.segments)
        finally:
            engine.stop(state)


def run(endpoint: str, root: Path, items: int, segments: int) -> None:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    ddb = client(endpoint)
    (root / "migrations").mkdir()
    (root / "migrations" / "0001_add_owner.py").write_text(MIGRATION)
    (root / "dynaform.yaml").write_text(
        "project: bench\nenvironments:\n  dev: {target: local}\n"
        "tables:\n  items: {partition_key: id}\n"
    )
    for name in ("naive-items", "bench-dev-items"):
        create(ddb, name)
        started = time.perf_counter()
        fill_table(ddb, name, items)
        print(f"filled {name} with {items:,} items in {time.perf_counter() - started:.1f}s")
    rows = []
    changed, wall, cpu = timed(lambda: naive(ddb, "naive-items"))
    check(ddb, "naive-items", items)
    rows.append(("boto3 scan + update_item loop", changed, wall, cpu))
    changed, wall, cpu = timed(lambda: dynaform_up(endpoint, root, segments))
    check(ddb, "bench-dev-items", items)
    rows.append((f"dynaform migrate up ({segments} segments)", changed, wall, cpu))
    print(f"\nbackfill of {items:,} items (DynamoDB Local, {os.cpu_count()} cores)")
    print(f"{'':36} {'changed':>9} {'seconds':>8} {'items/s':>9} {'CPU µs/item':>12}")
    for label, count, seconds, used in rows:
        print(
            f"{label:36} {count:>9,} {seconds:>8.1f} {count / seconds:>9,.0f} "
            f"{used / max(1, count) * 1e6:>12,.0f}"
        )
    print(f"\ndynaform is {rows[0][2] / rows[1][2]:.1f}x faster (target: >= 3x)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
