"""``seed`` through the one door: choose the source (seed files or a generator), the target
table (protection follows it), render and check every item, then write."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dynaform.api.binding import Binding, translated
from dynaform.api.data import DataTable, data_table
from dynaform.errors import UsageError


@dataclass
class SeedRequest:
    files: list[Path] = field(default_factory=list)
    generator: str | None = None
    table: str | None = None
    count: int | None = None
    seed: int | None = None
    clear: bool = False
    params: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)  # generator options as typed
    report_by: str | None = None


@dataclass
class PreparedSeed:
    table: DataTable
    items: list[Any]  # rendered, encoded and checked against the key schema
    report_by: str | None
    clear: bool


def list_generators() -> list[Any]:
    from dynaform.seed import builtin, registry  # noqa: F401 - registers the built-in generators

    return sorted(registry.REGISTRY.values(), key=lambda g: g.name)


def _sources(binding: Binding, request: SeedRequest) -> tuple[list[Path], list[str]]:
    """Seed files (the environment's own when none given) and leftover generator options."""
    project, env = binding.project, binding.env
    tokens = [str(f) for f in request.files] + list(request.extra)
    extra = tokens if request.generator else [t for t in tokens if t.startswith("-")]
    files = [] if request.generator else [Path(t) for t in tokens if not t.startswith("-")]
    if project is not None and env is not None and not files and not request.generator:
        files = [project.directory / f for f in project.environment(env).seeds]
    if bool(files) == bool(request.generator):
        raise UsageError(
            "seed from files or from a generator, one of them",
            hint="pass SEED_FILE... or --generator NAME (see --list)",
        )
    if files and extra:
        raise UsageError(f"unexpected arguments {' '.join(extra)}")
    return files, extra


@dataclass
class SeedSource:
    """Where the items come from and where they go, before anything is rendered."""

    request: SeedRequest
    table: DataTable
    loaded: list[Any]  # seed files
    generator: Any = None
    options: dict[str, Any] = field(default_factory=dict)
    report_by: str | None = None


def seed_source(binding: Binding, request: SeedRequest) -> SeedSource:
    """The seed files or generator, and the target table (its protection decided from it)."""
    from dynaform.seed import registry
    from dynaform.seed.run import load_seed_file, parse_params

    if binding.project is not None and binding.project.raw.generators:
        registry.discover(binding.project.raw.generators, binding.project.directory)
    files, extra = _sources(binding, request)
    if request.generator:
        gen = registry.find(request.generator)
        options = registry.parse_options(gen, extra, parse_params(request.params))
        name = request.table or gen.table
        if not name:
            raise UsageError("which table?", hint="pass --table NAME")
        return SeedSource(
            request, data_table(binding, name), [], gen, options, request.report_by or gen.report_by
        )
    loaded = [load_seed_file(path) for path in files]
    tables = {f.table for f in loaded if f.table}
    name = request.table or (tables.pop() if len(tables) == 1 else None)
    if not name:
        raise UsageError("which table?", hint="pass --table NAME (or `table:` in the seed file)")
    return SeedSource(request, data_table(binding, name), loaded, report_by=request.report_by)


def prepare_seed(source: SeedSource) -> PreparedSeed:
    """Everything is rendered, encoded and checked before the first write (and before any
    --clear): invalid seed data changes nothing."""
    from dynaform.api.appconfig import seed_shape
    from dynaform.data import ops
    from dynaform.data.codec import marshal
    from dynaform.seed.run import generate, prepare, seed_context

    request, table = source.request, source.table
    context = seed_context(request.seed)
    shape = seed_shape(table.binding, table.name)  # the project's entities of this table
    wire = table.wire()
    with translated(table.target):
        keys = ops.key_schema(ops.describe(wire, table.name))[1]

        def exists(key: dict[str, Any]) -> bool:
            if request.clear:  # the table is emptied before writing
                return False
            return "Item" in wire.call("GetItem", {"TableName": table.name, "Key": marshal(key)})

        gen = source.generator
        if gen is not None:
            number = gen.default_count if request.count is None else request.count
            entries = generate(gen, number, request.seed, source.options, exists)
            items = prepare(
                entries, dynamodb_json=gen.wire, keys=keys, context=context, shape=shape
            )
        else:
            items = [
                item
                for seed_file in source.loaded
                for item in prepare(
                    seed_file.items,
                    dynamodb_json=seed_file.dynamodb_json,
                    keys=keys,
                    context=context,
                    shape=shape,
                )
            ]
    return PreparedSeed(table, items, source.report_by, request.clear)


def run_seed(prepared: PreparedSeed, rejects: Path, progress: Any = None) -> Any:
    from dynaform.seed.run import write

    table = prepared.table
    with translated(table.target):
        return write(
            table.wire(),
            table.name,
            prepared.items,
            clear=prepared.clear,
            report_by=prepared.report_by,
            rejects=rejects,
            progress=progress,
        )
