"""What keeps the local browser UI private: a random token (in the printed URL, then a
cookie), Host and Origin checks against DNS rebinding and cross-site requests, and signed
pagination cursors.

The server listens on 127.0.0.1 only; still, any web page the user opens could send requests
there (or rebind a name of its own to 127.0.0.1), so every request must carry the token and
name this server as its Host, and a write must come from this server's own pages (Origin).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

COOKIE = "dynaform_ui"
SAFE_METHODS = {"GET", "HEAD"}

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Asgi = Callable[[Scope, Receive, Send], Awaitable[None]]


def new_token() -> str:
    return secrets.token_urlsafe(24)


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


class Guard:
    """ASGI middleware: Host, Origin and token checks before anything else runs."""

    def __init__(self, app: Asgi, token: str, port: int) -> None:
        self.app = app
        self.token = token
        self.port = port
        self.hosts = {f"127.0.0.1:{port}", f"localhost:{port}"}
        self.origins = {f"http://{host}" for host in self.hosts}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        refusal = self.refusal(scope, headers)
        if refusal:
            await _plain(send, 403, refusal)
            return
        given = parse_qs(scope.get("query_string", b"").decode()).get("token", [None])[0]
        if given is not None and hmac.compare_digest(given, self.token):
            await _redirect_with_cookie(scope, send, self.token)  # drop the token from the URL
            return
        cookie = _cookie(headers.get("cookie", ""), COOKIE)
        if cookie is None or not hmac.compare_digest(cookie, self.token):
            await _plain(
                send, 401, "open the URL that `dynaform ui` printed (it carries the token)"
            )
            return
        await self.app(scope, receive, send)

    def refusal(self, scope: Scope, headers: dict[str, str]) -> str | None:
        if headers.get("host", "") not in self.hosts:
            return "wrong Host: this server answers only as 127.0.0.1 or localhost"
        origin = headers.get("origin")
        if origin is not None and origin not in self.origins:
            return "cross-origin request refused"
        cross_site = headers.get("sec-fetch-site", "same-origin") != "same-origin"
        if scope["method"] not in SAFE_METHODS and origin is None and cross_site:
            return "a write must come from this server's own pages"
        return None


async def _plain(send: Send, status: int, text: str) -> None:
    body = text.encode() + b"\n"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain; charset=utf-8")],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _redirect_with_cookie(scope: Scope, send: Send, token: str) -> None:
    query = parse_qs(scope.get("query_string", b"").decode())
    query.pop("token", None)
    rest = "&".join(f"{k}={v}" for k, values in query.items() for v in values)
    location = scope["path"] + (f"?{rest}" if rest else "")
    cookie = f"{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/"
    await send(
        {
            "type": "http.response.start",
            "status": 303,
            "headers": [(b"location", location.encode()), (b"set-cookie", cookie.encode())],
        }
    )
    await send({"type": "http.response.body", "body": b""})


class Signer:
    """Cursors and hidden values the browser hands back: base64url JSON with an HMAC, bound
    to a context (table and query), so a page cannot be pointed at another query's keys."""

    def __init__(self, key: bytes | None = None) -> None:
        self.key = key or secrets.token_bytes(32)

    def _mac(self, body: bytes, context: str) -> str:
        digest = hmac.new(self.key, context.encode() + b"\0" + body, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:18]).decode().rstrip("=")

    def sign(self, value: Any, context: str) -> str:
        body = base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode())
        return body.decode().rstrip("=") + "." + self._mac(body.rstrip(b"="), context)

    def open(self, token: str, context: str) -> Any:
        """The signed value; ValueError when it was changed or made for another context."""
        body, _, mac = token.partition(".")
        if not mac or not hmac.compare_digest(mac, self._mac(body.encode(), context)):
            raise ValueError("this cursor was not made for this page")
        return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
