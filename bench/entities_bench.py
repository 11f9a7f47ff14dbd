"""Entity layer overhead vs the raw botocore client and boto3's resource layer, one engine.

    python bench/entities_bench.py [--ops 2000]

Each contender does the same get / put / query (20 items) against DynamoDB Local; the table
reports µs per operation (wall and client CPU) and the overhead relative to raw botocore.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3

from dynaform.aws.client import dynamodb_client
from dynaform.entities import Entity, Store
from dynaform.entities.model import DECODER
from dynaform.local import engine
from dynaform.settings import Settings


class Reading(Entity):
    sensor: str
    at: datetime
    value: int
    note: str

    class Meta:
        table = "bench"
        pk = "SENSOR#{sensor}"
        sk = "AT#{at:%Y-%m-%dT%H:%M:%SZ}"


def pynamodb_model(url: str) -> Any:
    """The same item as a PynamoDB model, when PynamoDB is installed (`make bench` does)."""
    try:
        from pynamodb.attributes import NumberAttribute, UnicodeAttribute  # type: ignore[import-not-found]
        from pynamodb.models import Model  # type: ignore[import-not-found]
    except ImportError:
        return None

    class PynReading(Model):  # type: ignore[misc]
        class Meta:
            table_name = "bench"
            host = url
            region = "us-east-1"
            aws_access_key_id = "bench"
            aws_secret_access_key = "bench"

        PK = UnicodeAttribute(hash_key=True)
        SK = UnicodeAttribute(range_key=True)
        sensor = UnicodeAttribute()
        at = UnicodeAttribute()
        value = NumberAttribute()
        note = UnicodeAttribute()

    return PynReading


def timed(ops: int, work: Callable[[int], object], rounds: int = 3) -> tuple[float, float]:
    """Best of ``rounds`` (DynamoDB Local's latency wanders): µs wall and CPU per operation."""
    for i in range(50):  # warm-up
        work(i)
    best = (float("inf"), float("inf"))
    for _ in range(rounds):
        best = min(best, _block(ops, work))
    return best


def _block(ops: int, work: Callable[[int], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(ops):
        work(i)
    return (time.perf_counter() - wall) / ops * 1e6, (time.process_time() - cpu) / ops * 1e6


def side_by_side(
    ops: int, contenders: dict[str, Callable[[int], object]], rounds: int = 7
) -> dict[str, tuple[float, float]]:
    """Operation by operation in turn (the order rotated each time), so a slow spell of the
    engine or the machine hits every contender alike; ``rounds`` blocks of ``ops`` each, and
    the median block per contender."""
    for work in contenders.values():
        for i in range(50):  # warm-up
            work(i)
    names = list(contenders)
    blocks: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    clock, cpu_clock = time.perf_counter, time.process_time
    for _ in range(rounds):
        wall = dict.fromkeys(names, 0.0)
        cpu = dict.fromkeys(names, 0.0)
        for i in range(ops):
            shift = i % len(names)
            for name in names[shift:] + names[:shift]:
                began, began_cpu = clock(), cpu_clock()
                contenders[name](i)
                wall[name] += clock() - began
                cpu[name] += cpu_clock() - began_cpu
        for name in names:
            blocks[name].append((wall[name] / ops * 1e6, cpu[name] / ops * 1e6))
    return {
        name: (
            statistics.median(b[0] for b in found),
            statistics.median(b[1] for b in found),
        )
        for name, found in blocks.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ops", type=int, default=2000)
    args = parser.parse_args()
    state = Path(tempfile.mkdtemp()) / "state"
    started = engine.start(state, port=engine.free_port(), in_memory=True)
    url = started.record.endpoint_url
    try:
        client: Any = dynamodb_client(Settings(url, "us-east-1", None, False))
        client.create_table(
            TableName="bench",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": "PK", "AttributeType": "S"},
                {"AttributeName": "SK", "AttributeType": "S"},
            ],
            KeySchema=[
                {"AttributeName": "PK", "KeyType": "HASH"},
                {"AttributeName": "SK", "KeyType": "RANGE"},
            ],
        )
        store = Store(client, tables={"bench": "bench"}, cursor_key=secrets.token_bytes(32))
        table = boto3.resource(
            "dynamodb",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        ).Table("bench")
        base = datetime(2024, 1, 1, tzinfo=UTC)

        def reading(i: int) -> Reading:
            return Reading(
                sensor=f"s{i % 50}", at=base + timedelta(seconds=i), value=i, note="x" * 200
            )

        for i in range(1000):
            store.put(reading(i))
        entities = [reading(i) for i in range(args.ops + 50)]  # built up front for everyone
        raw_items = [e.to_item() for e in entities]
        plain = [DECODER.item(item) for item in raw_items]  # boto3 resource takes Python values
        pyn = pynamodb_model(url)
        rows: dict[str, dict[str, tuple[float, float]]] = {}
        if pyn is not None:
            models = [
                pyn(PK=p["PK"], SK=p["SK"], sensor=e.sensor, at=p["at"], value=e.value, note=e.note)
                for p, e in zip(plain, entities, strict=True)
            ]
            pyn_put = timed(args.ops, lambda i: models[i].save())  # first: later puts add _type
        block = max(50, args.ops // 7)
        rows["put"] = side_by_side(
            block,
            {
                "botocore": lambda i: client.put_item(TableName="bench", Item=raw_items[i]),
                "dynaform": lambda i: store.put(entities[i]),
                "boto3 resource": lambda i: table.put_item(Item=plain[i]),
            },
        )
        rows["get"] = side_by_side(
            block,
            {
                "botocore": lambda i: client.get_item(
                    TableName="bench",
                    Key={"PK": raw_items[i % 1000]["PK"], "SK": raw_items[i % 1000]["SK"]},
                ),
                "dynaform": lambda i: store.get(
                    Reading, sensor=f"s{i % 50}", at=base + timedelta(seconds=i % 1000)
                ),
                "boto3 resource": lambda i: table.get_item(
                    Key={"PK": plain[i % 1000]["PK"], "SK": plain[i % 1000]["SK"]}
                ),
            },
        )
        if pyn is not None:
            rows["put"]["pynamodb"] = pyn_put
        if pyn is not None:
            rows["get"]["pynamodb"] = timed(
                args.ops, lambda i: pyn.get(plain[i % 1000]["PK"], plain[i % 1000]["SK"])
            )
        # The same request as the entity layer sends: its key condition and its type filter.
        same = {
            "KeyConditionExpression": "(#n0 = :v0)",
            "FilterExpression": "(#n1 = :v1)",
            "ExpressionAttributeNames": {"#n0": "PK", "#n1": "_type"},
        }
        rows["query 20"] = side_by_side(
            max(20, block // 4),
            {
                "botocore": lambda i: client.query(
                    TableName="bench",
                    **same,
                    ExpressionAttributeValues={
                        ":v0": {"S": f"SENSOR#s{i % 50}"},
                        ":v1": {"S": "Reading"},
                    },
                ),
                "dynaform": lambda i: store.query(Reading, sensor=f"s{i % 50}"),
                "boto3 resource": lambda i: table.query(
                    **same,
                    ExpressionAttributeValues={":v0": f"SENSOR#s{i % 50}", ":v1": "Reading"},
                ),
            },
        )
        if pyn is not None:
            rows["query 20"]["pynamodb"] = timed(
                args.ops // 4, lambda i: list(pyn.query(f"SENSOR#s{i % 50}"))
            )
    finally:
        engine.stop(state)
    print(
        f"{args.ops} operations each, interleaved one by one in 7 blocks, DynamoDB Local in "
        "memory; median block's µs per operation (wall / client CPU), overhead vs raw botocore "
        "(wall / CPU)"
    )
    names = [n for n in ("dynaform", "boto3 resource", "pynamodb") if n in rows["put"]]
    print(f"{'operation':<10}{'botocore':>18}" + "".join(f"{n:>32}" for n in names))
    for op, by in rows.items():
        raw_wall = by["botocore"][0]
        cells = [f"{by['botocore'][0]:>8.0f} / {by['botocore'][1]:>4.0f}"]
        for name in names:
            wall, cpu = by[name]
            raw_cpu = by["botocore"][1]
            cells.append(
                f"{wall:>6.0f} / {cpu:>4.0f} ({100 * (wall - raw_wall) / raw_wall:+.0f}% / "
                f"{100 * (cpu - raw_cpu) / raw_cpu:+.0f}%)"
            )
        print(f"{op:<10}{cells[0]:>18}" + "".join(f"{c:>32}" for c in cells[1:]))


if __name__ == "__main__":
    main()
