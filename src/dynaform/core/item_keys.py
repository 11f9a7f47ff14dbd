"""Keys, key conditions and filters for reading and writing single items, typed from a table's
key schema so nobody writes ``{"S": ...}`` by hand.

Pure: DescribeTable's answer in, request fragments (wire AttributeValues, expression text,
placeholder maps) out. ``dynaform.api.items`` sends them.

Sort-key conditions: ``=V`` (or just ``V``), ``<V``, ``<=V``, ``>V``, ``>=V``,
``between A and B``, ``begins_with P``. Filters: ``path OP value`` (``= <> < <= > >=``),
``path between A and B``, ``path in (A, B)``, ``begins_with(path, V)``, ``contains(path, V)``,
``attribute_exists(path)``, ``attribute_not_exists(path)``, ``attribute_type(path, S)``,
joined by ``and`` / ``or``, negated with ``not``, grouped with parentheses. A quoted value is a
string; an unquoted number is a number; ``true``/``false``/``null`` are what they say.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from dynaform.errors import UsageError

AttributeValue = dict[str, Any]
KEY_TYPE_NAMES = {"S": "string", "N": "number", "B": "binary (base64)"}
SORT_OPERATORS = ("=", "<", "<=", ">", ">=", "between", "begins_with")


@dataclass(frozen=True)
class KeyPair:
    """A partition key and an optional sort key: (name, type) each."""

    partition: tuple[str, str]
    sort: tuple[str, str] | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return (self.partition[0],) + ((self.sort[0],) if self.sort else ())


@dataclass(frozen=True)
class KeySchema:
    """A table's keys and its indexes' keys, from DescribeTable."""

    table: str
    key: KeyPair
    indexes: dict[str, KeyPair] = field(default_factory=dict)

    def of(self, index: str | None) -> KeyPair:
        if index is None:
            return self.key
        if index not in self.indexes:
            known = ", ".join(sorted(self.indexes)) or "none"
            raise UsageError(f"{self.table} has no index {index!r}", hint=f"indexes: {known}")
        return self.indexes[index]


def key_schema(described: dict[str, Any]) -> KeySchema:
    """DescribeTable's ``Table`` -> KeySchema."""
    types = {a["AttributeName"]: a["AttributeType"] for a in described["AttributeDefinitions"]}

    def pair(elements: list[dict[str, str]]) -> KeyPair:
        by_type = {e["KeyType"]: e["AttributeName"] for e in elements}
        hash_name, range_name = by_type["HASH"], by_type.get("RANGE")
        sort = (range_name, types[range_name]) if range_name else None
        return KeyPair((hash_name, types[hash_name]), sort)

    indexes = {
        ix["IndexName"]: pair(ix["KeySchema"])
        for ix in [
            *described.get("GlobalSecondaryIndexes", []),
            *described.get("LocalSecondaryIndexes", []),
        ]
    }
    return KeySchema(described["TableName"], pair(described["KeySchema"]), indexes)


def typed(name: str, kind: str, text: str) -> AttributeValue:
    """A key value typed as the schema says; a number is checked, binary is base64 text."""
    if kind == "S":
        if not text:
            raise UsageError(f"{name} is a string key and cannot be empty")
        return {"S": text}
    if kind == "N":
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise UsageError(f"{name} is a number key; {text!r} is not a number") from None
        if not number.is_finite():
            raise UsageError(f"{name} is a number key; {text!r} is not a number")
        return {"N": text.strip()}
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise UsageError(f"{name} is a binary key; {text!r} is not base64") from None
    return {"B": text}


