"""Item checks, before anything is sent.

Two kinds, on purpose:

- ``check_item``: the item's shape against the table's keys (a key missing or of the wrong
  type, an attribute that is not an AttributeValue). The file is wrong: nothing is sent.
- ``item_problem``: a value DynamoDB would refuse (an item over 400 KB, an empty key value, a
  number past 38 significant digits or out of range, bad base64, an empty set …). Only that item
  goes to the reject file, with the reason; the rest is written. Some of these DynamoDB would
  not even refuse cleanly (bad base64 makes DynamoDB Local answer HTTP 500 for the whole batch).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from dynaform.data.errors import DataError

MAX_ITEM_BYTES = 400 * 1024
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", re.ASCII)
_PLAIN = re.compile(r"-?(\d+\.?\d*|\.\d+)", re.ASCII)
_WHITESPACE = str.maketrans("", "", " \t\r\n")
_MIN, _MAX = Decimal("1E-130"), Decimal("1E+126")


def check_item(item: dict[str, Any], keys: dict[str, str], where: str) -> None:
    """The structural checks DynamoDB would fail the whole batch for, with the line."""
    for name, kind in keys.items():
        value = item.get(name)
        if type(value) is not dict or kind not in value or len(value) != 1:
            got = "missing" if value is None else f"{next(iter(value), '?')}"
            raise DataError(
                f"{where}: key attribute {name!r} must be type {kind}, is {got}",
                hint="fix the line; nothing was sent to DynamoDB",
            )
    for name, value in item.items():
        if type(value) is not dict or len(value) != 1:
            raise DataError(
                f"{where}: attribute {name!r} is not an AttributeValue",
                hint='write it like {"S": "text"} or use --format json',
            )


def number_problem(text: Any) -> str | None:
    """Why DynamoDB would refuse this N text, or None."""
    if type(text) is not str:
        return f"a number must be written as a string, not {type(text).__name__}"
    if len(text) <= 38 and _PLAIN.fullmatch(text):
        return None  # at most 38 digits, no exponent: always in range (the common case)
    if not _NUMBER.fullmatch(text):
        return f"{text[:40]!r} is not a number"
    try:
        value = Decimal(text)
    except InvalidOperation:
        return f"{text[:40]!r} is not a number"
    significant = value.as_tuple().digits
    length = len(significant)
    while length > 1 and significant[length - 1] == 0:
        length -= 1
    if value and length > 38:
        return f"{text[:40]} has more than 38 significant digits"
    if value and not _MIN <= value.copy_abs() < _MAX:
        return f"{text[:40]} is out of DynamoDB's number range (1E-130 to 1E+126)"
    return None


def _base64_problem(text: Any) -> str | None:
    if type(text) is not str:
        return f"binary must be base64 text, not {type(text).__name__}"
    try:
        base64.b64decode(text, validate=True)
    except binascii.Error:
        try:  # MIME-style line breaks are accepted, as DynamoDB's own decoder does
            base64.b64decode(text.translate(_WHITESPACE), validate=True)
        except binascii.Error:
            return f"{text[:40]!r} is not valid base64"
    return None


def _set_problem(tag: str, values: Any) -> str | None:
    if type(values) is not list:
        return f"{tag} must be a list"
    if not values:
        return f"an empty {tag} set (DynamoDB stores no empty sets; leave the attribute out)"
    for value in values:
        if tag == "SS":
            problem = None if type(value) is str else "a string set holds only strings"
        elif tag == "NS":
            problem = number_problem(value)
        else:
            problem = _base64_problem(value)
        if problem:
            return problem
    return None


def value_problem(av: Any) -> str | None:
    """Why DynamoDB would refuse this AttributeValue (nested ones too), or None."""
    if type(av) is not dict or len(av) != 1:
        return "not an AttributeValue (a map with exactly one type)"
    [(tag, inner)] = av.items()
    if tag == "S":
        return None if type(inner) is str else "S must be a string"
    if tag == "N":
        return number_problem(inner)
    if tag == "M":
        if type(inner) is not dict:
            return "M must be a map"
        return _attributes_problem(inner)
    if tag == "L":
        if type(inner) is not list:
            return "L must be a list"
        for index, value in enumerate(inner):
            problem = value_problem(value)
            if problem:
                return f"[{index}]: {problem}"
        return None
    if tag == "B":
        return _base64_problem(inner)
    if tag == "BOOL":
        return None if type(inner) is bool else "BOOL must be true or false"
    if tag == "NULL":
        return None if inner is True else "NULL must be true"
    if tag in {"SS", "NS", "BS"}:
        return _set_problem(tag, inner)
    return f"unknown AttributeValue type {tag!r}"


def _fine(av: Any) -> bool:
    """The common AttributeValues that are certainly valid, cheaply (no call per level for
    strings, small numbers and flags); anything else is looked at by ``value_problem``."""
    if type(av) is not dict or len(av) != 1:
        return False
    if "S" in av:
        return type(av["S"]) is str
    if "N" in av:
        text = av["N"]
        return type(text) is str and len(text) <= 38 and _plain_number(text)
    if "M" in av:
        inner = av["M"]
        return type(inner) is dict and all(map(_fine, inner.values())) and "" not in inner
    if "L" in av:
        inner = av["L"]
        return type(inner) is list and all(map(_fine, inner))
    if "BOOL" in av:
        return type(av["BOOL"]) is bool
    return False


_plain = _PLAIN.fullmatch


def _plain_number(text: str) -> bool:
    """Digits with an optional sign and point, no exponent (ASCII digits only)."""
    return (text.isdigit() and text.isascii()) or _plain(text) is not None


def _attributes_problem(attributes: Mapping[str, Any]) -> str | None:
    for name, av in attributes.items():
        # Strings and numbers inline: a call per value is much of the cost.
        if type(av) is dict and len(av) == 1:
            if "S" in av:
                if type(av["S"]) is str:
                    continue
            elif "N" in av:
                text = av["N"]
                if type(text) is str and len(text) <= 38 and _plain_number(text):
                    continue
            elif _fine(av):
                continue
        problem = value_problem(av)
        if problem:
            return f"{name}: {problem}"
    return None


def item_problem(item: Mapping[str, Any], keys: tuple[str, ...], encoded_size: int) -> str | None:
    """Why DynamoDB would refuse this wire item, or None. ``encoded_size`` is the length of
    its JSON text: never less than DynamoDB's own size, so the exact size is only computed
    for items that might be too large."""
    if "" in item:
        return "an attribute with an empty name"
    problem = _attributes_problem(item)
    if problem:
        return problem
    for name in keys:
        av = item.get(name)
        if type(av) is dict and ("S" in av or "B" in av) and not next(iter(av.values())):
            return f"key attribute {name!r} is empty (DynamoDB refuses empty key values)"
    if encoded_size > MAX_ITEM_BYTES:
        size = item_size(item)
        if size > MAX_ITEM_BYTES:
            return f"the item is {size:,} bytes; DynamoDB's limit is {MAX_ITEM_BYTES:,} (400 KB)"
    return None


def _number_size(text: str) -> int:
    digits = text.lstrip("+-").split("e")[0].split("E")[0].replace(".", "").strip("0")
    return (len(digits) + 1) // 2 + 1


def value_size(av: Mapping[str, Any]) -> int:
    """DynamoDB's size of an AttributeValue (its documented sizing rules)."""
    [(tag, inner)] = av.items()
    if tag == "S":
        return len(inner.encode())
    if tag == "N":
        return _number_size(inner)
    if tag == "B":
        return len(base64.b64decode(inner.translate(_WHITESPACE)))
    if tag in {"BOOL", "NULL"}:
        return 1
    if tag == "SS":
        return sum(len(s.encode()) for s in inner)
    if tag == "NS":
        return sum(_number_size(n) for n in inner)
    if tag == "BS":
        return sum(len(base64.b64decode(b.translate(_WHITESPACE))) for b in inner)
    if tag == "L":
        return 3 + sum(1 + value_size(v) for v in inner)
    return 3 + sum(1 + len(k.encode()) + value_size(v) for k, v in inner.items())  # M


def item_size(item: Mapping[str, Any]) -> int:
    return sum(len(name.encode()) + value_size(av) for name, av in item.items())
