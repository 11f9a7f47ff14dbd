"""The bulk client behind an HTTP proxy: with HTTP_PROXY set (and the endpoint not in NO_PROXY)
every request goes through the proxy, as botocore's own client would send it; without it the
lean pool talks to the endpoint directly. The proxy is a small forwarding server started here,
in front of the test session's DynamoDB Local."""

from __future__ import annotations

import http.client
import http.server
import threading
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.exceptions import ClientError

from dynaform.data.wire import WireClient
from tests.conftest import create_simple_table, local_settings


class Forwarder(http.server.BaseHTTPRequestHandler):
    """A plain HTTP proxy: takes ``POST http://host:port/ HTTP/1.1`` and forwards it."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        target = urlsplit(self.path)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.seen.append(self.path)  # type: ignore[attr-defined]
        upstream = http.client.HTTPConnection(target.hostname or "", target.port, timeout=10)
        headers = {k: v for k, v in self.headers.items() if k.lower() != "proxy-connection"}
        upstream.request("POST", target.path or "/", body=body, headers=headers)
        answer = upstream.getresponse()
        content = answer.read()
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() == "x-amz-crc32" and self.server.corrupt:  # type: ignore[attr-defined]
                self.send_header("X-Amz-Crc32", "12345")  # another case, and a wrong checksum
            elif name.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)
        upstream.close()


@pytest.fixture
def proxy() -> Iterator[http.server.ThreadingHTTPServer]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Forwarder)
    server.seen = []  # type: ignore[attr-defined]
    server.corrupt = False  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _put_and_count(endpoint: str, table: str) -> int:
    wire = WireClient(local_settings(endpoint), endpoint)
    items = [{"PutRequest": {"Item": {"pk": {"S": f"k{i}"}}}} for i in range(5)]
    answer = wire.call("BatchWriteItem", {"RequestItems": {table: items}})
    assert answer.get("UnprocessedItems", {}) == {}
    count: dict[str, Any] = wire.call("Scan", {"TableName": table, "Select": "COUNT"})
    wire.close()
    return int(count["Count"])


def test_requests_go_through_a_configured_proxy(
    ddb: Any,
    ddb_endpoint: str,
    table_name: Callable[[str], str],
    proxy: http.server.ThreadingHTTPServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    table = table_name("proxied")
    create_simple_table(ddb, table)
    url, seen = f"http://127.0.0.1:{proxy.server_address[1]}", proxy.seen  # type: ignore[attr-defined]
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", url)
    assert _put_and_count(ddb_endpoint, table) == 5
    assert len(seen) == 2 and all(path.startswith(ddb_endpoint) for path in seen), seen

    proxy.corrupt = True  # type: ignore[attr-defined]  # the answers' checksums are still checked
    wire = WireClient(local_settings(ddb_endpoint), ddb_endpoint, max_attempts=1)
    with pytest.raises(ClientError, match="CRC32CheckFailed"):
        wire.call("DescribeTable", {"TableName": table})
    proxy.corrupt = False  # type: ignore[attr-defined]
    del seen[:]

    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")  # excluded: straight to the engine
    assert _put_and_count(ddb_endpoint, table) == 5
    assert seen == [], seen


def test_without_a_proxy_the_lean_pool_is_used(
    ddb_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    wire = WireClient(local_settings(ddb_endpoint), ddb_endpoint)
    assert wire._session is None
    wire.call("ListTables", {"Limit": 1})
    assert wire._pool._idle, "the answered connection is kept for the next request"
    wire.close()
