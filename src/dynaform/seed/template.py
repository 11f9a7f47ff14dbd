"""The small templating seed files need (pure).

Inside any string value:

- ``${now}``, ``${now-7d}``, ``${now+2h}`` — a time relative to now (units s m h d w), written as
  ISO 8601 UTC (``2024-06-15T09:00:00Z``); add ``:epoch`` for epoch seconds or ``:date`` for
  ``2024-06-15``;
- ``${uuid}`` — a UUID (repeatable: drawn from the run's seeded random generator);
- ``${seq}`` — the item's number in its file, from 1.

A value that is one expression with ``:epoch`` or ``${seq}`` becomes a number; elsewhere the
expression is replaced inside the text (``"ITEM#${seq}"``).
"""

from __future__ import annotations

import random
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

EXPRESSION = re.compile(r"\$\{([^}]*)\}")
TIME = re.compile(r"^now(?:([+-])(\d+)([smhdw]))?(?::(epoch|date|iso))?$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class TemplateError(ValueError):
    pass


@dataclass
class Context:
    now: datetime
    rng: random.Random
    seq: int = 1


def iso(moment: datetime) -> str:
    """ISO 8601 UTC with a Z, to the second (seed 004's convention)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _evaluate(expression: str, context: Context) -> str | int:
    text = expression.strip()
    if text == "uuid":
        return new_uuid(context.rng)
    if text == "seq":
        return context.seq
    match = TIME.match(text)
    if match is None:
        raise TemplateError(
            f"unknown expression ${{{expression}}}; use now, now-7d, now+2h:epoch, uuid or seq"
        )
    sign, amount, unit, form = match.groups()
    moment = context.now
    if amount:
        delta = timedelta(**{UNITS[unit]: int(amount)})
        moment = moment + delta if sign == "+" else moment - delta
    if form == "epoch":
        return int(moment.timestamp())
    if form == "date":
        return moment.astimezone(UTC).strftime("%Y-%m-%d")
    return iso(moment)


def render(value: Any, context: Context) -> Any:
    """``value`` with every ``${...}`` evaluated, recursively through maps and lists."""
    if isinstance(value, str):
        whole = EXPRESSION.fullmatch(value)
        if whole:
            return _evaluate(whole.group(1), context)
        return EXPRESSION.sub(lambda m: str(_evaluate(m.group(1), context)), value)
    if isinstance(value, dict):
        return {k: render(v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [render(v, context) for v in value]
    return value
