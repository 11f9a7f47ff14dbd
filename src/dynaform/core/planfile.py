"""A plan: the diff, its steps and a fingerprint of the live state it was computed from.

Saved as JSON (``plan --out plan.json``); ``apply plan.json`` refuses it when the live state's
fingerprint no longer matches.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from dynaform.core.capabilities import Capabilities
from dynaform.core.diff import Change, Diff, diff
from dynaform.core.live import LiveTable
from dynaform.core.model import TableSpec
from dynaform.core.order import Step, order

PLAN_FORMAT = 1


@dataclass(frozen=True)
class Plan:
    project: str
    env: str
    endpoint: str
    caps: Capabilities
    diff: Diff
    steps: tuple[Step, ...]
    fingerprint: str

    @property
    def changes(self) -> tuple[Change, ...]:
        return self.diff.changes

    @property
    def has_changes(self) -> bool:
        return bool(self.diff.changes)

    @property
    def blocked(self) -> tuple[Change, ...]:
        return tuple(c for c in self.diff.changes if c.blocked)


def fingerprint(live: Mapping[str, LiveTable | None]) -> str:
    """A digest of the live shape of every table the plan looked at (status excluded)."""
    state = {
        name: None if table is None else table.spec.model_dump(mode="json")
        for name, table in sorted(live.items())
    }
    return hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()


def make_plan(
    project: str,
    env: str,
    endpoint: str,
    desired: Iterable[TableSpec],
    live: Mapping[str, LiveTable | None],
    caps: Capabilities,
    prune: Iterable[LiveTable] = (),
) -> Plan:
    prune = list(prune)
    result = diff(desired, live, caps, prune)
    looked_at = {**live, **{t.spec.name: t for t in prune}}
    return Plan(project, env, endpoint, caps, result, tuple(order(result.changes, caps)),
                fingerprint(looked_at))  # fmt: skip


def to_json(plan: Plan) -> dict[str, Any]:
    return {
        "format": PLAN_FORMAT,
        "project": plan.project,
        "env": plan.env,
        "endpoint": plan.endpoint,
        "engine": plan.caps.engine,
        "fingerprint": plan.fingerprint,
        "changes": [
            {
                "kind": c.kind,
                "table": c.table,
                "logical": c.logical,
                "blocked": c.blocked,
                "fields": [asdict(f) for f in c.fields],
            }
            for c in plan.changes
        ],
        "skipped": {table: list(notes) for table, notes in plan.diff.skipped.items()},
        "unchanged": list(plan.diff.unchanged),
        "steps": [asdict(step) for step in plan.steps],
    }


def steps_from_json(data: Mapping[str, Any]) -> list[Step]:
    return [Step(**step) for step in data.get("steps", [])]
