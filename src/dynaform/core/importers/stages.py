"""Conditions on the stage: a template whose tables depend on its stage parameter (``IsProd``
-> provisioned, else on demand; often as two conditional resources sharing a TableName) is
imported once per allowed stage value, and what differs becomes a per-environment override of
the one table the default stage declares."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from dynaform.core.exporters import table_to_raw
from dynaform.core.importers.common import Imported, is_stage, with_variables
from dynaform.core.model import TableSpec

# a field the override leaves out still has its declared value; these defaults undo it
_DEFAULTS = {"billing": "on_demand", "point_in_time_recovery": False, "deletion_protection": False}


def stage_parameter(parameters: Any, params: Mapping[str, str]) -> tuple[str, list[str]] | None:
    """The stage parameter and its AllowedValues, when it has some and no --param fixed it."""
    if not isinstance(parameters, dict):
        return None
    for name, body in parameters.items():
        allowed = body.get("AllowedValues") if isinstance(body, dict) else None
        if is_stage(str(name)) and isinstance(allowed, list) and name not in params:
            return str(name), [str(v) for v in allowed]
    return None


def _key(result: Imported, spec: TableSpec) -> str:
    return str(with_variables(result.patterns.get(spec.logical_name) or spec.name, True))


def add_stage_overrides(
    result: Imported,
    stage: str,
    values: list[str],
    current: str,
    import_for: Callable[[str], Imported],
) -> None:
    """Per-environment overrides for every other allowed stage value."""
    mine = {_key(result, spec): spec for spec in result.tables}
    for value in values:
        if value == current:
            continue
        other = import_for(value)
        result.overrides.setdefault(value, {})  # every allowed stage is an environment
        for spec in other.tables:
            base = mine.get(_key(other, spec))
            if base is None:
                result.warnings.append(
                    f"{spec.logical_name} exists only when {stage} is {value}; left out"
                )
                continue
            diff = _difference(table_to_raw(base), table_to_raw(spec), result.warnings)
            if diff:
                result.overrides.setdefault(value, {})[base.logical_name] = diff
                result.warnings.append(
                    f"{base.logical_name}: differs when {stage} is {value} "
                    f"({', '.join(sorted(diff))}); written as environment {value}'s override"
                )


def _difference(base: dict[str, Any], other: dict[str, Any], warnings: list[str]) -> dict[str, Any]:
    diff = {k: v for k, v in other.items() if base.get(k) != v and k != "tags"}
    for key in set(base) - set(other) - {"tags"}:
        if key in _DEFAULTS:
            diff[key] = _DEFAULTS[key]
        else:
            warnings.append(f"{key} cannot be undone in an override; edit it by hand")
    return diff
