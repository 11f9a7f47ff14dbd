"""What every importer shares: its error, its result, and ``Place`` — where a value sits in
the file being imported, so a wrong shape is reported as
``template.yaml:7: Resources.Orders.Properties: expected a mapping, found a string``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dynaform.core.model import TableSpec
from dynaform.core.source import Located, Path_, SourceError, parse
from dynaform.errors import DynaformError

STAGE_NAMES = {"stage", "env", "environment", "envname", "stagename"}
_PLACEHOLDER = re.compile(r"__var_([A-Za-z0-9_]+?)__")


def is_stage(name: str) -> bool:
    """``Stage``, ``pEnvironment``, ``EnvName``, ``deploy_stage`` … name the environment."""
    lowered = name.lower().lstrip("p") if name[:1] == "p" and name[1:2].isupper() else name.lower()
    return lowered in STAGE_NAMES or lowered.endswith(("stage", "environment", "_env"))


def placeholder(name: str) -> str:
    """What an unresolved parameter stands as in a value until the project is written: it is
    valid in a table name, and becomes ``{env}``, ``{NAME}`` or ``${NAME}`` there."""
    return f"__var_{name}__"


def unresolved_names(text: str) -> list[str]:
    return _PLACEHOLDER.findall(text)


def with_variables(value: Any, in_name: bool) -> Any:
    """Placeholders -> ``{env}`` for the stage, else the project variable: ``{NAME}`` in a
    name pattern, ``${NAME}`` in any other string."""
    if isinstance(value, str):
        return _PLACEHOLDER.sub(
            lambda m: (
                "{env}" if is_stage(m.group(1)) else ("{%s}" if in_name else "${%s}") % m.group(1)
            ),
            value,
        )
    if isinstance(value, list):
        return [with_variables(v, in_name) for v in value]
    if isinstance(value, dict):
        return {k: with_variables(v, in_name) for k, v in value.items()}
    return value


class SourceFormatError(DynaformError):
    pass


@dataclass
class Imported:
    tables: list[TableSpec] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seed_items: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    env: str | None = None  # the stage the names were resolved for, when one was found
    patterns: dict[str, str] = field(default_factory=dict)  # logical -> physical_name pattern
    # unresolved parameters that became project variables: name -> the value assumed
    variables: dict[str, str] = field(default_factory=dict)
    # per-environment overrides of tables (conditions on the stage): env -> logical -> fields
    overrides: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # tables whose Condition is false

    def settle(self) -> Imported:
        """Table names holding placeholders keep them as their name pattern (written as
        ``physical_name``) and are named for this import's environment, so a TableSpec's name
        is always a real name."""

        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            return (self.env or "dev") if is_stage(name) else self.variables.get(name, name)

        for index, spec in enumerate(self.tables):
            if unresolved_names(spec.name):
                self.patterns.setdefault(spec.logical_name, spec.name)
                self.tables[index] = spec.model_copy(
                    update={"name": _PLACEHOLDER.sub(value, spec.name)}
                )
        return self

    def unresolved(self, name: str, assumed: str, where: str) -> None:
        """Record a parameter with no value: the stage becomes ``{env}``, anything else a
        project variable with ``assumed`` as its default."""
        if name in self.variables:
            return
        if is_stage(name):
            note = f"{where}: {name} has no value; it is the environment (names use {{env}})"
            if note not in self.warnings:
                self.warnings.append(note)
            return
        self.variables[name] = assumed
        self.warnings.append(
            f"{where}: {name} has no value; it is the project variable `{name}` "
            f"(default {assumed!r}): set it under `vars:` or with --var {name}=VALUE"
        )


def dotted(path: Path_) -> str:
    """("Resources", "T", "KeySchema", 0) -> "Resources.T.KeySchema[0]"."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


@dataclass(frozen=True)
class Place:
    """A path in a foreign document; its line comes from the document when known (0: not)."""

    doc: Located
    path: Path_ = ()

    def at(self, *parts: str | int) -> Place:
        return Place(self.doc, (*self.path, *parts))

    def __str__(self) -> str:
        line = self.doc.line_of(self.path)
        head = f"{self.doc.file}:{line}" if line else str(self.doc.file)
        return f"{head}: {dotted(self.path)}" if self.path else head

    def error(self, message: str, hint: str | None = None) -> SourceFormatError:
        return SourceFormatError(f"{self}: {message}", hint=hint)


def read_document(text: str | bytes, source: str) -> Located:
    """YAML or JSON with CloudFormation short forms and merge keys, bounded like every file
    dynaform reads (see ``core.source``)."""
    try:
        return parse(Path(source), text, foreign=True)
    except SourceError as exc:
        raise SourceFormatError(str(exc)) from None


def with_data(doc: Located, data: Any) -> Located:
    """The same document's lines for a transformed copy of its data (same paths)."""
    return Located(doc.file, data, doc.lines, doc.find_lines)


def to_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)
