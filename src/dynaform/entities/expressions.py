"""Expressions with placeholders for every name and value (pure).

Attribute names never appear in expression text, values never either: reserved words, dots,
and strings that look like expression syntax are just data.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Encode = Callable[[Any], dict[str, Any]]


@dataclass
class Placeholders:
    encode: Encode
    names: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)

    def name(self, attribute: str) -> str:
        for placeholder, existing in self.names.items():
            if existing == attribute:
                return placeholder
        placeholder = f"#n{len(self.names)}"
        self.names[placeholder] = attribute
        return placeholder

    def value(self, value: Any) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = self.encode(value)
        return placeholder

    def request(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.names:
            out["ExpressionAttributeNames"] = dict(self.names)
        if self.values:
            out["ExpressionAttributeValues"] = dict(self.values)
        return out


# --- conditions -------------------------------------------------------------------------

Condition = Callable[[Placeholders], str]
COMPARATORS = {"eq": "=", "ne": "<>", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}


def compare(attribute: str, op: str, value: Any) -> Condition:
    symbol = COMPARATORS[op]
    return lambda p: f"{p.name(attribute)} {symbol} {p.value(value)}"


def begins_with(attribute: str, prefix: str) -> Condition:
    return lambda p: f"begins_with({p.name(attribute)}, {p.value(prefix)})"


def between(attribute: str, low: Any, high: Any) -> Condition:
    return lambda p: f"{p.name(attribute)} BETWEEN {p.value(low)} AND {p.value(high)}"


def exists(attribute: str) -> Condition:
    return lambda p: f"attribute_exists({p.name(attribute)})"


def not_exists(attribute: str) -> Condition:
    return lambda p: f"attribute_not_exists({p.name(attribute)})"


def contains(attribute: str, value: Any) -> Condition:
    return lambda p: f"contains({p.name(attribute)}, {p.value(value)})"


def all_of(*conditions: Condition) -> Condition:
    return lambda p: " AND ".join(f"({c(p)})" for c in conditions)


def any_of(*conditions: Condition) -> Condition:
    return lambda p: " OR ".join(f"({c(p)})" for c in conditions)


def sort_condition(attribute: str, spec: Any) -> Condition | None:
    """A sort-key condition from ``("begins_with", "EVENT#")``, ``("between", a, b)``,
    ``("gte", x)`` … or a plain value (equality)."""
    if spec is None:
        return None
    if isinstance(spec, tuple):
        op, *args = spec
        if op == "begins_with":
            return begins_with(attribute, args[0])
        if op == "between":
            return between(attribute, args[0], args[1])
        if op in COMPARATORS and op != "ne":
            return compare(attribute, op, args[0])
        raise ValueError(
            f"unknown sort-key condition {op!r}; use eq, lt, lte, gt, gte, begins_with or between"
        )
    return compare(attribute, "eq", spec)


# --- updates ----------------------------------------------------------------------------


@dataclass
class Update:
    """SET / REMOVE / ADD clauses: set, remove, add, append, if_not_exists."""

    set: dict[str, Any] = field(default_factory=dict)
    remove: list[str] = field(default_factory=list)
    add: dict[str, Any] = field(default_factory=dict)
    append: dict[str, list[Any]] = field(default_factory=dict)
    if_not_exists: dict[str, Any] = field(default_factory=dict)

    def render(self, p: Placeholders) -> str:
        sets = [f"{p.name(k)} = {p.value(v)}" for k, v in self.set.items()]
        sets += [
            f"{p.name(k)} = list_append(if_not_exists({p.name(k)}, {p.value([])}), {p.value(v)})"
            for k, v in self.append.items()
        ]
        sets += [
            f"{p.name(k)} = if_not_exists({p.name(k)}, {p.value(v)})"
            for k, v in self.if_not_exists.items()
        ]
        parts = []
        if sets:
            parts.append("SET " + ", ".join(sets))
        if self.remove:
            parts.append("REMOVE " + ", ".join(p.name(k) for k in self.remove))
        if self.add:
            parts.append(
                "ADD " + ", ".join(f"{p.name(k)} {p.value(v)}" for k, v in self.add.items())
            )
        return " ".join(parts)

    def touched(self) -> builtins.set[str]:
        return (
            set(self.set)
            | set(self.remove)
            | set(self.add)
            | set(self.append)
            | set(self.if_not_exists)
        )
