"""Declared shapes of foreign documents, checked before any value is used, so a string where
a mapping belongs is one error naming its place — not an AttributeError three calls later.

A shape only checks; values are read afterwards by code that may then trust them. Keys a
shape does not list are not its business (the importer warns about unsupported ones).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from dynaform.core.importers.common import Place


def kind_of(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"


class Shape(Protocol):
    def check(self, value: Any, place: Place) -> None: ...


@dataclass(frozen=True)
class Anything:
    def check(self, value: Any, place: Place) -> None:
        return None


@dataclass(frozen=True)
class Text:
    def check(self, value: Any, place: Place) -> None:
        if not isinstance(value, str):
            raise place.error(f"expected text, found {kind_of(value)}")


_DIGITS = re.compile(r"\s*\d+\s*")


@dataclass(frozen=True)
class Number:
    """A whole number; CloudFormation also writes them as strings ("5")."""

    def check(self, value: Any, place: Place) -> None:
        if isinstance(value, str) and not _DIGITS.fullmatch(value):
            raise place.error(f"expected a number, found {value[:40]!r}")
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise place.error(f"expected a number, found {kind_of(value)}")


@dataclass(frozen=True)
class Flag:
    """true/false; CloudFormation also writes "true"/"false"."""

    def check(self, value: Any, place: Place) -> None:
        if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
            return
        if not isinstance(value, bool):
            raise place.error(f"expected true or false, found {kind_of(value)}")


@dataclass(frozen=True)
class OneOf:
    choices: tuple[str, ...]

    def check(self, value: Any, place: Place) -> None:
        options = ", ".join(self.choices)
        if not isinstance(value, str):
            raise place.error(f"expected one of {options}, found {kind_of(value)}")
        if value not in self.choices:
            raise place.error(f"{value[:40]!r} is not one of {options}")


@dataclass(frozen=True)
class ListOf:
    item: Shape = field(default_factory=Anything)
    what: str = "a list"  # Terraform says "a block"

    def check(self, value: Any, place: Place) -> None:
        if not isinstance(value, list):
            raise place.error(f"expected {self.what}, found {kind_of(value)}")
        for index, item in enumerate(value):
            self.item.check(item, place.at(index))


@dataclass(frozen=True)
class Fields:
    """A mapping; the listed keys, when present and not null, have their shapes."""

    fields: Mapping[str, Shape] = field(default_factory=dict)
    required: tuple[str, ...] = ()

    def check(self, value: Any, place: Place) -> None:
        if not isinstance(value, dict):
            raise place.error(f"expected a mapping, found {kind_of(value)}")
        missing = [key for key in self.required if value.get(key) is None]
        if missing:
            raise place.error(f"missing {', '.join(missing)}")
        for key, shape in self.fields.items():
            if value.get(key) is not None:
                shape.check(value[key], place.at(key))


@dataclass(frozen=True)
class KeySchema:
    """A DynamoDB KeySchema: one HASH key, at most one RANGE key (required for a local
    index)."""

    needs_range: bool = False

    def check(self, value: Any, place: Place) -> None:
        ListOf(KEY).check(value, place)
        kinds = [key["KeyType"] for key in value]
        if kinds.count("HASH") != 1:
            found = kinds.count("HASH")
            raise place.error(f"needs exactly one HASH key (the partition key), found {found}")
        if kinds.count("RANGE") > 1:
            raise place.error("has more than one RANGE key; a sort key is one attribute")
        if self.needs_range and "RANGE" not in kinds:
            raise place.error("a local index needs a RANGE key (its sort key)")


TEXT, NUMBER, FLAG = Text(), Number(), Flag()
MAPPING = Fields()
ATTRIBUTE_TYPE = OneOf(("S", "N", "B"))
KEY = Fields(
    {"AttributeName": TEXT, "KeyType": OneOf(("HASH", "RANGE"))},
    required=("AttributeName", "KeyType"),
)
ATTRIBUTE = Fields(
    {"AttributeName": TEXT, "AttributeType": ATTRIBUTE_TYPE},
    required=("AttributeName", "AttributeType"),
)
PROJECTION = Fields(
    {
        "ProjectionType": OneOf(("ALL", "KEYS_ONLY", "INCLUDE")),
        "NonKeyAttributes": ListOf(TEXT),
    }
)
THROUGHPUT = Fields({"ReadCapacityUnits": NUMBER, "WriteCapacityUnits": NUMBER})
ON_DEMAND = Fields({"MaxReadRequestUnits": NUMBER, "MaxWriteRequestUnits": NUMBER})
BILLING_MODE = OneOf(("PROVISIONED", "PAY_PER_REQUEST"))
STREAM_VIEW = OneOf(("KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"))
TABLE_CLASS = OneOf(("STANDARD", "STANDARD_INFREQUENT_ACCESS"))
GSI = Fields(
    {
        "IndexName": TEXT,
        "KeySchema": KeySchema(),
        "Projection": PROJECTION,
        "ProvisionedThroughput": THROUGHPUT,
        "OnDemandThroughput": ON_DEMAND,
    },
    required=("IndexName", "KeySchema"),
)
LSI = Fields(
    {"IndexName": TEXT, "KeySchema": KeySchema(needs_range=True), "Projection": PROJECTION},
    required=("IndexName", "KeySchema"),
)
