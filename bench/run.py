"""Foundation benchmarks, side by side in one run.

1. Cold start to first answer: `dynaform local start` vs the raw engine (java -jar + polling
   ListTables over plain HTTP, the ceiling).
2. Failing against a dead endpoint: `dynaform status` (a CLI process) vs a boto3 client with
   its default settings vs a bare TCP connect.
3. Listing 50 tables with their status and size: dynaform's overview vs a boto3 loop.
4. `plan` of a 50-table project with nothing to change (target < 2 s): the API in-process,
   and the CLI as a process (Python start-up and imports included).

Run with `make bench`; results are printed as a table (nothing is asserted).
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import boto3

from dynaform import api
from dynaform.aws.client import client_config, dynamodb_client
from dynaform.aws.overview import check_connection, describe_tables, list_table_names
from dynaform.local import engine
from dynaform.local.install import install
from dynaform.local.java import find_java
from dynaform.settings import Flags, Settings

ROWS: list[tuple[str, str, str]] = []


def timed(fn: Callable[[], object]) -> float:
    began = time.perf_counter()
    fn()
    return time.perf_counter() - began


def raw_list_tables(port: int) -> bool:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/",
        data=b"{}",
        headers={
            "X-Amz-Target": "DynamoDB_20120810.ListTables",
            "Content-Type": "application/x-amz-json-1.0",
            "Authorization": "AWS4-HMAC-SHA256 Credential=local/20240101/us-east-1/dynamodb/"
            "aws4_request, SignedHeaders=host, Signature=0",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def bench_start() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "state"
        port = engine.free_port()
        ours = timed(lambda: engine.start(state, port=port, in_memory=True))
        engine.stop(state)

        installation = install()
        port = engine.free_port()
        began = time.perf_counter()
        process = subprocess.Popen(
            [
                str(find_java().executable),
                f"-Djava.library.path={installation.lib}",
                "-jar",
                str(installation.jar),
                "-sharedDb",
                "-inMemory",
                "-disableTelemetry",
                "-port",
                str(port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        while not raw_list_tables(port):
            time.sleep(0.05)
        raw = time.perf_counter() - began
        process.terminate()
        process.wait()
    ROWS.append(("cold start to first ListTables (vs raw java)", f"{ours:.2f}s", f"{raw:.2f}s"))


def _boto3_default(url: str) -> boto3.client:
    return boto3.client(
        "dynamodb",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="y",
    )


def _fail_time(call: Callable[[], object], cap: float) -> str:
    """Seconds until ``call`` raises, or '> cap' when it is still waiting."""
    outcome: list[float] = []
    began = time.perf_counter()

    def run() -> None:
        with contextlib.suppress(Exception):
            call()
        outcome.append(time.perf_counter() - began)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(cap)
    return f"{outcome[0]:.2f}s" if outcome else f"> {cap:.0f}s (gave up)"


def _probe_vs_boto3(label: str, url: str) -> None:
    settings = Settings(endpoint_url=url, region="us-east-1", profile=None, use_local_engine=False)
    config = client_config(attempts=1, connect_timeout=2, read_timeout=3)
    probe = dynamodb_client(settings, config=config)
    ROWS.append(
        (
            label,
            _fail_time(lambda: check_connection(probe, url), 30),
            _fail_time(lambda: _boto3_default(url).list_tables(), 30),
        )
    )


def bench_dead_endpoint() -> None:
    refused = f"http://localhost:{engine.free_port()}"
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "dynaform", "status", "--endpoint-url", refused],
        capture_output=True,
        text=True,
    )
    cli = time.perf_counter() - began
    assert done.returncode == 1, done.stderr
    ROWS.append(("closed port: `dynaform status` process", f"{cli:.2f}s", "-"))

    _probe_vs_boto3("closed port: probe vs boto3 defaults", refused)
    # An endpoint that accepts connections and never answers (a hung proxy, a stopped VM).
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)
    _probe_vs_boto3(
        "silent endpoint: probe vs boto3 defaults", f"http://127.0.0.1:{silent.getsockname()[1]}"
    )
    silent.close()


def bench_overview(endpoint_url: str, count: int = 50) -> None:
    settings = Settings(
        endpoint_url=endpoint_url, region="us-east-1", profile=None, use_local_engine=False
    )
    client = dynamodb_client(settings)
    for index in range(count):
        client.create_table(
            TableName=f"bench-{index:03d}",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
    ours = timed(lambda: describe_tables(client, list_table_names(client, "b"), "b"))
    plain = _boto3_default(endpoint_url)

    def boto3_loop() -> None:
        for page in plain.get_paginator("list_tables").paginate():
            for name in page["TableNames"]:
                plain.describe_table(TableName=name)

    loop = timed(boto3_loop)
    ROWS.append((f"overview of {count} tables (vs boto3 loop)", f"{ours:.2f}s", f"{loop:.2f}s"))


def bench_plan(endpoint_url: str, count: int = 50) -> None:
    """Plan time for a 50-table project that is already applied (the common case: no changes)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dynaform.yaml"
        tables = "".join(
            f"  t{i:02d}:\n    partition_key: PK\n    sort_key: SK\n    ttl: ttl\n"
            f"    indexes:\n      byA: {{partition_key: a}}\n      byB: {{partition_key: b}}\n"
            for i in range(count)
        )
        path.write_text(
            f"project: bench\nenvironments:\n  dev: {{target: local}}\ntables:\n{tables}"
        )
        project = api.load_project(path)
        bound = api.bind(project, "dev", Flags(endpoint_url=endpoint_url), {})
        api.apply(bound, api.plan(bound))
        began = time.perf_counter()
        result = api.plan(bound)
        in_process = time.perf_counter() - began
        assert not result.has_changes
        began = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "dynaform",
                "-f",
                str(path),
                "--endpoint-url",
                endpoint_url,
                "plan",
                "--detailed-exitcode",
            ],
            capture_output=True,
            text=True,
        )
        cli = time.perf_counter() - began
        assert done.returncode == 0, done.stderr
    ROWS.append((f"plan, {count} tables (API / CLI process)", f"{in_process:.2f}s", f"{cli:.2f}s"))


def main() -> None:
    bench_start()
    bench_dead_endpoint()
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "state"
        started = engine.start(state, port=engine.free_port(), in_memory=True)
        try:
            bench_overview(started.record.endpoint_url)
            bench_plan(started.record.endpoint_url)
        finally:
            engine.stop(state)
    width = max(len(row[0]) for row in ROWS)
    print(f"{'measure':<{width}}  {'dynaform':<18}  other")
    for what, ours, other in ROWS:
        print(f"{what:<{width}}  {ours:<18}  {other}")
    print(json.dumps([dict(zip(("what", "dynaform", "other"), row, strict=True)) for row in ROWS]))


if __name__ == "__main__":
    main()
