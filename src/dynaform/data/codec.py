"""Python values <-> DynamoDB AttributeValues, exactly.

``marshal`` gives the wire form used by DynamoDB JSON files and raw HTTP (binary as base64
text); ``marshal(value, binary=bytes)`` gives botocore's form (binary as bytes). ``unmarshal``
reads either. Numbers are exact: int and Decimal, never float unless asked for
(``allow_float=True`` converts through the float's shortest decimal repr, so 0.1 stays 0.1).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Set
from decimal import Decimal
from typing import Any, Final

AttributeValue = dict[str, Any]
Item = dict[str, AttributeValue]

# DynamoDB numbers: up to 38 significant digits, magnitude 1E-130 to 9.99…E+125.


class CodecError(ValueError):
    """A value DynamoDB cannot store; ``path`` names the field (``order.lines[2].price``)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path or '(item)'}: {message}")
        self.path = path
        self.message = message

    def within(self, key: str | int) -> CodecError:
        """The same error one level up (paths are built only when something is wrong)."""
        if isinstance(key, int):
            path = f"[{key}]" + (
                self.path if self.path.startswith("[") or not self.path else "." + self.path
            )
        else:
            path = key + (
                self.path if self.path.startswith("[") or not self.path else "." + self.path
            )
        return CodecError(path, self.message)


_MAX_INT: Final = 10**38


def _decimal_text(value: Decimal) -> str:
    text = str(value)
    # Plain notation (no exponent, ends in a digit: not NaN or Infinity) of at most 38
    # characters: at most 38 digits, below 1E+38 and, unless zero, at least 1E-6, so always
    # in DynamoDB's range with no method call.
    if len(text) <= 38 and "E" not in text and text[-1].isdigit():
        return text
    # At most 38 characters means at most 38 digits: only the range is left to check.
    if len(text) <= 38 and value.is_finite() and (not value or -130 <= value.adjusted() <= 125):
        return text
    return number_text(value)


def number_text(value: int | Decimal, path: str = "") -> str:
    """The exact text of a number DynamoDB accepts; raises CodecError otherwise."""
    if type(value) is int and -_MAX_INT < value < _MAX_INT:  # the common case, cheaply
        return str(value)
    if isinstance(value, bool):
        raise CodecError(path, "booleans are not numbers")
    if isinstance(value, int):
        text = str(value)
        significant_int = len(text.lstrip("-").rstrip("0")) or 1
        if significant_int > 38 or len(text.lstrip("-")) > 126:
            raise CodecError(
                path,
                f"{text[:20]}… has more than 38 significant digits or is too large for DynamoDB",
            )
        return text
    if not value.is_finite():
        raise CodecError(path, f"{value} is not a number DynamoDB can store")
    digits = value.as_tuple().digits
    significant = len(digits)
    while significant > 1 and digits[significant - 1] == 0:  # trailing zeros are not significant
        significant -= 1
    if value and not (Decimal("1E-130") <= value.copy_abs() < Decimal("1E+126")):
        raise CodecError(path, f"{value} is out of DynamoDB's number range (1E-130 to 1E+126)")
    if significant > 38:
        raise CodecError(path, f"{value} has more than 38 significant digits")
    return str(value)


