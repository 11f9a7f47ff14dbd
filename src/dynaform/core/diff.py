"""Declared tables vs live tables -> changes: each table's operations, classified (pure).

Every aspect is compared once (``compare.py``); a ``Change`` groups one table's operations and
says what kind of change it is. ``order.py`` turns the operations' steps into the run order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from dynaform.core import operations as ops
from dynaform.core.capabilities import Capabilities
from dynaform.core.compare import compare_table
from dynaform.core.live import LiveTable
from dynaform.core.model import Sse, TableSpec
from dynaform.core.operations import Operation
from dynaform.core.text import billing_text as billing_text
from dynaform.core.text import gsi_text as gsi_text
from dynaform.core.text import projection_text as projection_text
from dynaform.core.text import sse_text as sse_text

ChangeKind = Literal["create", "update", "index-rebuild", "table-rebuild", "delete"]
SEVERITY: dict[ChangeKind, int] = {
    "update": 1,
    "create": 2,
    "index-rebuild": 3,
    "delete": 4,
    "table-rebuild": 5,
}


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: str
    after: str
    reason: str = ""


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    logical: str
    table: str
    ops: tuple[Operation, ...] = ()
    desired: TableSpec | None = None
    live: TableSpec | None = None

    @property
    def fields(self) -> tuple[FieldChange, ...]:
        return tuple(
            FieldChange(op.field, op.before, op.after, op.reason) for op in self.ops if op.field
        )

    @property
    def blocked(self) -> str:
        """Why apply refuses it as planned ("" when it does not)."""
        return next((op.blocked for op in self.ops if op.blocked), "")

    @property
    def resuming(self) -> bool:
        """An interrupted TABLE REBUILD that apply finishes."""
        return any(op.type == "resume_rebuild" for op in self.ops)

    def field_names(self) -> set[str]:
        return {f.field for f in self.fields}


@dataclass(frozen=True)
class Diff:
    changes: tuple[Change, ...]
    skipped: dict[str, tuple[str, ...]] = field(default_factory=dict)
    unchanged: tuple[str, ...] = ()


# --- what the endpoint can hold ---------------------------------------------------------


def supported_view(spec: TableSpec, caps: Capabilities) -> tuple[TableSpec, tuple[str, ...]]:
    """The spec as this endpoint can hold it, and what had to be skipped."""
    updates: dict[str, object] = {}
    skipped: list[str] = []
    engine = {"dynamodb-local": "DynamoDB Local"}.get(caps.engine, caps.engine)
    if not caps.tags and spec.tags:
        updates["tags"] = {}
        skipped.append(f"tags ({engine} has no tags)")
    if not caps.pitr and spec.pitr:
        updates["pitr"] = False
        skipped.append(f"point-in-time recovery ({engine} has no PITR)")
    if not caps.sse and spec.sse != Sse():
        updates["sse"] = Sse()
        skipped.append(f"encryption {sse_text(spec.sse)} ({engine} has no SSE settings)")
    if not caps.table_class and spec.table_class != "STANDARD":
        updates["table_class"] = "STANDARD"
        skipped.append(f"table class {spec.table_class} ({engine} has no table classes)")
    if not caps.on_demand_limits:
        if spec.billing.on_demand is not None:
            updates["billing"] = spec.billing.model_copy(update={"on_demand": None})
            skipped.append(f"on-demand throughput limits ({engine} ignores them)")
        if any(g.on_demand for g in spec.gsis):
            updates["gsis"] = tuple(g.model_copy(update={"on_demand": None}) for g in spec.gsis)
            skipped.append(f"index on-demand throughput limits ({engine} ignores them)")
    return (spec.model_copy(update=updates) if updates else spec), tuple(skipped)


# --- grouping operations into changes ---------------------------------------------------


def classify(found: Iterable[Operation]) -> ChangeKind:
    types = {op.type for op in found}
    if "create_table" in types:
        return "create"
    if "delete_table" in types:
        return "delete"
    if types & {"rebuild_table", "resume_rebuild"}:
        return "table-rebuild"
    if "rebuild_index" in types:
        return "index-rebuild"
    return "update"


def resume_change(desired: TableSpec, live: LiveTable | None, holding: LiveTable) -> Change:
    """A TABLE REBUILD that was interrupted: its holding table still exists."""
    held = "?" if holding.item_count is None else f"{holding.item_count:,}"
    present = "missing" if live is None else f"{live.item_count or 0:,} item(s)"
    reason = (
        f"REBUILD INCOMPLETE: {holding.spec.name} holds {held} item(s), {desired.name} is "
        f"{present}; `dynaform apply` resumes it"
    )
    op = Operation("resume_rebuild", desired.name, "rebuild", f"{held} held", present, reason)
    return Change(
        "table-rebuild",
        desired.logical_name,
        desired.name,
        (op,),
        desired,
        None if live is None else live.spec,
    )


def diff_table(
    desired: TableSpec,
    live: LiveTable | None,
    caps: Capabilities,
    holding: LiveTable | None = None,
) -> Change | None:
    wanted, _ = supported_view(desired, caps)
    if holding is not None:
        return resume_change(wanted, live, holding)
    if live is None:
        create = Operation(
            "create_table", wanted.name, "", steps=tuple(ops.create_steps(wanted, caps))
        )
        return Change("create", desired.logical_name, desired.name, (create,), desired=wanted)
    found = compare_table(wanted, live.spec, caps)
    if not found:
        return None
    return Change(
        classify(found), desired.logical_name, desired.name, tuple(found), wanted, live.spec
    )


def delete_change(table: LiveTable) -> Change:
    """Deleting an undeclared table of this project (``--prune``)."""
    blocked = ""
    if table.spec.deletion_protection:
        blocked = (
            "deletion protection is on; turn it off first (AWS console, or "
            "`aws dynamodb update-table --no-deletion-protection-enabled`)"
        )
    lost = f"not declared; {table.item_count or 0} item(s) will be lost"
    steps = () if blocked else (ops.delete_table_step(table.spec.name),)
    op = Operation(
        "delete_table",
        table.spec.name,
        "table",
        table.spec.name,
        "-",
        lost,
        steps,
        blocked,
        table.item_count or 0,
    )
    return Change("delete", "", table.spec.name, (op,), live=table.spec)


def diff(
    desired: Iterable[TableSpec],
    live: Mapping[str, LiveTable | None],
    caps: Capabilities,
    prune: Iterable[LiveTable] = (),
    holding: Mapping[str, LiveTable] | None = None,
) -> Diff:
    """Every declared table against its live state; ``prune`` lists undeclared live tables of
    this project to delete; ``holding`` maps a declared table to the holding table of its
    unfinished TABLE REBUILD."""
    changes: list[Change] = []
    skipped: dict[str, tuple[str, ...]] = {}
    unchanged: list[str] = []
    for spec in desired:
        _, skips = supported_view(spec, caps)
        if skips:
            skipped[spec.name] = skips
        change = diff_table(spec, live.get(spec.name), caps, (holding or {}).get(spec.name))
        if change is None:
            unchanged.append(spec.name)
        else:
            changes.append(change)
    changes += [delete_change(table) for table in prune]
    return Diff(tuple(changes), skipped, tuple(unchanged))
