"""A fault-injecting proxy between a client and DynamoDB Local.

Modes: ``pass``; ``chaos`` (BatchWriteItem randomly throttled, or only partly written with the
rest returned as UnprocessedItems); ``throttle`` (every BatchWriteItem refused as throttled);
``error:<status>:<code>`` (every request answered with that error, nothing forwarded);
``reset`` (every connection dropped without an answer, as a killed engine does); ``hang``
(requests read, never answered: the client times out). With
``record`` set, the bodies of the requests forwarded are kept in ``bodies``.
"""

from __future__ import annotations

import http.client
import http.server
import json
import random
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit


class Proxy(http.server.ThreadingHTTPServer):
    daemon_threads = True
    mode = "pass"
    requests = 0
    injected = 0
    upstream: tuple[str, int] = ("127.0.0.1", 8000)
    rng = random.Random(7)
    lock = threading.Lock()
    record = False
    bodies: list[bytes]


def _error(status: int, code: str, message: str = "injected") -> tuple[int, bytes]:
    body = json.dumps(
        {"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message}
    ).encode()
    return status, body


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Proxy

    def log_message(self, *args: object) -> None:
        pass

    def _forward(self, body: bytes) -> tuple[int, bytes]:
        if self.server.record:
            with self.server.lock:
                self.server.bodies.append(body)
        connection = http.client.HTTPConnection(*self.server.upstream, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() != "content-length"}
        connection.request("POST", "/", body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        connection.close()
        return response.status, data

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        target = self.headers.get("X-Amz-Target", "")
        server = self.server
        with server.lock:
            server.requests += 1
            roll = server.rng.random()
        mode = server.mode
        status, data = 0, b""
        if mode == "hang":
            time.sleep(30)
        if mode in {"reset", "hang"}:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)  # no answer at all
            return
        if mode.startswith("error:"):
            _, code_status, code = mode.split(":", 2)
            status, data = _error(int(code_status), code)
        elif (target.endswith("BatchWriteItem") and mode == "throttle") or (
            target.endswith("BatchWriteItem") and mode == "chaos" and roll < 0.25
        ):
            status, data = _error(400, "ProvisionedThroughputExceededException")
        elif target.endswith("BatchWriteItem") and mode == "chaos" and roll < 0.6:
            request = json.loads(body)
            [(table, writes)] = request["RequestItems"].items()
            keep = [w for w in writes if server.rng.random() < 0.5]
            left = [w for w in writes if w not in keep]
            if keep:
                status, data = self._forward(json.dumps({"RequestItems": {table: keep}}).encode())
                answer = json.loads(data)
                answer.setdefault("UnprocessedItems", {}).setdefault(table, []).extend(left)
                data = json.dumps(answer).encode()
            else:
                status, data = 200, json.dumps({"UnprocessedItems": {table: left}}).encode()
        else:
            status, data = self._forward(body)
        if status and mode != "pass" and (status != 200 or b"Unprocessed" in data):
            with server.lock:
                server.injected += 1
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@contextmanager
def fault_proxy(upstream_url: str, mode: str = "pass") -> Iterator[tuple[str, Proxy]]:
    parts = urlsplit(upstream_url)
    server = Proxy(("127.0.0.1", 0), Handler)
    server.bodies = []
    server.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
    server.mode = mode
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server
    finally:
        server.shutdown()
        server.server_close()