def parse_key(schema: KeySchema, pairs: list[str]) -> dict[str, AttributeValue]:
    """``["PK=USER#1", "SK=PROFILE"]`` -> the item's key, typed; every key part needed."""
    given: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise UsageError(f"{pair!r} is not KEY=VALUE", hint=_key_hint(schema.key))
        given[name.strip()] = value
    wanted = dict([schema.key.partition] + ([schema.key.sort] if schema.key.sort else []))
    unknown = sorted(set(given) - set(wanted))
    missing = [n for n in wanted if n not in given]
    if unknown or missing:
        what = (
            f"{unknown[0]} is not a key of {schema.table}"
            if unknown
            else f"{missing[0]} is missing"
        )
        raise UsageError(what, hint=_key_hint(schema.key))
    return {name: typed(name, kind, given[name]) for name, kind in wanted.items()}


def _key_hint(key: KeyPair) -> str:
    pairs = [key.partition] + ([key.sort] if key.sort else [])
    parts = [f"{name}=<{KEY_TYPE_NAMES[kind]}>" for name, kind in pairs]
    return "give the key as " + " ".join(parts)


def unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    return text


@dataclass(frozen=True)
class SortCondition:
    operator: str  # one of SORT_OPERATORS
    values: tuple[str, ...]


_SORT = re.compile(
    r"^\s*(?:(?P<cmp><=|>=|=|<|>)\s*(?P<v>.+)"
    r"|(?i:between)\s+(?P<a>\"[^\"]*\"|'[^']*'|\S+)\s+(?i:and)\s+(?P<b>.+)"
    r"|(?i:begins_with)\s+(?P<p>.+))\s*$",
    re.DOTALL,
)


def parse_sort(text: str) -> SortCondition:
    """``begins_with ENTRY#2024``, ``between 2024-06-03 and 2024-06-09``, ``>= 5``, ``V``."""
    found = _SORT.match(text)
    if found is None:
        return SortCondition("=", (unquote(text),))
    if found["cmp"]:
        return SortCondition(found["cmp"], (unquote(found["v"]),))
    if found["a"] is not None:
        return SortCondition("between", (unquote(found["a"]), unquote(found["b"])))
    return SortCondition("begins_with", (unquote(found["p"]),))


@dataclass
class Expression:
    """Expression text with its placeholders (shared by key condition, filter, condition)."""

    names: dict[str, str] = field(default_factory=dict)
    values: dict[str, AttributeValue] = field(default_factory=dict)

    def name(self, path: str) -> str:
        """A document path (``a.b[2].c``) with every name as a placeholder."""
        out = []
        for part in path.split("."):
            base, _, rest = part.partition("[")
            if not base:
                raise UsageError(f"{path!r} is not an attribute path")
            key = next((k for k, v in self.names.items() if v == base), None)
            if key is None:
                key = f"#n{len(self.names)}"
                self.names[key] = base
            out.append(key + (f"[{rest}" if rest else ""))
        return ".".join(out)

    def value(self, av: AttributeValue) -> str:
        key = f":v{len(self.values)}"
        self.values[key] = av
        return key

    def request(self) -> dict[str, Any]:
        request: dict[str, Any] = {}
        if self.names:
            request["ExpressionAttributeNames"] = dict(self.names)
        if self.values:
            request["ExpressionAttributeValues"] = dict(self.values)
        return request


def key_condition(
    expr: Expression, key: KeyPair, partition: str, sort: SortCondition | None
) -> str:
    """KeyConditionExpression for a partition value and an optional sort condition."""
    pk_name, pk_type = key.partition
    text = f"{expr.name(pk_name)} = {expr.value(typed(pk_name, pk_type, partition))}"
    if sort is None:
        return text
    if key.sort is None:
        raise UsageError("this table or index has no sort key, so --sk cannot be used")
    sk_name, sk_type = key.sort
    path = expr.name(sk_name)
    values = [expr.value(typed(sk_name, sk_type, v)) for v in sort.values]
    if sort.operator == "between":
        return f"{text} AND {path} BETWEEN {values[0]} AND {values[1]}"
    if sort.operator == "begins_with":
        if sk_type == "N":
            raise UsageError(
                f"begins_with needs a string or binary sort key; {sk_name} is a number"
            )
        return f"{text} AND begins_with({path}, {values[0]})"
    return f"{text} AND {path} {sort.operator} {values[0]}"
