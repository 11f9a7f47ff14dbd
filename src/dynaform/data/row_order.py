"""The order a resumed PostgreSQL import relies on, checked rather than trusted.

``--resume`` skips the rows an earlier run finished, by position, so the query must return
its rows in the same order each time. The checkpoint keeps, beside that position, a digest of
the keys of those rows in order: a chain ``h = sha256(h, key)`` over each row, folded only as
the watermark passes it (every row below it confirmed by DynamoDB, rejected or skipped). A
resumed run folds the rows it skips the same way and refuses to write anything when the two
differ. A chain, not one running hash object, so the checkpoint can hold it as text and the
resumed run continue it.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Sequence
from typing import Any

START = hashlib.sha256(b"dynaform: postgresql row order").hexdigest()

_QUOTED = re.compile(r"'(?:[^']|'')*'|--[^\n]*|/\*.*?\*/", re.S)
_ORDER_BY = re.compile(r"\border\s+by\b", re.I)


def has_order_by(query: str) -> bool:
    """Whether the query text says ORDER BY outside string literals and comments (an
    approximation: enough to warn about a query that has none at all)."""
    return bool(_ORDER_BY.search(_QUOTED.sub(" ", query)))


def row_key(values: dict[str, Any], names: Sequence[str]) -> bytes:
    """What identifies a row in the digest: its key attributes' values, in key order."""
    return repr([values.get(name) for name in names]).encode()


def fold(digest: str, key: bytes) -> str:
    return hashlib.sha256(digest.encode() + b"\0" + key).hexdigest()


class RowOrder:
    """The digest of rows ``0 .. position - 1``; the reader notes each row's key as it reads
    it (``seen``), the writer's threads ``advance`` as the watermark moves."""

    def __init__(self, position: int = 0, digest: str = START) -> None:
        self.position, self.digest = position, digest
        self.keys: dict[int, bytes] = {}
        self.lock = threading.Lock()

    def seen(self, position: int, key: bytes) -> None:
        self.keys[position] = key

    def advance(self, to: int) -> None:
        """Fold the rows up to ``to`` (call with ``lock`` held)."""
        while self.position < to:
            self.digest = fold(self.digest, self.keys.pop(self.position))
            self.position += 1
