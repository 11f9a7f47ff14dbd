"""A plan: the changes (typed operations), a fingerprint of the live state they were computed
from, and the hash of the project file they were computed with.

Saved as JSON (``plan --out plan.json``). ``apply plan.json`` renders and runs exactly the saved
operations: the file carries a checksum over its content (an edited file is refused), every
operation must be of a known type making only the DynamoDB calls that type may make, and the
live fingerprint must still match.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from dynaform.core.capabilities import Capabilities
from dynaform.core.diff import Change, Diff, classify, diff
from dynaform.core.live import LiveTable
from dynaform.core.model import TableSpec
from dynaform.core.operations import ALLOWED, Operation, Step
from dynaform.core.order import order
from dynaform.errors import DynaformError

PLAN_FORMAT = 2


class PlanFileError(DynaformError):
    default_hint = "make the plan again with `dynaform plan --out FILE`; nothing was applied"


@dataclass(frozen=True)
class Plan:
    project: str
    env: str
    endpoint: str
    caps: Capabilities
    diff: Diff
    fingerprint: str
    tables: tuple[str, ...] = ()  # every live table the plan looked at
    project_hash: str = ""

    @property
    def changes(self) -> tuple[Change, ...]:
        return self.diff.changes

    @property
    def steps(self) -> tuple[Step, ...]:
        return tuple(order(self.diff.changes))

    @property
    def has_changes(self) -> bool:
        return bool(self.diff.changes)

    @property
    def blocked(self) -> tuple[Change, ...]:
        return tuple(c for c in self.diff.changes if c.blocked)


def fingerprint(live: Mapping[str, LiveTable | None], counted: Iterable[str] = ()) -> str:
    """A digest of the live shape of every table the plan looked at (status excluded), and of
    the item counts of ``counted`` (the tables it would delete: one that filled up since the
    plan was made no longer matches)."""
    counts = set(counted)
    state = {
        name: None
        if table is None
        else [table.spec.model_dump(mode="json"), table.item_count if name in counts else None]
        for name, table in sorted(live.items())
    }
    return hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()


def deleted_tables(changes: Iterable[Change]) -> list[str]:
    return [c.table for c in changes if any(op.type == "delete_table" for op in c.ops)]


def make_plan(
    project: str,
    env: str,
    endpoint: str,
    desired: Iterable[TableSpec],
    live: Mapping[str, LiveTable | None],
    caps: Capabilities,
    prune: Iterable[LiveTable] = (),
    project_hash: str = "",
    holding: Mapping[str, LiveTable] | None = None,
) -> Plan:
    prune = list(prune)
    result = diff(desired, live, caps, prune, holding)
    held = {t.spec.name: t for t in (holding or {}).values()}
    looked_at = {**live, **{t.spec.name: t for t in prune}, **held}
    return Plan(
        project,
        env,
        endpoint,
        caps,
        result,
        fingerprint(looked_at),
        tuple(sorted(looked_at)),
        project_hash,
    )


# --- the plan file ----------------------------------------------------------------------


def _spec_json(spec: TableSpec | None) -> dict[str, Any] | None:
    return None if spec is None else spec.model_dump(mode="json")


def _change_json(change: Change) -> dict[str, Any]:
    return {
        "kind": change.kind,
        "table": change.table,
        "logical": change.logical,
        "blocked": change.blocked,
        "fields": [asdict(f) for f in change.fields],
        "operations": [asdict(op) for op in change.ops],
        "desired": _spec_json(change.desired),
        "live": _spec_json(change.live),
    }


def checksum(body: Mapping[str, Any]) -> str:
    content = {k: v for k, v in body.items() if k != "checksum"}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def to_json(plan: Plan) -> dict[str, Any]:
    body: dict[str, Any] = {
        "format": PLAN_FORMAT,
        "project": plan.project,
        "env": plan.env,
        "endpoint": plan.endpoint,
        "engine": plan.caps.engine,
        "capabilities": asdict(plan.caps),
        "fingerprint": plan.fingerprint,
        "project_hash": plan.project_hash,
        "tables": list(plan.tables),
        "changes": [_change_json(c) for c in plan.changes],
        "skipped": {table: list(notes) for table, notes in plan.diff.skipped.items()},
        "unchanged": list(plan.diff.unchanged),
        "steps": [asdict(step) for step in plan.steps],  # for reading; runs derive from ops
    }
    return body | {"checksum": checksum(body)}


def _operation(raw: Mapping[str, Any], table: str) -> Operation:
    kind = raw.get("type")
    if kind not in ALLOWED:
        raise PlanFileError(f"unknown operation {kind!r} for {table}")
    steps = tuple(Step(**step) for step in raw.get("steps", []))
    for step in steps:
        target = step.params.get("TableName", step.table)
        if step.operation not in ALLOWED[kind] or step.table != table or target != table:
            raise PlanFileError(f"{kind} on {table} may not call {step.operation} on {target}")
    names = ("field", "before", "after", "reason", "blocked", "items")
    fields = {k: raw[k] for k in names if k in raw}
    return Operation(kind, table, steps=steps, **fields)


def _change(raw: Mapping[str, Any]) -> Change:
    kind, table = raw.get("kind"), str(raw.get("table", ""))
    found = tuple(_operation(op, table) for op in raw.get("operations", []))
    # The kind is derived from the operations, never trusted: a "update" that deletes a table
    # would otherwise slip past the checks that deletes get.
    if not found or kind != classify(found):
        raise PlanFileError(f"change {kind!r} of {table} does not match its operations")
    desired, live = raw.get("desired"), raw.get("live")
    return Change(
        kind,
        str(raw.get("logical", "")),
        table,
        found,
        None if desired is None else TableSpec.model_validate(desired),
        None if live is None else TableSpec.model_validate(live),
    )


def from_json(data: Mapping[str, Any], source: str) -> Plan:
    """A saved plan, refused when edited, of another format, or asking for unknown calls."""
    if data.get("format") != PLAN_FORMAT:
        raise PlanFileError(f"{source} is not a plan of format {PLAN_FORMAT}")
    if data.get("checksum") != checksum(data):
        raise PlanFileError(f"{source} was changed after it was made (checksum mismatch)")
    try:
        changes = tuple(_change(raw) for raw in data.get("changes", []))
        caps = Capabilities(**data["capabilities"])
        skipped = {t: tuple(n) for t, n in data.get("skipped", {}).items()}
        result = Diff(changes, skipped, tuple(data.get("unchanged", [])))
        return Plan(
            str(data["project"]),
            str(data["env"]),
            str(data["endpoint"]),
            caps,
            result,
            str(data["fingerprint"]),
            tuple(data.get("tables", [])),
            str(data.get("project_hash", "")),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PlanFileError(f"{source} is not a valid plan: {exc}") from exc
