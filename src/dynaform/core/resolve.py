"""From the file as written to TableSpecs for one environment (pure)."""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from typing import Any

from dynaform.core import model as m
from dynaform.core.source import merge

PLACEHOLDERS = frozenset({"project", "env", "table"})


def placeholders(pattern: str) -> set[str]:
    """Field names used in a naming pattern; raises ValueError on broken braces."""
    return {name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None}


def physical_name(
    pattern: str, project: str, env: str, table: str, variables: Mapping[str, str] | None = None
) -> str:
    """The pattern filled in; ``variables`` are the project variables (``{NAME}``)."""
    values = {**(variables or {}), "project": project, "env": env, "table": table}
    return pattern.format_map(values)


def name_matcher(
    pattern: str, project: str, env: str, variables: Mapping[str, str] | None = None
) -> re.Pattern[str]:
    """A regex matching every physical name the pattern gives in this environment."""
    values = {**(variables or {}), "project": project, "env": env}
    parts = []
    for literal, name, _, _ in string.Formatter().parse(pattern):
        parts.append(re.escape(literal))
        if name == "table":
            parts.append(r"(?P<table>[A-Za-z0-9_.\-]+)")
        elif name is not None:
            parts.append(re.escape(values.get(name, env)))
    return re.compile("".join(parts) + r"\Z")


def _key(value: m.KeyField | None) -> m.KeyAttr | None:
    if value is None:
        return None
    if isinstance(value, str):
        return m.KeyAttr(name=value, type="S")
    return m.KeyAttr(name=value.name, type=value.type)


def _projection(value: m.ProjectionField) -> m.Projection:
    if value == "all":
        return m.Projection(type="ALL")
    if value == "keys_only":
        return m.Projection(type="KEYS_ONLY")
    assert isinstance(value, m.RawInclude)
    return m.Projection(type="INCLUDE", non_key=tuple(sorted(value.include)))


def _billing(value: m.BillingField) -> m.Billing:
    if isinstance(value, m.RawProvisioned):
        capacity = value.provisioned
        return m.Billing(
            mode="PROVISIONED", throughput=m.Throughput(read=capacity.read, write=capacity.write)
        )
    if isinstance(value, m.RawOnDemand) and (value.on_demand.max_read or value.on_demand.max_write):
        limits = m.OnDemandLimits(
            max_read=value.on_demand.max_read, max_write=value.on_demand.max_write
        )
        return m.Billing(mode="PAY_PER_REQUEST", on_demand=limits)
    return m.Billing(mode="PAY_PER_REQUEST")


def _sse(value: m.EncryptionField) -> m.Sse:
    if isinstance(value, m.RawKms):
        return m.Sse(kind="kms", kms_key=value.kms_key)
    return m.Sse(kind=value)


def _gsi(name: str, raw: m.RawGsi) -> m.Gsi:
    key = _key(raw.partition_key)
    assert key is not None
    throughput = None
    if raw.read is not None or raw.write is not None:
        throughput = m.Throughput(read=raw.read or 0, write=raw.write or 0)
    on_demand = None
    if raw.max_read is not None or raw.max_write is not None:
        on_demand = m.OnDemandLimits(max_read=raw.max_read, max_write=raw.max_write)
    return m.Gsi(
        name=name,
        partition_key=key,
        sort_key=_key(raw.sort_key),
        projection=_projection(raw.projection),
        throughput=throughput,
        on_demand=on_demand,
    )


def to_spec(logical: str, physical: str, raw: m.RawTable, tags: Mapping[str, str]) -> m.TableSpec:
    partition = _key(raw.partition_key)
    assert partition is not None
    lsis = []
    for name, lsi in raw.local_indexes.items():
        sort = _key(lsi.sort_key)
        assert sort is not None
        lsis.append(m.Lsi(name=name, sort_key=sort, projection=_projection(lsi.projection)))
    return m.TableSpec(
        logical_name=logical,
        name=physical,
        partition_key=partition,
        sort_key=_key(raw.sort_key),
        billing=_billing(raw.billing),
        gsis=tuple(_gsi(name, gsi) for name, gsi in raw.indexes.items()),
        lsis=tuple(lsis),
        ttl=raw.ttl,
        pitr=raw.point_in_time_recovery,
        sse=_sse(raw.encryption),
        stream=raw.stream.upper() if raw.stream else None,  # type: ignore[arg-type]
        deletion_protection=raw.deletion_protection,
        table_class="STANDARD" if raw.table_class == "standard" else "STANDARD_INFREQUENT_ACCESS",
        tags=dict(tags),
    )


def merged_table(
    table: Mapping[str, Any], defaults: Mapping[str, Any], override: Mapping[str, Any]
) -> dict[str, Any]:
    """Environment defaults < the table as declared < the environment's override of it."""
    return merge(merge(defaults, table), override)
