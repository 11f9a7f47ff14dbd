"""What an application needs from the project file for one environment: its tables' physical
names and index names, under variable names derived from the logical names.

    ITEMS_TABLE_NAME=items-prod
    ITEMS_STATUS_INDEX_INDEX_NAME=status-index

The names are overridable in the project file (``env_vars: {items: ITEMS_TABLE}``; an index
as ``items/status-index``). Pure: a Project in, text out (``dynaform env-vars`` prints it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from dynaform.core.load import Project
from dynaform.core.model import TableSpec
from dynaform.errors import ConfigError, UsageError

FORMATS = ("dotenv", "json", "shell", "python", "typescript")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass(frozen=True)
class AppVariable:
    name: str  # ITEMS_TABLE_NAME
    value: str  # items-prod
    table: str  # logical table name
    index: str | None = None  # index name, for an index's variable


@dataclass(frozen=True)
class AppConfig:
    project: str
    env: str
    variables: tuple[AppVariable, ...]

    @property
    def tables(self) -> dict[str, str]:
        """Logical -> physical table names (what ``Store(tables=...)`` takes)."""
        return {v.table: v.value for v in self.variables if v.index is None}

    def as_dict(self) -> dict[str, str]:
        return {v.name: v.value for v in self.variables}


def derived_name(logical: str, index: str | None = None, prefix: str = "") -> str:
    """``items`` -> ITEMS_TABLE_NAME; ``main`` + ``GSI1-YearView`` ->
    MAIN_GSI1_YEAR_VIEW_INDEX_NAME (camel case and punctuation become underscores)."""

    def words(text: str) -> str:
        spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text)
        return re.sub(r"[^A-Za-z0-9]+", "_", spaced).strip("_").upper()

    base = words(logical) + (f"_{words(index)}_INDEX_NAME" if index else "_TABLE_NAME")
    name = prefix + base
    return name if not name[0].isdigit() else f"_{name}"


def app_config(project: Project, env: str, prefix: str = "") -> AppConfig:
    """The environment's tables and indexes as variables, overrides from ``env_vars:``."""
    overrides: Mapping[str, str] = project.raw.env_vars
    specs = project.resolve(env)
    known = {s.logical_name for s in specs}
    known |= {f"{s.logical_name}/{index}" for s in specs for index in _index_names(s)}
    for key, value in overrides.items():
        if key not in known:
            raise ConfigError(
                f"{project.file.name}: env_vars names {key!r}, which is no table (or "
                "table/index) of the project",
                hint=f"use one of: {', '.join(sorted(known))}",
            )
        if not _IDENTIFIER.match(value):
            raise ConfigError(
                f"{project.file.name}: env_vars.{key}: {value!r} is not a variable name",
                hint="use letters, digits and underscores, e.g. ITEMS_TABLE",
            )
    variables: list[AppVariable] = []
    for spec in sorted(specs, key=lambda s: s.logical_name):
        logical = spec.logical_name
        name = overrides.get(logical) or derived_name(logical, prefix=prefix)
        variables.append(AppVariable(name, spec.name, logical))
        for index in _index_names(spec):
            key = f"{logical}/{index}"
            var = overrides.get(key) or derived_name(logical, index, prefix)
            variables.append(AppVariable(var, index, logical, index))
    _refuse_clashes(variables)
    return AppConfig(project.name, env, tuple(variables))


def _index_names(spec: TableSpec) -> list[str]:
    return sorted([g.name for g in spec.gsis] + [lsi.name for lsi in spec.lsis])


def _refuse_clashes(variables: list[AppVariable]) -> None:
    seen: dict[str, AppVariable] = {}
    for var in variables:
        other = seen.setdefault(var.name, var)
        if other is not var:
            raise ConfigError(
                f"two names map to the variable {var.name}: {_label(other)} and {_label(var)}",
                hint="give one of them its own name under `env_vars:` in the project file",
            )


def _label(var: AppVariable) -> str:
    return f"{var.table}/{var.index}" if var.index else var.table


# --- rendering ----------------------------------------------------------------------------


def _quoted(value: str) -> str:
    """Single-quoted for POSIX shells (a quote inside closes, escapes, reopens)."""
    return "'" + value.replace("'", "'\"'\"'") + "'"


def _dotenv(config: AppConfig) -> str:
    lines = [f"# {config.project} / {config.env} (dynaform env-vars)"]
    lines += [f"{v.name}={v.value}" for v in config.variables]
    return "\n".join(lines) + "\n"


def _shell(config: AppConfig) -> str:
    lines = [f'# {config.project} / {config.env}: eval "$(dynaform env-vars --format shell)"']
    lines += [f"export {v.name}={_quoted(v.value)}" for v in config.variables]
    return "\n".join(lines) + "\n"


def _json(config: AppConfig) -> str:
    return json.dumps(config.as_dict(), indent=2) + "\n"


def _python(config: AppConfig) -> str:
    lines = [
        f'"""Table names of {config.project} / {config.env}: written by `dynaform env-vars`."""',
        "",
        f"ENVIRONMENT = {json.dumps(config.env)}",
    ]
    lines += [f"{v.name} = {json.dumps(v.value)}" for v in config.variables]
    tables = ", ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in config.tables.items())
    lines += ["", "# logical -> physical, for dynaform.entities.Store(tables=TABLES)"]
    lines.append(f"TABLES = {{{tables}}}")
    return "\n".join(lines) + "\n"


def _typescript(config: AppConfig) -> str:
    lines = [
        f"// Table names of {config.project} / {config.env}: written by `dynaform env-vars`.",
        "",
        f"export const ENVIRONMENT = {json.dumps(config.env)} as const;",
    ]
    lines += [f"export const {v.name} = {json.dumps(v.value)} as const;" for v in config.variables]
    tables = ", ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in config.tables.items())
    lines.append(f"export const TABLES = {{ {tables} }} as const;")
    return "\n".join(lines) + "\n"


RENDERERS: dict[str, Callable[[AppConfig], str]] = {
    "dotenv": _dotenv,
    "json": _json,
    "shell": _shell,
    "python": _python,
    "typescript": _typescript,
}


def render(config: AppConfig, fmt: str) -> str:
    try:
        return RENDERERS[fmt](config)
    except KeyError:
        raise UsageError(
            f"unknown format {fmt!r}", hint=f"use one of: {', '.join(FORMATS)}"
        ) from None
