"""DynamoDB's own rules, checked before any call (pure).

Each finding is (table, path inside the table's declaration, message, fix); the loader turns the
path into ``file:line``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dynaform.core.model import KeyAttr, TableSpec

NAME_RE = re.compile(r"[A-Za-z0-9_.\-]+")
MAX_GSIS = 20
MAX_LSIS = 5
MAX_PROJECTED = 100  # non-key attributes projected, summed over all of a table's indexes
MAX_TAGS = 50


@dataclass(frozen=True)
class Finding:
    table: str
    path: tuple[str | int, ...]
    message: str
    fix: str


def without_projected_keys(spec: TableSpec) -> tuple[TableSpec, list[str]]:
    """An INCLUDE projection that lists the table's or the index's own key attributes (which
    DynamoDB accepts and always projects anyway) without them, and a note for each."""
    table_keys = {spec.partition_key.name} | ({spec.sort_key.name} if spec.sort_key else set())
    notes: list[str] = []

    def trimmed(index: Any, own: set[str]) -> Any:
        keys = table_keys | own
        dropped = sorted(set(index.projection.non_key) & keys)
        if not dropped:
            return index
        notes.append(
            f"{spec.logical_name or spec.name}: index {index.name} includes key attribute(s) "
            f"{', '.join(dropped)}, always projected; left out of include"
        )
        kept = tuple(a for a in index.projection.non_key if a not in keys)
        projection = index.projection.model_copy(
            update={"non_key": kept} if kept else {"type": "KEYS_ONLY", "non_key": ()}
        )
        return index.model_copy(update={"projection": projection})

    gsis = tuple(
        trimmed(g, {g.partition_key.name} | ({g.sort_key.name} if g.sort_key else set()))
        for g in spec.gsis
    )
    lsis = tuple(trimmed(i, {i.sort_key.name}) for i in spec.lsis)
    if not notes:
        return spec, notes
    return spec.model_copy(update={"gsis": gsis, "lsis": lsis}), notes


def check_name(kind: str, name: str) -> str | None:
    if not 3 <= len(name) <= 255:
        return f"{kind} name {name!r} has {len(name)} characters; DynamoDB allows 3 to 255"
    if not NAME_RE.fullmatch(name):
        return f"{kind} name {name!r} may only contain letters, digits, '_', '-' and '.'"
    return None


def _keys(spec: TableSpec) -> Iterator[tuple[tuple[str | int, ...], KeyAttr]]:
    yield ("partition_key",), spec.partition_key
    if spec.sort_key:
        yield ("sort_key",), spec.sort_key
    for gsi in spec.gsis:
        yield ("indexes", gsi.name, "partition_key"), gsi.partition_key
        if gsi.sort_key:
            yield ("indexes", gsi.name, "sort_key"), gsi.sort_key
    for lsi in spec.lsis:
        yield ("local_indexes", lsi.name, "sort_key"), lsi.sort_key


def check_table(spec: TableSpec) -> list[Finding]:
    """Every rule DynamoDB would refuse this table for, as findings."""
    return [
        Finding(spec.logical_name, path, message, fix)
        for check in (_names, _counts, _key_types, _projections, _capacities, _settings)
        for path, message, fix in check(spec)
    ]


Rule = tuple[tuple[str | int, ...], str, str]  # (path in the table, message, fix)


def _names(spec: TableSpec) -> Iterator[Rule]:
    problem = check_name("table", spec.name)
    if problem:
        yield ("physical_name",), problem, "rename the table or change the naming rule"
    sections: dict[str, str] = {}
    for section, names in (
        ("indexes", [g.name for g in spec.gsis]),
        ("local_indexes", [i.name for i in spec.lsis]),
    ):
        for name in names:
            problem = check_name("index", name)
            if problem:
                yield (section, name), problem, "rename the index"
            if name in sections:
                yield (
                    (section, name),
                    f"index name {name!r} is used twice",
                    "give each index of a table its own name",
                )
            sections[name] = section


def _counts(spec: TableSpec) -> Iterator[Rule]:
    if len(spec.gsis) > MAX_GSIS:
        yield (
            ("indexes",),
            f"{len(spec.gsis)} global indexes; DynamoDB allows {MAX_GSIS}",
            "remove some, or ask AWS for a higher quota and split the change",
        )
    if len(spec.lsis) > MAX_LSIS:
        yield (
            ("local_indexes",),
            f"{len(spec.lsis)} local indexes; DynamoDB allows {MAX_LSIS}",
            "remove some",
        )
    if spec.lsis and spec.sort_key is None:
        yield (
            ("local_indexes",),
            "local indexes need the table to have a sort key",
            "add `sort_key:` to the table, or make these global indexes (`indexes:`)",
        )


def _key_types(spec: TableSpec) -> Iterator[Rule]:
    """An attribute has one type across the table and its indexes."""
    seen: dict[str, tuple[str, tuple[str | int, ...]]] = {}
    for path, key in _keys(spec):
        first = seen.get(key.name)
        if first and first[0] != key.type:
            where = ".".join(str(p) for p in first[1])
            yield (
                path,
                f"attribute {key.name!r} is type {key.type} here but {first[0]} at {where}",
                "an attribute has one type across the table and its indexes",
            )
        seen.setdefault(key.name, (key.type, path))


def _projections(spec: TableSpec) -> Iterator[Rule]:
    projected: set[str] = set()
    for section, index_name, projection in [
        *(("indexes", g.name, g.projection) for g in spec.gsis),
        *(("local_indexes", i.name, i.projection) for i in spec.lsis),
    ]:
        path = (section, index_name, "projection")
        if len(set(projection.non_key)) != len(projection.non_key):
            yield path, "an attribute is listed twice in include", "list each attribute once"
        projected |= set(projection.non_key)
    if len(projected) > MAX_PROJECTED:
        yield (
            ("indexes",),
            f"{len(projected)} distinct attributes in include projections; "
            f"DynamoDB allows {MAX_PROJECTED} per table",
            "project fewer, or use `all`",
        )


def _capacities(spec: TableSpec) -> Iterator[Rule]:
    provisioned = spec.billing.mode == "PROVISIONED"
    for gsi in spec.gsis:
        path = ("indexes", gsi.name)
        if provisioned and gsi.throughput is None:
            yield (
                path,
                "the table is provisioned, so this index needs capacity",
                "add `read: N` and `write: N` to the index",
            )
        elif provisioned and gsi.throughput and not (gsi.throughput.read and gsi.throughput.write):
            yield path, "an index needs both read and write capacity", "add the missing one"
        if not provisioned and gsi.throughput is not None:
            yield (
                path,
                "read/write capacity is only for provisioned tables",
                "remove read/write, or use max_read/max_write to cap on-demand throughput",
            )
        if provisioned and gsi.on_demand is not None:
            yield (
                path,
                "max_read/max_write apply to on-demand tables only",
                "remove them, or set the table's billing to on_demand",
            )


def _settings(spec: TableSpec) -> Iterator[Rule]:
    if spec.ttl is not None and not 1 <= len(spec.ttl) <= 255:
        yield ("ttl",), "the TTL attribute name must have 1 to 255 characters", "fix the name"
    if len(spec.tags) > MAX_TAGS:
        yield ("tags",), f"{len(spec.tags)} tags; DynamoDB allows {MAX_TAGS}", "drop some tags"


def check_tags(tags: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """(tag key, message, fix) for each tag DynamoDB would refuse."""
    found = []
    for tag, value in tags.items():
        if tag.lower().startswith("aws:"):
            found.append((tag, f"tag key {tag!r} uses the reserved prefix aws:", "rename it"))
        if not 1 <= len(tag) <= 128:
            found.append((tag, "tag keys have 1 to 128 characters", "shorten it"))
        if len(value) > 256:
            found.append((tag, "tag values have at most 256 characters", "shorten it"))
    return found


def check_tables(specs: Sequence[TableSpec]) -> list[Finding]:
    found = [finding for spec in specs for finding in check_table(spec)]
    owners: dict[str, str] = {}
    for spec in specs:
        other = owners.get(spec.name)
        if other is not None:
            found.append(
                Finding(
                    spec.logical_name,
                    ("physical_name",),
                    f"physical name {spec.name!r} is also table {other!r}'s",
                    "give one of them its own physical_name",
                )
            )
        owners[spec.name] = spec.logical_name
    return found
