"""Seeding: items from seed files or a generator, checked, written, then verified."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from dynaform.core.source import SourceError, parse
from dynaform.data import ops
from dynaform.data.bulk import scan_pages
from dynaform.data.checks import item_problem
from dynaform.data.codec import CodecError, Decoder, Encoder
from dynaform.data.wire import WireClient
from dynaform.errors import DynaformError
from dynaform.seed.registry import Generator
from dynaform.seed.template import Context, TemplateError, render

TAGS = frozenset({"S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"})
Located = tuple[str, dict[str, Any]]  # (where it came from, wire item)
Shape = Callable[[str, dict[str, Any]], dict[str, Any]]  # (where, plain item) -> wire item


class SeedError(DynaformError):
    pass


@dataclass(frozen=True)
class SeedFile:
    path: Path
    table: str | None
    items: list[tuple[str, Any]]  # (file:line, item as written)
    dynamodb_json: bool


def looks_like_dynamodb_json(item: Any) -> bool:
    return (
        isinstance(item, dict)
        and bool(item)
        and all(
            isinstance(v, dict) and len(v) == 1 and next(iter(v)) in TAGS for v in item.values()
        )
    )


def load_seed_file(path: Path) -> SeedFile:
    """YAML / JSON (a list of items, or {table:, items:}) or JSON lines, with line numbers."""
    if path.suffix in {".jsonl", ".ndjson"}:
        entries: list[tuple[str, Any]] = []
        for index, line in enumerate(path.read_bytes().split(b"\n")):
            if not line.strip():
                continue
            try:
                value = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise SeedError(f"{path}:{index + 1}: not JSON ({exc})") from exc
            if isinstance(value, dict) and set(value) == {"Item"}:
                value = value["Item"]
            entries.append((f"{path}:{index + 1}", value))
        wire = bool(entries) and looks_like_dynamodb_json(entries[0][1])
        return SeedFile(path, None, entries, wire)
    try:
        located = parse(path)
    except SourceError as exc:
        raise SeedError(f"{exc.file}:{exc.line}: {exc.message}") from exc
    data = located.data
    table = None
    prefix: tuple[str | int, ...] = ()
    declared_format = None
    if isinstance(data, dict):
        unknown = set(data) - {"table", "items", "format"}
        if unknown or "items" not in data:
            raise SeedError(
                f"{path}: a seed file is a list of items, or has `items:` (and "
                f"optionally `table:` and `format:`); found {sorted(data)}"
            )
        table, declared_format = data.get("table"), data.get("format")
        data, prefix = data["items"], ("items",)
    if not isinstance(data, list):
        raise SeedError(f"{path}: `items` must be a list of items")
    entries = [(f"{path}:{located.line_of((*prefix, i))}", item) for i, item in enumerate(data)]
    if declared_format not in {None, "native", "dynamodb"}:
        raise SeedError(f"{path}: format must be native or dynamodb, not {declared_format!r}")
    wire = declared_format == "dynamodb" or (
        declared_format is None and bool(entries) and looks_like_dynamodb_json(entries[0][1])
    )
    return SeedFile(path, str(table) if table else None, entries, wire)


def prepare(
    entries: Iterable[tuple[str, Any]],
    *,
    dynamodb_json: bool,
    keys: dict[str, str],
    context: Context,
    shape: Shape | None = None,
) -> list[Located]:
    """Templates rendered, values encoded, key types checked: every problem before any write.
    ``shape`` (from the API: the project's entities) turns a rendered item into the item its
    entity writes, or refuses it naming ``where``."""
    encoder = Encoder(allow_float=True)
    prepared: list[Located] = []
    for number, (where, raw) in enumerate(entries, 1):
        context.seq = number
        if not isinstance(raw, dict):
            raise SeedError(
                f"{where}: an item is a mapping of attributes, not {type(raw).__name__}"
            )
        try:
            value = render(raw, context)
            if shape is not None:
                item = shape(where, Decoder().item(value) if dynamodb_json else value)
            else:
                item = value if dynamodb_json else encoder.item(value)
        except (TemplateError, CodecError) as exc:
            raise SeedError(f"{where}: {exc}") from exc
        check(where, item, keys)
        prepared.append((where, item))
    return prepared


def check(where: str, item: dict[str, Any], keys: dict[str, str]) -> None:
    """The item fits the table's keys and DynamoDB would store it, or SeedError naming it."""
    ops.check_item(item, keys, where)
    problem = item_problem(item, tuple(keys), len(orjson.dumps(item)))
    if problem:
        raise SeedError(f"{where}: {problem}", hint="fix the seed data; nothing was written")


@dataclass
class SeedReport:
    table: str
    written: int
    rejected: int
    total: int
    by: str | None
    counts: dict[str, int] = field(default_factory=dict)


def count_by(wire: WireClient, table: str, attribute: str) -> dict[str, int]:
    """Items per value of ``attribute`` (a projected scan)."""
    tally: Counter[str] = Counter()
    for page in scan_pages(wire, table, 4, projection="#a", names={"#a": attribute}):
        for item in page.items:
            value = item.get(attribute)
            tally[str(next(iter(value.values()))) if value else "(none)"] += 1
    return dict(sorted(tally.items(), key=lambda kv: (-kv[1], kv[0])))


def write(
    wire: WireClient,
    table: str,
    items: list[Located],
    *,
    clear: bool,
    report_by: str | None,
    rejects: Path,
    progress: Callable[[int], None] | None = None,
) -> SeedReport:
    keys = ops.key_schema(ops.describe(wire, table))[1]
    for where, item in items:  # all of it, before anything changes (--clear included)
        check(where, item, keys)
    if clear:
        ops.clear_table(wire, table, rejects=rejects)
    stats = ops.write_records(
        wire,
        table,
        ((i, item) for i, (_, item) in enumerate(items)),
        rejects=rejects,
        progress=progress,
        writer_options={"where": lambda position: items[position][0]},
    )
    counts = count_by(wire, table, report_by) if report_by else {}
    return SeedReport(
        table, stats.items, stats.rejected, ops.count_items(wire, table), report_by, counts
    )


def generate(
    gen: Generator,
    count: int,
    seed: int | None,
    options: dict[str, Any],
    exists: Callable[[dict[str, Any]], bool],
) -> Iterator[tuple[str, Any]]:
    """The generator's items with where they came from; same seed, same items."""
    from faker import Faker  # imported here: it is slow to import, and only seeding needs it

    rng = random.Random(seed)
    fake = Faker()
    fake.seed_instance(seed if seed is not None else rng.getrandbits(32))

    @dataclass
    class RunContext:
        now: datetime
        exists: Callable[[dict[str, Any]], bool]

    kwargs: dict[str, Any] = {}
    if gen.accepts_context:
        kwargs["context"] = RunContext(datetime.now(UTC), exists)
    for number, item in enumerate(gen.function(count, rng, fake, options, **kwargs), 1):
        yield f"generator {gen.name} item {number}", item


def parse_params(values: list[str]) -> dict[str, str]:
    params = {}
    for value in values:
        key, sep, text = value.partition("=")
        if not sep or not key:
            raise SeedError(f"--param {value!r} is not K=V")
        params[key.replace("-", "_")] = text
    return params


def seed_context(seed: int | None) -> Context:
    return Context(now=datetime.now(UTC), rng=random.Random(seed))
