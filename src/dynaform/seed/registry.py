"""Generators: Python functions that yield items, registered with a decorator.

    from dynaform.seed import Option, generator

    @generator("orders", table="orders", options=[Option("customers", int, 10, "How many")])
    def orders(count, rng, fake, options):
        for n in range(count):
            yield {"pk": f"ORDER#{n}", "customer": rng.randrange(options["customers"])}

A generator receives the item count, a seeded ``random.Random``, a seeded Faker and its options
(declared options become command-line options: ``--customers 5``). It may also receive
``context`` (keyword) with the run's ``now`` and the ``ensure`` helper for items that must exist
once (see the calendar generator).
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dynaform.errors import DynaformError, UsageError

Item = dict[str, Any]
GeneratorFunction = Callable[..., Iterator[Item]]


@dataclass(frozen=True)
class Option:
    name: str
    type: Callable[[str], Any] = str
    default: Any = None
    help: str = ""
    required: bool = False


@dataclass(frozen=True)
class Generator:
    name: str
    function: GeneratorFunction
    table: str | None = None
    options: tuple[Option, ...] = ()
    report_by: str | None = None
    default_count: int = 50
    description: str = ""
    accepts_context: bool = field(default=False)
    wire: bool = False  # items come as DynamoDB JSON already


REGISTRY: dict[str, Generator] = {}


def generator(
    name: str,
    *,
    table: str | None = None,
    options: list[Option] | tuple[Option, ...] = (),
    report_by: str | None = None,
    count: int = 50,
    wire: bool = False,
) -> Callable[[GeneratorFunction], GeneratorFunction]:
    """Register ``function`` as the generator ``name`` (its docstring is its help)."""

    def register(function: GeneratorFunction) -> GeneratorFunction:
        parameters = inspect.signature(function).parameters
        REGISTRY[name] = Generator(
            name=name,
            function=function,
            table=table,
            options=tuple(options),
            report_by=report_by,
            default_count=count,
            description=(inspect.getdoc(function) or "").split("\n\n")[0],
            accepts_context="context" in parameters,
            wire=wire,
        )
        return function

    return register


def discover(patterns: list[str], base: Path) -> None:
    """Import the project's generator modules (``seeds/*.py``) so their decorators run."""
    for pattern in patterns:
        matches = sorted(base.glob(pattern))
        if not matches:
            raise DynaformError(
                f"generators pattern {pattern!r} matches no file in {base}",
                hint="fix `generators:` in dynaform.yaml",
            )
        for path in matches:
            name = f"dynaform_project_seeds.{path.stem}"
            spec = importlib.util.spec_from_file_location(name, path)
            if spec is None or spec.loader is None:
                raise DynaformError(f"cannot load generator module {path}")
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            try:
                spec.loader.exec_module(module)
            except Exception as exc:
                raise DynaformError(
                    f"{path} failed to load: {exc}", hint="run it with python to see the traceback"
                ) from exc


def find(name: str) -> Generator:
    from dynaform.seed import builtin  # noqa: F401 - registers the built-in generators

    found = REGISTRY.get(name)
    if found is None:
        import difflib

        close = difflib.get_close_matches(name, list(REGISTRY), n=1)
        raise UsageError(
            f"no generator named {name!r}; there are: {', '.join(sorted(REGISTRY))}",
            hint=f"did you mean '{close[0]}'?" if close else "see `dynaform seed --list`",
        )
    return found


def parse_options(gen: Generator, extra: list[str], params: dict[str, str]) -> dict[str, Any]:
    """``--calendar-id X --highlighted-day 2024-06-15`` (and ``--param k=v``) -> options."""
    by_flag = {"--" + o.name.replace("_", "-"): o for o in gen.options}
    raw: dict[str, str] = dict(params)
    index = 0
    while index < len(extra):
        token = extra[index]
        flag, _, inline = token.partition("=")
        option = by_flag.get(flag)
        if option is None:
            known = ", ".join(by_flag) or "none"
            raise UsageError(f"{gen.name} has no option {flag}", hint=f"its options: {known}")
        if inline:
            raw[option.name] = inline
        elif index + 1 < len(extra):
            raw[option.name] = extra[index + 1]
            index += 1
        else:
            raise UsageError(f"{flag} needs a value")
        index += 1
    values: dict[str, Any] = {}
    for option in gen.options:
        if option.name in raw:
            try:
                values[option.name] = option.type(raw[option.name])
            except (ValueError, TypeError) as exc:
                raise UsageError(
                    f"--{option.name.replace('_', '-')}: {exc}", hint=option.help
                ) from exc
        elif option.required:
            raise UsageError(
                f"{gen.name} needs --{option.name.replace('_', '-')}", hint=option.help
            )
        else:
            values[option.name] = option.default() if callable(option.default) else option.default
    unknown = set(raw) - {o.name for o in gen.options}
    if unknown:
        raise UsageError(f"{gen.name} has no parameter {sorted(unknown)[0]!r}")
    return values
