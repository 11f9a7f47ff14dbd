"""TableSpecs back to the project file's own words (pure): the inverse of ``resolve.to_spec``.

Used by ``dynaform export`` (live tables -> dynaform.yaml) and by the importers, which turn
foreign formats into DescribeTable-shaped records, normalize them and write them out here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dynaform.core.model import Gsi, KeyAttr, Projection, TableSpec

ENV_TAG = "environment"


def _key(key: KeyAttr) -> str | dict[str, str]:
    return key.name if key.type == "S" else {"name": key.name, "type": key.type}


def _projection(projection: Projection) -> str | dict[str, list[str]]:
    if projection.type == "INCLUDE":
        return {"include": list(projection.non_key)}
    return projection.type.lower()


def _gsi(gsi: Gsi, provisioned: bool) -> dict[str, Any]:
    raw: dict[str, Any] = {"partition_key": _key(gsi.partition_key)}
    if gsi.sort_key:
        raw["sort_key"] = _key(gsi.sort_key)
    if gsi.projection.type != "ALL":
        raw["projection"] = _projection(gsi.projection)
    if provisioned and gsi.throughput:
        raw |= {"read": max(1, gsi.throughput.read), "write": max(1, gsi.throughput.write)}
    if not provisioned and gsi.on_demand:
        raw |= {
            k: v
            for k, v in (
                ("max_read", gsi.on_demand.max_read),
                ("max_write", gsi.on_demand.max_write),
            )
            if v
        }
    return raw


def table_to_raw(spec: TableSpec, *, keep_env_tag: bool = False) -> dict[str, Any]:
    """A TableSpec as the `tables:` entry that declares it; defaults left out."""
    raw: dict[str, Any] = {"partition_key": _key(spec.partition_key)}
    if spec.sort_key:
        raw["sort_key"] = _key(spec.sort_key)
    provisioned = spec.billing.mode == "PROVISIONED"
    if provisioned and spec.billing.throughput:
        raw["billing"] = {
            "provisioned": {
                "read": max(1, spec.billing.throughput.read),
                "write": max(1, spec.billing.throughput.write),
            }
        }
    elif spec.billing.on_demand and (
        spec.billing.on_demand.max_read or spec.billing.on_demand.max_write
    ):
        limits = spec.billing.on_demand
        raw["billing"] = {
            "on_demand": {
                k: v
                for k, v in (("max_read", limits.max_read), ("max_write", limits.max_write))
                if v
            }
        }
    if spec.gsis:
        raw["indexes"] = {g.name: _gsi(g, provisioned) for g in spec.gsis}
    if spec.lsis:
        raw["local_indexes"] = {
            lsi.name: {"sort_key": _key(lsi.sort_key)}
            | ({"projection": _projection(lsi.projection)} if lsi.projection.type != "ALL" else {})
            for lsi in spec.lsis
        }
    if spec.ttl:
        raw["ttl"] = spec.ttl
    if spec.pitr:
        raw["point_in_time_recovery"] = True
    if spec.sse.kind == "aws_managed":
        raw["encryption"] = "aws_managed"
    elif spec.sse.kind == "kms":
        raw["encryption"] = {"kms_key": spec.sse.kms_key}
    if spec.stream:
        raw["stream"] = spec.stream.lower()
    if spec.deletion_protection:
        raw["deletion_protection"] = True
    if spec.table_class == "STANDARD_INFREQUENT_ACCESS":
        raw["table_class"] = "standard_ia"
    tags = {k: v for k, v in spec.tags.items() if keep_env_tag or k != ENV_TAG}
    if tags:
        raw["tags"] = tags
    return raw


def project_from_tables(
    name: str,
    specs: Iterable[TableSpec],
    *,
    env: str,
    target: dict[str, Any],
    keep_names: bool = True,
) -> dict[str, Any]:
    """A whole dynaform.yaml (as data) declaring ``specs`` in one environment. With
    ``keep_names`` each table keeps its physical name exactly (``physical_name``)."""
    tables: dict[str, Any] = {}
    for spec in specs:
        logical = spec.logical_name or spec.name
        raw = table_to_raw(spec)
        if keep_names and spec.name != logical:
            raw["physical_name"] = spec.name
        tables[logical] = raw
    return {
        "project": name,
        "naming": "{table}" if keep_names else "{project}-{env}-{table}",
        "default_env": env,
        "environments": {env: target},
        "tables": tables,
    }
