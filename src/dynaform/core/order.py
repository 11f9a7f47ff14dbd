"""Operations -> steps: one DynamoDB call each, in an order DynamoDB accepts (pure).

DynamoDB's rules this follows: one GSI create or delete per UpdateTable, and the next only once
the previous is ACTIVE (or gone) and backfilled; billing, SSE, stream and deletion protection
changes in calls of their own; TTL through UpdateTimeToLive, PITR through
UpdateContinuousBackups, tags through TagResource/UntagResource; a stream's view type changes
by disabling it first. Each step carries its phase (``operations.py``); ordering is a stable
sort of a table's steps by phase, tables in plan order.
"""

from __future__ import annotations

from collections.abc import Iterable

from dynaform.core.capabilities import Capabilities
from dynaform.core.diff import Change
from dynaform.core.operations import Step


def table_steps(change: Change) -> list[Step]:
    """One change's steps: CreateTable's own sequence as is, otherwise by phase."""
    steps = [step for op in change.ops for step in op.steps]
    if change.kind == "create":
        return steps
    return sorted(steps, key=lambda step: step.phase)


def order(changes: Iterable[Change], caps: Capabilities | None = None) -> list[Step]:
    """All steps of a plan. Blocked changes (rebuilds, protected deletes) get none: a rebuild
    creates the table as declared, so its other operations need no steps of their own."""
    return [step for change in changes if not change.blocked for step in table_steps(change)]
