"""YAML/JSON documents with the line of every value, so errors can say ``file:line``.

Reading is bounded, because these files come from anywhere (a template found in a repository,
a model exported by a colleague): a file over ``MAX_FILE_BYTES``, bytes that are not UTF-8,
nesting deeper than ``MAX_DEPTH`` and aliases that would copy more than ``MAX_ALIAS_VALUES``
values (a "billion laughs" bomb) are each refused with one ``SourceError`` naming the file and
line, before anything grows. The YAML side lives in ``core.yamltree``.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dynaform.core.yamltree import MAX_ALIAS_VALUES, MAX_DEPTH, Path_, SourceError, parse_yaml

__all__ = [
    "MAX_ALIAS_VALUES",
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "Located",
    "Path_",
    "SourceError",
    "decode",
    "merge",
    "parse",
    "read_bytes",
    "too_deep_at",
]

MAX_FILE_BYTES = 32 * 2**20  # CloudFormation itself stops at 1 MB; project files are smaller


@dataclass
class Located:
    """A parsed document and where each value (by path) starts: 1-based line numbers.

    ``find_lines``, when set, computes ``lines`` on first use: a JSON document is parsed by
    ``json`` (fast, exact) and only located line by line when an error needs a line.
    """

    file: Path
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)
    find_lines: Callable[[], dict[Path_, int]] | None = field(
        default=None, repr=False, compare=False
    )

    def line_of(self, path: Path_) -> int:
        """The line of ``path``, or of its nearest ancestor that has one."""
        if self.find_lines is not None:
            found, self.find_lines = self.find_lines(), None
            self.lines = {**found, **self.lines}
        probe = tuple(path)
        while probe:
            if probe in self.lines:
                return self.lines[probe]
            probe = probe[:-1]
        return self.lines.get((), 1)


# --- bytes -> text ----------------------------------------------------------------------


def read_bytes(file: Path) -> bytes:
    """The file's bytes, refusing (not reading) more than MAX_FILE_BYTES."""
    try:
        with file.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise SourceError(file, 0, f"cannot read the file: {exc.strerror or exc}") from exc
    if len(raw) > MAX_FILE_BYTES:
        raise SourceError(
            file,
            0,
            f"the file is larger than {MAX_FILE_BYTES // 2**20} MiB, far beyond any table "
            "definition; check the path",
        )
    return raw


def decode(file: Path, raw: bytes) -> str:
    """UTF-8 (a byte order mark is dropped), or UTF-16 when it starts with its byte order mark
    (PowerShell's ``>`` writes that); else the first bad byte's line and offset."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise SourceError(file, 0, f"not valid UTF-16 at byte offset {exc.start}") from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise SourceError(
            file,
            line,
            f"byte offset {exc.start} (0x{raw[exc.start]:02x}) is not UTF-8; "
            "save the file as UTF-8",
        ) from exc


def _text(file: Path, text: str | bytes | None) -> str:
    if text is None:
        return decode(file, read_bytes(file))
    if isinstance(text, bytes):
        return decode(file, text)
    return text.removeprefix("\ufeff")


# --- JSON -------------------------------------------------------------------------------

# A string (possessive, and matching an unterminated one to the end, so no input backtracks),
# or a bracket.
_JSON_TOKEN = re.compile(r'"(?:[^"\\]++|\\.?)*+(?:"|\Z)|[\[\]{}]', re.DOTALL)


class _DuplicateKeyError(Exception):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(key)
        result[key] = value
    return result


def too_deep_at(content: str) -> int | None:
    """Offset of the first bracket nested deeper than MAX_DEPTH (strings skipped), else None:
    checked before ``json.loads`` (or an HCL parse), whose recursion would otherwise end in
    RecursionError."""
    depth = 0
    for token in _JSON_TOKEN.finditer(content):
        mark = token.group()
        if mark in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return token.start()
        elif mark in "]}":
            depth -= 1
    return None


def _parse_json(file: Path, content: str, foreign: bool) -> Located | None:
    """JSON as JSON, whatever its indentation (YAML refuses tab indentation); None when the
    text is not JSON and the file may still be YAML."""
    deep_at = too_deep_at(content)
    if deep_at is not None:
        line = content.count("\n", 0, deep_at) + 1
        raise SourceError(file, line, f"nested more than {MAX_DEPTH} levels deep; flatten it")
    try:
        data = json.loads(content, object_pairs_hook=_unique_keys)
    except _DuplicateKeyError as exc:
        # JSON is YAML once its (insignificant) tabs are spaces: YAML names the line.
        parse_yaml(file, content.replace("\t", " "), foreign=foreign)
        raise SourceError(file, 0, f"duplicate key {exc.args[0]!r}; remove one") from None
    except json.JSONDecodeError as exc:
        if file.suffix.lower() != ".json":
            return None
        message = f"not valid JSON: {exc.msg} (column {exc.colno})"
        raise SourceError(file, exc.lineno, message) from exc
    except ValueError as exc:  # e.g. an integer longer than Python's 4300-digit limit
        raise SourceError(file, 0, f"not valid JSON: {exc}") from exc
    return Located(file, data, {(): 1}, find_lines=lambda: _json_lines(file, content, foreign))


def _json_lines(file: Path, content: str, foreign: bool) -> dict[Path_, int]:
    try:
        return parse_yaml(file, content.replace("\t", " "), foreign=foreign)[1]
    except SourceError:  # YAML refuses some valid JSON (keys over 1024 characters)
        return {(): 1}


# --- the entry point --------------------------------------------------------------------


def parse(file: Path, text: str | bytes | None = None, *, foreign: bool = False) -> Located:
    """Parse YAML or JSON keeping line numbers; raise SourceError when broken or too big.

    ``text`` (str, or bytes to decode) stands in for the file's content. ``foreign`` reads
    other tools' files: CloudFormation short forms (``!Ref X`` -> ``{"Ref": "X"}``) and YAML
    merge keys are accepted there, while a project file refuses both.
    """
    content = _text(file, text)
    if content.lstrip()[:1] in ("{", "["):
        located = _parse_json(file, content, foreign)
        if located is not None:
            return located
    data, lines = parse_yaml(file, content, foreign=foreign)
    return Located(file, data, lines)


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
