"""Python values <-> DynamoDB AttributeValues, exactly.

``marshal`` gives the wire form used by DynamoDB JSON files and raw HTTP (binary as base64
text); ``marshal(value, binary=bytes)`` gives botocore's form (binary as bytes). ``unmarshal``
reads either. Numbers are exact: int and Decimal, never float unless asked for
(``allow_float=True`` converts through the float's shortest decimal repr, so 0.1 stays 0.1).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Set
from decimal import Context, Decimal, Inexact, InvalidOperation, Rounded
from typing import Any

AttributeValue = dict[str, Any]
Item = dict[str, AttributeValue]

# DynamoDB numbers: up to 38 significant digits, magnitude 1E-130 to 9.99…E+125.
NUMBER_CONTEXT = Context(Emin=-130, Emax=125, prec=38, traps=[InvalidOperation, Inexact, Rounded])


class CodecError(ValueError):
    """A value DynamoDB cannot store; ``path`` names the field (``order.lines[2].price``)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path or '(item)'}: {message}")
        self.path = path


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def number_text(value: int | Decimal, path: str = "") -> str:
    """The exact text of a number DynamoDB accepts; raises CodecError otherwise."""
    if isinstance(value, bool):
        raise CodecError(path, "booleans are not numbers")
    if isinstance(value, int):
        text = str(value)
        digits = len(text.lstrip("-").rstrip("0")) or 1
        if digits > 38 or len(text.lstrip("-")) > 126:
            raise CodecError(
                path,
                f"{text[:20]}… has more than 38 significant digits or is too large for DynamoDB",
            )
        return text
    if not value.is_finite():
        raise CodecError(path, f"{value} is not a number DynamoDB can store")
    if value and not (Decimal("1E-130") <= abs(value) < Decimal("1E+126")):
        raise CodecError(path, f"{value} is out of DynamoDB's number range (1E-130 to 1E+126)")
    try:
        NUMBER_CONTEXT.create_decimal(value)
    except (Inexact, Rounded) as exc:
        raise CodecError(path, f"{value} has more than 38 significant digits") from exc
    except InvalidOperation as exc:
        raise CodecError(path, f"{value} is out of DynamoDB's number range") from exc
    return str(value)


class Encoder:
    """Reusable marshaller; options fixed once so the hot path does no option checks."""

    def __init__(self, *, binary: type = str, allow_float: bool = False) -> None:
        self.binary_as_text = binary is str
        self.allow_float = allow_float
        self._by_type: dict[type, Callable[[Any, str], AttributeValue]] = {
            str: lambda v, p: {"S": v},
            bool: lambda v, p: {"BOOL": v},
            int: lambda v, p: {"N": number_text(v, p)},
            Decimal: lambda v, p: {"N": number_text(v, p)},
            type(None): lambda v, p: {"NULL": True},
            bytes: self._binary,
            bytearray: self._binary,
            memoryview: self._binary,
            dict: self._map,
            list: self._list,
            tuple: self._list,
            set: self._set,
            frozenset: self._set,
            float: self._float,
        }

    def value(self, value: Any, path: str = "") -> AttributeValue:
        encode = self._by_type.get(type(value))
        if encode is None:
            return self._other(value, path)
        return encode(value, path)

    def item(self, item: Mapping[str, Any]) -> Item:
        if not isinstance(item, Mapping):
            raise CodecError(
                "", f"an item is a mapping of attribute names, not {type(item).__name__}"
            )
        return {str(k): self.value(v, str(k)) for k, v in item.items()}

    def _other(self, value: Any, path: str) -> AttributeValue:
        if isinstance(value, Mapping):
            return self._map(value, path)
        if isinstance(value, Set):
            return self._set(value, path)
        if isinstance(value, (list, tuple)):
            return self._list(value, path)
        if isinstance(value, str):
            return {"S": str(value)}
        if isinstance(value, int):
            return {"N": number_text(int(value), path)}
        raise CodecError(path, f"cannot store a {type(value).__name__} in DynamoDB")

    def _binary(self, value: bytes | bytearray | memoryview, path: str) -> AttributeValue:
        raw = bytes(value)
        return {"B": base64.b64encode(raw).decode("ascii") if self.binary_as_text else raw}

    def _float(self, value: float, path: str) -> AttributeValue:
        if not self.allow_float:
            raise CodecError(
                path,
                f"{value!r} is a float; use int or Decimal (floats round), or "
                "allow floats explicitly",
            )
        return {"N": number_text(Decimal(repr(value)), path)}

    def _map(self, value: Mapping[Any, Any], path: str) -> AttributeValue:
        out = {}
        for key, inner in value.items():
            if not isinstance(key, str):
                raise CodecError(path, f"map keys must be strings, not {type(key).__name__}")
            out[key] = self.value(inner, _join(path, key))
        return {"M": out}

    def _list(self, value: list[Any] | tuple[Any, ...], path: str) -> AttributeValue:
        return {"L": [self.value(v, _join(path, i)) for i, v in enumerate(value)]}

    def _set(self, value: Set[Any], path: str) -> AttributeValue:
        if not value:
            raise CodecError(path, "DynamoDB cannot store an empty set; omit the attribute")
        kinds = {type(v) for v in value}
        if kinds <= {str}:
            return {"SS": sorted(value)}
        if kinds <= {int, Decimal} and bool not in kinds:
            texts = [number_text(v, path) for v in value]
            if len({Decimal(t) for t in texts}) != len(texts):
                raise CodecError(path, "a number set holds equal numbers twice")
            return {"NS": sorted(texts, key=Decimal)}
        if kinds <= {bytes, bytearray}:
            raws = sorted(bytes(v) for v in value)
            return {
                "BS": [base64.b64encode(r).decode("ascii") for r in raws]
                if self.binary_as_text
                else raws
            }
        names = ", ".join(sorted(k.__name__ for k in kinds))
        raise CodecError(
            path, f"a set must hold only strings, only numbers or only bytes ({names})"
        )


def _number(text: str) -> int | Decimal:
    if "." in text or "e" in text or "E" in text:
        return Decimal(text)
    return int(text)


def _bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else base64.b64decode(value)


class Decoder:
    """AttributeValue (wire or botocore form) -> Python: N -> int or Decimal, B -> bytes."""

    def __init__(self) -> None:
        self._by_tag: dict[str, Callable[[Any], Any]] = {
            "S": lambda v: v,
            "N": _number,
            "BOOL": lambda v: v,
            "NULL": lambda v: None,
            "B": _bytes,
            "M": lambda v: {k: self.value(x) for k, x in v.items()},
            "L": lambda v: [self.value(x) for x in v],
            "SS": set,
            "NS": lambda v: {_number(x) for x in v},
            "BS": lambda v: {_bytes(x) for x in v},
        }

    def value(self, av: Mapping[str, Any]) -> Any:
        for tag, inner in av.items():
            decode = self._by_tag.get(tag)
            if decode is None:
                raise CodecError("", f"unknown AttributeValue type {tag!r}")
            return decode(inner)
        raise CodecError("", "an empty AttributeValue")

    def item(self, item: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
        return {k: self.value(v) for k, v in item.items()}


_WIRE = Encoder()
_DECODER = Decoder()


def marshal(item: Mapping[str, Any]) -> Item:
    """A Python item -> wire AttributeValues (binary as base64 text)."""
    return _WIRE.item(item)


def unmarshal(item: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    return _DECODER.item(item)
