"""Pagination cursors safe to hand to HTTP clients: base64url JSON, HMAC-SHA256 signed with
the store's key and bound to the query that produced them; and where that key comes from.

There is no default key: a constant in the source would let anyone forge cursors. The key is
given (``Store(cursor_key=...)``) or read from ``DYNAFORM_CURSOR_KEY``; only against a loopback
endpoint (DynamoDB Local) does a missing key become a random one for this process, with a
``UserWarning`` (cursors then stop working when the process restarts).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import warnings
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from dynaform.entities.errors import EntityError, InvalidCursor

KEY_ENV = "DYNAFORM_CURSOR_KEY"
MIN_KEY_BYTES = 32
KEY_HINT = (
    f"pass Store(cursor_key=...) or set {KEY_ENV} to at least {MIN_KEY_BYTES} random bytes, "
    "e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))'"
)
_MAC_BYTES = 32
_KEY_TYPES = frozenset({"S", "N", "B"})

_process_key: bytes | None = None
_process_key_lock = threading.Lock()


def signing_key(
    given: bytes | str | None, environ: Mapping[str, str], *, loopback: bool, endpoint: str
) -> bytes:
    """The key cursors are signed with: ``given``, else the environment's, else (loopback
    only) this process's random key; refused when shorter than 32 bytes."""
    if given is not None:
        return _long_enough(given, "cursor_key")
    if KEY_ENV in environ:
        return _long_enough(environ[KEY_ENV], KEY_ENV)
    if not loopback:
        raise EntityError(
            f"no cursor key to sign pagination cursors for {endpoint or 'this endpoint'} "
            f"(cursor_key argument or {KEY_ENV})",
            hint=KEY_HINT,
        )
    warnings.warn(
        f"no cursor key given ({KEY_ENV} unset): using a random cursor key for this process, "
        "so cursors stop working when it restarts; allowed only for a loopback endpoint",
        UserWarning,
        stacklevel=4,
    )
    return _random_process_key()


def _long_enough(key: bytes | str, origin: str) -> bytes:
    raw = key.encode() if isinstance(key, str) else bytes(key)
    if len(raw) < MIN_KEY_BYTES:
        raise EntityError(
            f"the cursor key from {origin} has {len(raw)} bytes; it needs at least "
            f"{MIN_KEY_BYTES} bytes",
            hint=KEY_HINT,
        )
    return raw


def _random_process_key() -> bytes:
    global _process_key
    with _process_key_lock:
        if _process_key is None:
            _process_key = secrets.token_bytes(MIN_KEY_BYTES)
        return _process_key


# --- cursors ------------------------------------------------------------------------------


def fingerprint(query: Any) -> str:
    return hashlib.sha256(json.dumps(query, sort_keys=True, default=str).encode()).hexdigest()[:16]


def encode(last_key: Mapping[str, Any], query: Any, secret: bytes) -> str:
    """A cursor for ``last_key`` (a LastEvaluatedKey in botocore form)."""
    body = json.dumps(
        {"k": {name: _to_json(av) for name, av in last_key.items()}, "q": fingerprint(query)},
        sort_keys=True,
        separators=(",", ":"),
    ).encode()
    mac = hmac.new(secret, body, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac + body).decode().rstrip("=")


def decode(cursor: str, query: Any, secret: bytes) -> dict[str, Any]:
    """The ExclusiveStartKey (botocore form) a cursor holds; InvalidCursor for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (ValueError, TypeError) as exc:
        raise InvalidCursor("the cursor is not one this service issued") from exc
    mac, body = raw[:_MAC_BYTES], raw[_MAC_BYTES:]
    if len(mac) != _MAC_BYTES or not hmac.compare_digest(
        mac, hmac.new(secret, body, hashlib.sha256).digest()
    ):
        raise InvalidCursor("the cursor was altered or issued elsewhere")
    try:
        data = json.loads(body)
    except ValueError as exc:  # not JSON, or not UTF-8
        raise InvalidCursor("the cursor holds no position") from exc
    if not isinstance(data, dict):
        raise InvalidCursor("the cursor holds no position")
    if data.get("q") != fingerprint(query):
        raise InvalidCursor("the cursor belongs to another query")
    return _key_from_json(data.get("k"))


def _to_json(av: Mapping[str, Any]) -> dict[str, Any]:
    if "B" in av:
        return {"B": base64.b64encode(av["B"]).decode()}
    return dict(av)


def _key_from_json(key: Any) -> dict[str, Any]:
    """A key of S, N or B attribute values, each exactly one typed string."""
    if not isinstance(key, dict) or not key:
        raise InvalidCursor("the cursor holds no position")
    out: dict[str, Any] = {}
    for name, av in key.items():
        if not (isinstance(av, dict) and len(av) == 1):
            raise InvalidCursor("the cursor holds no position")
        [(kind, value)] = av.items()
        if kind not in _KEY_TYPES or not isinstance(value, str):
            raise InvalidCursor("the cursor holds no position")
        out[name] = {kind: _key_value(kind, value)}
    return out


def _key_value(kind: str, text: str) -> str | bytes:
    try:
        if kind == "B":
            return base64.b64decode(text, validate=True)
        if kind == "N" and not Decimal(text).is_finite():
            raise InvalidCursor("the cursor holds no position")
    except (ValueError, InvalidOperation) as exc:  # binascii.Error is a ValueError
        raise InvalidCursor("the cursor holds no position") from exc
    return text
