"""What every importer shares: its error, its result, and ``Place`` — where a value sits in
the file being imported, so a wrong shape is reported as
``template.yaml:7: Resources.Orders.Properties: expected a mapping, found a string``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dynaform.core.model import TableSpec
from dynaform.core.source import Located, Path_, SourceError, parse
from dynaform.errors import DynaformError

STAGE_NAMES = {"stage", "env", "environment", "envname", "stagename"}


class SourceFormatError(DynaformError):
    pass


@dataclass
class Imported:
    tables: list[TableSpec] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seed_items: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    env: str | None = None  # the stage the names were resolved for, when one was found
    patterns: dict[str, str] = field(default_factory=dict)  # logical -> physical_name pattern


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
