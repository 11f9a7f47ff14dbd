"""The calendar API's agenda endpoint on a calendar of 10,000 events, against DynamoDB Local.

    python bench/agenda_bench.py [--events 10000] [--requests 300] [--clients 4]

One process: DynamoDB Local (in memory) on a free port, the example's tables applied from
examples/calendar/dynaform.yaml, the API (examples/calendar/api.py) served by uvicorn in a
thread, httpx calling it over loopback HTTP. For each request it splits the time into:

- engine: DynamoDB Local's answer (botocore's HTTP send, wall);
- dynaform: inside the store (Store.find/query) minus the engine's part: key templates,
  expressions, decoding, entity validation, cursor signing;
- framework: the server's time for the request (an ASGI middleware) minus the store's:
  FastAPI routing, validation, JSON, our handler code;
- client + transport: the client's wall minus the server's: httpx, uvicorn's HTTP parsing,
  loopback.

Latency is measured one request at a time (p50/p99); requests/s with --clients concurrent
clients. Everything shares the machine's cores (the engine is a JVM next to us).
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from dynaform.entities import Store
from dynaform.local import engine

ROOT = Path(__file__).resolve().parents[1]
PROJECT = ROOT / "examples" / "calendar" / "dynaform.yaml"
OWNER = "bench-owner"
HEADERS = {"X-User-Id": OWNER}


class Clock:
    """Time accumulated during the one request in flight (latency runs one at a time)."""

    engine = 0.0
    store = 0.0
    server = 0.0
    depth = 0

    @classmethod
    def reset(cls) -> None:
        cls.engine = cls.store = cls.server = 0.0


def timed(function: Callable[..., Any], field: str) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        outer = field == "engine" or Clock.depth == 0  # store calls may nest (get -> find)
        Clock.depth += field == "store"
        began = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            Clock.depth -= field == "store"
            if outer:
                setattr(Clock, field, getattr(Clock, field) + time.perf_counter() - began)

    return wrapper


def instrument(store: Store) -> None:
    session = store.client._endpoint.http_session
    session.send = timed(session.send, "engine")
    for name in ("find", "query", "get"):
        setattr(store, name, timed(getattr(store, name), "store"))


def timing_middleware(app: Any) -> Any:
    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        began = time.perf_counter()
        await app(scope, receive, send)
        Clock.server += time.perf_counter() - began

    return wrapped


def load_api() -> Any:
    spec = importlib.util.spec_from_file_location("bench_calendar_api", PROJECT.with_name("api.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def fill(store: Store, api: Any, count: int) -> None:
    rng = random.Random(4)
    year = datetime(2024, 1, 1, tzinfo=UTC)
    events = [
        api.Event(
            user_id=OWNER,
            event_id=f"e{n:05d}",
            title=f"event {n}",
            start=year + timedelta(minutes=15 * rng.randrange(366 * 24 * 4)),
            end=None,
        )
        for n in range(count)
    ]
    store.batch_write(puts=events)


def serve(app: Any) -> tuple[Any, str]:
    import uvicorn

    port = engine.free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.02)
    return server, f"http://127.0.0.1:{port}"


def week_params(rng: random.Random, limit: int) -> dict[str, str]:
    day = datetime(2024, 1, 1) + timedelta(days=rng.randrange(7, 358))
    return {"week": day.date().isoformat(), "limit": str(limit)}


def latency(base: str, requests: int, limit: int) -> dict[str, float]:
    rng = random.Random(limit)
    client_times, splits, sizes = [], [], []
    with httpx.Client(base_url=base, timeout=60) as client:
        for _ in range(requests):
            params = week_params(rng, limit)
            Clock.reset()
            began = time.perf_counter()
            answer = client.get(f"/users/{OWNER}/agenda", params=params, headers=HEADERS)
            client_times.append(time.perf_counter() - began)
            assert answer.status_code == 200, answer.text
            splits.append((Clock.server, Clock.store, Clock.engine))
            sizes.append(len(answer.json()["events"]))
    total = sum(client_times)
    server = sum(s[0] for s in splits)
    store = sum(s[1] for s in splits)
    engine_time = sum(s[2] for s in splits)
    ordered = sorted(client_times)
    return {
        "events/answer": statistics.mean(sizes),
        "requests/s (1 client)": len(client_times) / total,
        "p50 ms": 1000 * ordered[len(ordered) // 2],
        "p99 ms": 1000 * ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        "engine %": 100 * engine_time / total,
        "dynaform %": 100 * (store - engine_time) / total,
        "framework %": 100 * (server - store) / total,
        "client+transport %": 100 * (total - server) / total,
    }


def throughput(base: str, clients: int, requests: int, limit: int) -> float:
    def one_client(seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client(base_url=base, timeout=60) as client:
            for _ in range(requests // clients):
                params = week_params(rng, limit)
                answer = client.get(f"/users/{OWNER}/agenda", params=params, headers=HEADERS)
                assert answer.status_code == 200

    began = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one_client, range(clients)))
    return (requests // clients * clients) / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        state = Path(folder) / ".dynaform" / "local"
        url = engine.start(state, port=engine.free_port(), in_memory=True).record.endpoint_url
        try:
            run(url, args)
        finally:
            engine.stop(state)


def run(url: str, args: argparse.Namespace) -> None:
    applied = subprocess.run(
        [
            sys.executable,
            "-m",
            "dynaform",
            "-f",
            str(PROJECT),
            "--endpoint-url",
            url,
            "apply",
            "--yes",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert applied.returncode == 0, applied.stderr
    store = Store.from_project(PROJECT, "dev", endpoint_url=url, cursor_key=secrets.token_bytes(32))
    api = load_api()
    began = time.perf_counter()
    fill(store, api, args.events)
    print(f"wrote {args.events:,} events in {time.perf_counter() - began:.1f}s (batch_write)")
    instrument(store)
    server, base = serve(timing_middleware(api.create_app(store)))
    try:
        for limit in (50, 500):
            row = latency(base, args.requests, limit)
            rate = throughput(base, args.clients, args.requests, limit)
            cells = "  ".join(f"{k} {v:.1f}" for k, v in row.items())
            print(f"agenda limit={limit}: {cells}  requests/s ({args.clients} clients) {rate:.0f}")
    finally:
        server.should_exit = True


if __name__ == "__main__":
    main()
