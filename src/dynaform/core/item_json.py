"""Items as text, exactly: plain JSON whose numbers keep every digit (``json`` would turn a
Decimal into a float), JSON read back into int/Decimal, and short display text for a table cell.

Plain JSON has no sets and no binary: sets become sorted lists and binary base64 text. The
DynamoDB JSON form (``{"S": ...}``) keeps every type, and is what ``--ddb-json`` prints.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Set
from decimal import Decimal
from typing import Any

from dynaform.errors import UsageError

_ESCAPE = json.encoder.encode_basestring_ascii


def _set_items(value: Set[Any]) -> list[Any]:
    try:
        return sorted(value)
    except TypeError:
        return sorted(value, key=repr)


def _scalar(value: Any) -> str | None:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, str):
        return str(_ESCAPE(value))
    if isinstance(value, bytes | bytearray):
        return str(_ESCAPE(base64.b64encode(bytes(value)).decode("ascii")))
    if isinstance(value, float):
        return repr(value)
    return None


def dumps(value: Any, indent: int | None = None, _depth: int = 0) -> str:
    """JSON text with numbers exactly as stored; sets as sorted lists, binary as base64."""
    scalar = _scalar(value)
    if scalar is not None:
        return scalar
    if isinstance(value, Mapping):
        parts = [f"{_ESCAPE(str(k))}: {dumps(v, indent, _depth + 1)}" for k, v in value.items()]
        return _join("{", parts, "}", indent, _depth)
    if isinstance(value, Set):
        value = _set_items(value)
    if isinstance(value, list | tuple):
        return _join("[", [dumps(v, indent, _depth + 1) for v in value], "]", indent, _depth)
    raise TypeError(f"cannot write a {type(value).__name__} as JSON")


def _join(open_: str, parts: list[str], close: str, indent: int | None, depth: int) -> str:
    if not parts:
        return open_ + close
    if indent is None:
        return open_ + ", ".join(parts) + close
    inner = "\n" + " " * (indent * (depth + 1))
    return open_ + inner + ("," + inner).join(parts) + "\n" + " " * (indent * depth) + close


def _no_constant(name: str) -> Any:
    raise UsageError(f"{name} is not a number DynamoDB can store")


def loads(text: str) -> Any:
    """JSON with exact numbers: integers as int, anything with a point or exponent as Decimal."""
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        raise UsageError(f"not valid JSON: {exc.msg} at {where}") from None


def display(value: Any, width: int = 40) -> str:
    """A table cell: strings bare, sets in braces, binary as base64, maps and lists as compact
    JSON; cut to ``width`` characters with an ellipsis. A number is never cut: a shortened
    number would read as another number."""
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        text = value
    elif isinstance(value, bytes | bytearray):
        text = "b64:" + base64.b64encode(bytes(value)).decode("ascii")
    elif isinstance(value, Set):
        text = "{" + ", ".join(display(v, width) for v in _set_items(value)) + "}"
    else:
        text = dumps(value)
    text = text.replace("\n", " ")
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"


def columns(items: list[dict[str, Any]], first: tuple[str, ...] = ()) -> list[str]:
    """The union of the items' attributes: ``first`` (the keys), then in order of appearance."""
    seen: dict[str, None] = dict.fromkeys(first)
    for item in items:
        for name in item:
            seen.setdefault(name, None)
    return list(seen)
