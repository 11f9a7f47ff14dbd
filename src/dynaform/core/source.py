"""YAML/JSON documents with the line of every value, so errors can say ``file:line``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Path_ = tuple[str | int, ...]


@dataclass
class Located:
    """A parsed document and where each value (by path) starts: 1-based line numbers."""

    file: Path
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, path: Path_) -> int:
        """The line of ``path``, or of its nearest ancestor that has one."""
        probe = tuple(path)
        while probe:
            if probe in self.lines:
                return self.lines[probe]
            probe = probe[:-1]
        return self.lines.get((), 1)


class SourceError(Exception):
    def __init__(self, file: Path, line: int, message: str) -> None:
        super().__init__(message)
        self.file, self.line, self.message = file, line, message


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys (YAML silently keeps the last one)."""


def _convert(
    node: yaml.Node, path: Path_, lines: dict[Path_, int], file: Path, loader: _Loader
) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str):
                raise SourceError(file, key_node.start_mark.line + 1, "keys must be plain text")
            if key == "<<":
                raise SourceError(
                    file,
                    key_node.start_mark.line + 1,
                    "YAML merge keys (<<) are not supported; use environment defaults instead",
                )
            if key in result:
                raise SourceError(
                    file,
                    key_node.start_mark.line + 1,
                    f"duplicate key {key!r} (first on line {lines[(*path, key)]}); remove one",
                )
            lines[(*path, key)] = key_node.start_mark.line + 1
            result[key] = _convert(value_node, (*path, key), lines, file, loader)
            lines[(*path, key)] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _convert(item, (*path, i), lines, file, loader) for i, item in enumerate(node.value)
        ]
    # A scalar: YAML's resolver has already tagged it (int, bool, str, …).
    return loader.construct_object(node, deep=True)


def parse(file: Path, text: str | None = None) -> Located:
    """Parse YAML or JSON (JSON is YAML) keeping line numbers; raise SourceError when broken."""
    try:
        content = file.read_text(encoding="utf-8") if text is None else text
    except OSError as exc:
        raise SourceError(file, 0, f"cannot read the file: {exc.strerror or exc}") from exc
    try:
        node = yaml.compose(content, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise SourceError(file, line, f"not valid YAML/JSON: {exc.problem or exc}") from exc
    lines: dict[Path_, int] = {}
    if node is None:
        return Located(file, {}, {(): 1})
    return Located(file, _convert(node, (), lines, file, _Loader("")), lines)


def merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Deep merge of plain mappings: override wins; nested mappings merge, lists replace."""
    result = dict(base)
    for key, value in override.items():
        current = result.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            result[key] = merge(current, value)
        else:
            result[key] = value
    return result
