"""The bulk client's HTTP pool against a real local HTTP server: bodies by length, chunked
and until-close, idle connections the server closed, and failures kept apart."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator

import pytest

from dynaform.data import http as lean


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.seen.append((self.path, self.headers["Host"], body))  # type: ignore[attr-defined]
        answer = b'{"echo":' + body + b"}"
        if self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (answer[:3], answer[3:]):
                self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        elif self.path == "/close":
            self.send_response(503)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(answer)
            self.close_connection = True
        else:
            self.send_response(200)
            self.send_header("Content-Length", str(len(answer)))
            self.send_header("X-Amz-Crc32", "1")
            self.end_headers()
            self.wfile.write(answer)


@pytest.fixture
def server() -> Iterator[http.server.ThreadingHTTPServer]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.seen = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def pool(port: int, read_timeout: float = 5.0) -> lean.Connections:
    return lean.Connections(
        f"http://127.0.0.1:{port}", connect_timeout=2.0, read_timeout=read_timeout, maxsize=4
    )


def test_bodies_by_length_chunked_and_until_close(
    server: http.server.ThreadingHTTPServer,
) -> None:
    connections = pool(server.server_address[1])
    status, headers, body = connections.post("/", {"X-Amz-Target": "t"}, b"1")
    assert (status, body, headers["x-amz-crc32"]) == (200, b'{"echo":1}', "1")
    assert connections.post("/chunked", {}, b"[2]")[::2] == (200, b'{"echo":[2]}')
    assert connections.post("/close", {}, b"3")[::2] == (503, b'{"echo":3}')
    port = server.server_address[1]
    assert [s[:2] for s in server.seen] == [  # type: ignore[attr-defined]
        ("/", f"127.0.0.1:{port}"),
        ("/chunked", f"127.0.0.1:{port}"),
        ("/close", f"127.0.0.1:{port}"),
    ]


def test_a_kept_connection_is_reused_and_one_closed_meanwhile_is_not(
    server: http.server.ThreadingHTTPServer,
) -> None:
    connections = pool(server.server_address[1])
    connections.post("/", {}, b"1")
    [idle] = connections._idle
    assert connections.post("/", {}, b"2")[2] == b'{"echo":2}'
    assert connections._idle == [idle]  # the same connection, reused
    idle.sock.shutdown(socket.SHUT_RDWR)  # as a server closing an idle connection looks
    assert idle.stale()
    assert connections.post("/", {}, b"3")[2] == b'{"echo":3}'
    assert connections._idle and connections._idle[0] is not idle


def test_failures_stay_apart() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
    with pytest.raises(lean.ConnectFailedError):  # nothing listens there
        pool(port).post("/", {}, b"{}")
    with socket.socket() as silent:  # accepts, reads, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        with pytest.raises(lean.ReadTimedOutError):
            pool(silent.getsockname()[1], read_timeout=0.3).post("/", {}, b"{}")
    with socket.socket() as rude:  # answers something that is not HTTP
        rude.bind(("127.0.0.1", 0))
        rude.listen()

        def answer() -> None:
            conn, _ = rude.accept()
            conn.recv(65536)
            conn.sendall(b"SSH-2.0-nope\r\n")
            conn.close()

        threading.Thread(target=answer, daemon=True).start()
        with pytest.raises(lean.DroppedError):
            pool(rude.getsockname()[1]).post("/", {}, b"{}")
