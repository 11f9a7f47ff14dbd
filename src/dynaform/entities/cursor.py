"""Pagination cursors safe to hand to HTTP clients (pure): base64url JSON, HMAC-SHA256 signed
with the store's key and bound to the query that produced them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from dynaform.entities.errors import InvalidCursor


def fingerprint(query: Any) -> str:
    return hashlib.sha256(json.dumps(query, sort_keys=True, default=str).encode()).hexdigest()[:16]


def encode(last_key: dict[str, Any], query: Any, secret: bytes) -> str:
    body = json.dumps(
        {"k": last_key, "q": fingerprint(query)}, sort_keys=True, separators=(",", ":")
    ).encode()
    mac = hmac.new(secret, body, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac + body).decode().rstrip("=")


def decode(cursor: str, query: Any, secret: bytes) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (ValueError, TypeError) as exc:
        raise InvalidCursor("the cursor is not one this service issued") from exc
    mac, body = raw[:32], raw[32:]
    if len(mac) != 32 or not hmac.compare_digest(
        mac, hmac.new(secret, body, hashlib.sha256).digest()
    ):
        raise InvalidCursor("the cursor was altered or issued elsewhere")
    data = json.loads(body)
    if data.get("q") != fingerprint(query):
        raise InvalidCursor("the cursor belongs to another query")
    key = data.get("k")
    if not isinstance(key, dict):
        raise InvalidCursor("the cursor holds no position")
    return key