class Encoder:
    """Reusable marshaller. The hot path checks exact types in order of frequency and builds
    error paths only when a value is refused."""

    def __init__(self, *, binary: type = str, allow_float: bool = False) -> None:
        self.binary_as_text = binary is str
        self.allow_float = allow_float

    def value(self, value: Any) -> AttributeValue:
        # Maps and lists inline their strings and ints, so those rarely arrive here.
        kind = type(value)
        if kind is dict:
            return {"M": self._map(value)}
        if kind is Decimal:
            return {"N": _decimal_text(value)}
        if kind is list or kind is tuple:
            return {"L": self._list(value)}
        if kind is str:
            return {"S": value}
        if kind is int:
            if -_MAX_INT < value < _MAX_INT:
                return {"N": str(value)}
            return {"N": number_text(value)}
        if kind is bool:
            return {"BOOL": value}
        if kind is set or kind is frozenset:
            return self._set(value)
        if kind is bytes:
            return {"B": base64.b64encode(value).decode("ascii") if self.binary_as_text else value}
        if value is None:
            return {"NULL": True}
        return self._other(value)

    def _map(self, value: dict[Any, Any]) -> dict[str, AttributeValue]:
        # Every common type is dispatched inline (a call per value is much of the cost); the
        # try costs nothing until a value is refused, and names the key then.
        out: dict[str, AttributeValue] = {}
        key: Any = None
        try:
            for key, inner in value.items():
                if type(key) is not str:
                    raise CodecError("", f"map keys must be strings, not {type(key).__name__}")
                kind = type(inner)
                if kind is str:
                    out[key] = {"S": inner}
                elif kind is int:
                    out[key] = {
                        "N": str(inner) if -_MAX_INT < inner < _MAX_INT else number_text(inner)
                    }
                elif kind is Decimal:
                    out[key] = {"N": _decimal_text(inner)}
                elif kind is dict:
                    out[key] = {"M": self._map(inner)}
                elif kind is list:
                    out[key] = {"L": self._list(inner)}
                elif kind is bool:
                    out[key] = {"BOOL": inner}
                else:
                    out[key] = self.value(inner)
        except CodecError as exc:
            if type(key) is not str:  # the key itself is refused: no path to give
                raise
            raise exc.within(key) from None
        return out

    def _list(self, value: list[Any] | tuple[Any, ...]) -> list[AttributeValue]:
        out: list[AttributeValue] = []
        append = out.append
        index = 0
        try:
            for inner in value:
                kind = type(inner)
                if kind is str:
                    append({"S": inner})
                elif kind is int:
                    append(
                        {"N": str(inner) if -_MAX_INT < inner < _MAX_INT else number_text(inner)}
                    )
                elif kind is Decimal:
                    append({"N": _decimal_text(inner)})
                elif kind is dict:
                    append({"M": self._map(inner)})
                else:
                    append(self.value(inner))
                index += 1
        except CodecError as exc:
            raise exc.within(index) from None
        return out

    def item(self, item: Mapping[str, Any]) -> Item:
        if type(item) is not dict and not isinstance(item, Mapping):
            raise CodecError(
                "", f"an item is a mapping of attribute names, not {type(item).__name__}"
            )
        return self._map(item if type(item) is dict else dict(item))

    def _other(self, value: Any) -> AttributeValue:
        if isinstance(value, float):
            if not self.allow_float:
                raise CodecError(
                    "",
                    f"{value!r} is a float; use int or Decimal (floats round), "
                    "or allow floats explicitly",
                )
            return {"N": number_text(Decimal(repr(value)))}
        if isinstance(value, (bytearray, memoryview)):
            return self.value(bytes(value))
        if isinstance(value, Mapping):
            return {"M": self._map(dict(value))}
        if isinstance(value, Set):
            return self._set(value)
        if isinstance(value, (list, tuple)):
            return {"L": self._list(value)}
        if isinstance(value, str):
            return {"S": str(value)}
        if isinstance(value, bool):
            return {"BOOL": bool(value)}
        if isinstance(value, int):
            return {"N": number_text(int(value))}
        if isinstance(value, Decimal):
            return {"N": number_text(value)}
        raise CodecError("", f"cannot store a {type(value).__name__} in DynamoDB")

    def _set(self, value: Set[Any]) -> AttributeValue:
        if not value:
            raise CodecError("", "DynamoDB cannot store an empty set; omit the attribute")
        kinds = set(map(type, value))
        if kinds <= {str}:
            return {"SS": list(value)}
        if kinds <= {int, Decimal}:
            return {"NS": [number_text(v) for v in value]}
        if kinds <= {bytes, bytearray}:
            if self.binary_as_text:
                return {"BS": [base64.b64encode(v).decode("ascii") for v in value]}
            return {"BS": [bytes(v) for v in value]}
        names = ", ".join(sorted(k.__name__ for k in kinds))
        raise CodecError("", f"a set must hold only strings, only numbers or only bytes ({names})")


def _number(text: str) -> int | Decimal:
    if "." in text or "e" in text or "E" in text:
        return Decimal(text)
    return int(text)


class Decoder:
    """AttributeValue (wire or botocore form) -> Python: N -> int or Decimal, B -> bytes."""

    def value(self, av: Mapping[str, Any]) -> Any:
        return self._value(av if type(av) is dict else dict(av))

    def _value(self, av: dict[str, Any]) -> Any:
        # Maps and lists inline their strings and numbers, so those rarely arrive here.
        if "M" in av:
            return self.item(av["M"])
        if "L" in av:
            return self._list(av["L"])
        if "S" in av:
            return av["S"]
        if "N" in av:
            return _number(av["N"])
        if "BOOL" in av:
            return av["BOOL"]
        if "NULL" in av:
            return None
        if "SS" in av:
            return set(av["SS"])
        if "NS" in av:
            return {_number(n) for n in av["NS"]}
        if "B" in av:
            raw = av["B"]
            return raw if isinstance(raw, bytes) else base64.b64decode(raw)
        if "BS" in av:
            return {r if isinstance(r, bytes) else base64.b64decode(r) for r in av["BS"]}
        tag = next(iter(av), None)
        raise CodecError(
            "", f"unknown AttributeValue type {tag!r}" if tag else "an empty AttributeValue"
        )

    def item(self, item: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
        return self._item(item if type(item) is dict else dict(item))

    def _item(self, item: dict[str, Any]) -> dict[str, Any]:
        # Strings and numbers inlined: a call per value is much of the cost. The typed locals
        # let the compiled build read the dicts directly.
        out: dict[str, Any] = {}
        for key, av in item.items():
            if type(av) is not dict:
                out[key] = self.value(av)
                continue
            wire: dict[str, Any] = av
            if "S" in wire:
                out[key] = wire["S"]
            elif "N" in wire:
                text: str = wire["N"]
                out[key] = Decimal(text) if "." in text or "e" in text or "E" in text else int(text)
            else:
                out[key] = self._value(wire)
        return out

    def _list(self, values: list[Any]) -> list[Any]:
        out: list[Any] = []
        for av in values:
            if type(av) is not dict:
                out.append(self.value(av))
                continue
            wire: dict[str, Any] = av
            if "S" in wire:
                out.append(wire["S"])
            elif "N" in wire:
                text: str = wire["N"]
                out.append(
                    Decimal(text) if "." in text or "e" in text or "E" in text else int(text)
                )
            else:
                out.append(self._value(wire))
        return out


_WIRE = Encoder()
_DECODER = Decoder()


def marshal(item: Mapping[str, Any]) -> Item:
    """A Python item -> wire AttributeValues (binary as base64 text)."""
    return _WIRE.item(item)


def unmarshal(item: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    return _DECODER.item(item)
