"""Keep-alive HTTP/1.1 POSTs to one endpoint, for the bulk path's lean client.

The bulk path sends thousands of small JSON requests; urllib3 and http.client parse every
response's headers through the email package and cost about three times the CPU of the
exchange itself. This sends a request in one write and reads the answer with a buffered reader
(Content-Length or chunked bodies). Each failure stays distinct: ``ConnectFailedError``
(refused, DNS), ``ConnectTimedOutError``, ``ReadTimedOutError`` and ``DroppedError`` (reset,
closed, or an answer that is not HTTP), so the caller maps each to botocore's error as before.
An idle connection the server has closed is noticed before reuse; one that failed is dropped.
"""

from __future__ import annotations

import select
import socket
import ssl
import threading
from typing import IO
from urllib.parse import urlsplit

MAX_LINE = 65536


class ConnectFailedError(OSError):
    pass


class ConnectTimedOutError(OSError):
    pass


class ReadTimedOutError(OSError):
    pass


class DroppedError(OSError):
    pass


class _Connection:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.reader: IO[bytes] = sock.makefile("rb")

    def close(self) -> None:
        self.reader.close()
        self.sock.close()

    def stale(self) -> bool:
        """An idle connection is readable only if the server closed it (or sent junk)."""
        readable, _, _ = select.select([self.sock], [], [], 0)
        return bool(readable)

    def _line(self) -> bytes:
        line = self.reader.readline(MAX_LINE)
        if not line.endswith(b"\n"):
            raise DroppedError("the connection closed in the middle of an answer")
        return line

    def exchange(self, request: bytes) -> tuple[int, dict[str, str], bytes, bool]:
        """Send one request; (status, headers, body, whether the connection can be reused)."""
        self.sock.sendall(request)
        parts = self._line().split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
            raise DroppedError(f"not an HTTP answer: {parts[:2]!r}")
        status = int(parts[1])
        headers: dict[str, str] = {}
        while True:
            line = self._line()
            if line in (b"\r\n", b"\n"):
                break
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        keep = headers.get("connection", "").lower() != "close" and parts[0] != b"HTTP/1.0"
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = self._chunked()
        elif "content-length" in headers:
            length = int(headers["content-length"])
            body = self.reader.read(length)
            if len(body) != length:
                raise DroppedError("the connection closed in the middle of an answer")
        else:
            body, keep = self.reader.read(), False
        return status, headers, body, keep

    def _chunked(self) -> bytes:
        chunks: list[bytes] = []
        while True:
            size = int(self._line().split(b";")[0].strip(), 16)
            if size == 0:
                while self._line() not in (b"\r\n", b"\n"):  # trailers
                    pass
                return b"".join(chunks)
            chunk = self.reader.read(size + 2)
            if len(chunk) != size + 2:
                raise DroppedError("the connection closed in the middle of an answer")
            chunks.append(chunk[:size])


class Connections:
    """A pool of keep-alive connections to one endpoint (``http://`` or ``https://``)."""

    def __init__(
        self,
        url: str,
        *,
        connect_timeout: float,
        read_timeout: float,
        maxsize: int,
        cafile: str | None = None,
    ) -> None:
        parts = urlsplit(url)
        self.tls = parts.scheme == "https"
        self.hostname = parts.hostname or "localhost"
        self.port = parts.port or (443 if self.tls else 80)
        default = parts.port is None or parts.port == (443 if self.tls else 80)
        self.host = self.hostname if default else f"{self.hostname}:{self.port}"
        self.connect_timeout, self.read_timeout, self.maxsize = (
            connect_timeout,
            read_timeout,
            maxsize,
        )
        self._context = ssl.create_default_context(cafile=cafile) if self.tls else None
        self._idle: list[_Connection] = []
        self._lock = threading.Lock()

    def _connect(self) -> _Connection:
        try:
            sock = socket.create_connection((self.hostname, self.port), self.connect_timeout)
        except TimeoutError as exc:
            raise ConnectTimedOutError(str(exc)) from exc
        except OSError as exc:
            raise ConnectFailedError(str(exc)) from exc
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._context is not None:
                sock = self._context.wrap_socket(sock, server_hostname=self.hostname)
            sock.settimeout(self.read_timeout)
        except BaseException:
            sock.close()
            raise
        return _Connection(sock)

    def _take(self) -> _Connection:
        while True:
            with self._lock:
                connection = self._idle.pop() if self._idle else None
            if connection is None:
                return self._connect()
            if not connection.stale():
                return connection
            connection.close()

    def post(
        self, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        head = [f"POST {path} HTTP/1.1", f"Host: {self.host}", f"Content-Length: {len(body)}"]
        head += [f"{name}: {value}" for name, value in headers.items() if name.lower() != "host"]
        request = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
        connection = self._take()
        try:
            status, answer, data, keep = connection.exchange(request)
        except TimeoutError as exc:
            connection.close()
            raise ReadTimedOutError(str(exc)) from exc
        except (DroppedError, ValueError) as exc:
            connection.close()
            raise DroppedError(str(exc)) from exc
        except BaseException:
            connection.close()
            raise
        if keep:
            with self._lock:
                if len(self._idle) < self.maxsize:
                    self._idle.append(connection)
                    return status, answer, data
        connection.close()
        return status, answer, data

    def clear(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()
