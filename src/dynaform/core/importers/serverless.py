"""Serverless Framework ``serverless.yml``: ``resources.Resources`` is CloudFormation;
``${self:…}``, ``${opt:stage, 'dev'}``, ``${sls:stage}``, ``${env:…}`` are resolved from the
file, ``--param``, or their fallbacks. Resolution is bounded: a variable that refers to itself,
or variables that multiply a value past MAX_LENGTH characters, are one error at their place."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from dynaform.core.importers.cloudformation import TABLE, import_template
from dynaform.core.importers.common import (
    Imported,
    Place,
    SourceFormatError,
    placeholder,
    read_document,
    with_data,
)
from dynaform.core.importers.shapes import MAPPING, TEXT, kind_of

_VARIABLE = re.compile(r"\$\{(self|opt|sls|env):([^,}]+)(?:,\s*([^}]+))?\}")
MAX_NESTING = 10  # a variable whose value holds a variable whose value holds …
MAX_LENGTH = 100_000  # characters in one resolved value
MAX_TOTAL = 10_000_000  # characters resolved in the whole file


class _Variables:
    def __init__(
        self, document: Mapping[str, Any], params: Mapping[str, str], stage: str | None
    ) -> None:
        self.document, self.params, self.stage = document, params, stage
        self.unresolved: set[str] = set()
        self.known: dict[tuple[str, str, str | None], str] = {}
        self.pending: set[tuple[str, str, str | None]] = set()
        self.total = 0

    def walk(self, node: Any, place: Place) -> Any:
        if isinstance(node, str):
            text = self.text(node, place, 0)
            self.total += len(text)
            if self.total > MAX_TOTAL:
                raise place.error(f"variables here resolve to over {MAX_TOTAL:,} characters")
            return text
        if isinstance(node, list):
            return [self.walk(v, place.at(i)) for i, v in enumerate(node)]
        if isinstance(node, dict):
            return {k: self.walk(v, place.at(k)) for k, v in node.items()}
        return node

    def text(self, value: str, place: Place, depth: int) -> str:
        if depth > MAX_NESTING:
            raise place.error(f"variables nest more than {MAX_NESTING} deep; is there a cycle?")
        for _ in range(MAX_NESTING):
            new = _VARIABLE.sub(lambda m: self._lookup(m, place, depth), value)
            if len(new) > MAX_LENGTH:
                raise place.error(
                    f"variables make this value longer than {MAX_LENGTH:,} characters"
                )
            if new == value:
                break
            value = new
        return value

    def _lookup(self, match: re.Match[str], place: Place, depth: int) -> str:
        kind, path, fallback = match.group(1), match.group(2).strip(), match.group(3)
        key = (kind, path, fallback)
        if key in self.known:
            return self.known[key]
        if key in self.pending:
            raise place.error(f"${{{kind}:{path}}} refers to itself (a cycle)")
        self.pending.add(key)
        try:
            self.known[key] = self._resolve(kind, path, fallback, place, depth)
        finally:
            self.pending.discard(key)
        return self.known[key]

    def _resolve(self, kind: str, path: str, fallback: str | None, place: Place, depth: int) -> str:
        if kind == "self":
            node: Any = self.document
            for part in path.split("."):
                node = node.get(part) if isinstance(node, dict) else None
            if node is not None:
                return self.text(str(node), place, depth + 1)
        elif kind in {"opt", "sls"} and path == "stage" and self.stage is not None:
            # the stage chosen by the command line is the environment: names follow {env}
            return self.stage if "stage" in self.params else placeholder("stage")
        elif path in self.params:
            return self.params[path]
        if fallback is not None:
            return self.text(fallback.strip().strip("'\""), place, depth + 1)
        self.unresolved.add(f"${{{kind}:{path}}}")
        return f"{kind}-{path}"


def _stage(document: Mapping[str, Any], root: Place, params: Mapping[str, str]) -> str:
    """--param stage=…, else provider.stage (itself often ``${opt:stage, 'dev'}``), else dev."""
    provider = document.get("provider")
    if provider is not None:
        MAPPING.check(provider, root.at("provider"))
    stage = (provider or {}).get("stage")
    if stage is not None:
        TEXT.check(stage, root.at("provider", "stage"))
    if params.get("stage") or stage is None:
        return params.get("stage") or "dev"
    resolved = _Variables(document, params, None).text(stage, root.at("provider", "stage"), 0)
    return resolved or "dev"


def import_serverless(text: str | bytes, params: Mapping[str, str], source: str) -> Imported:
    doc = read_document(text, source)
    root = Place(doc)
    MAPPING.check(doc.data, root)
    document: dict[str, Any] = doc.data
    stage = _stage(document, root, params)
    variables = _Variables(document, params, stage)
    resources = document.get("resources")
    if resources is None:
        raise SourceFormatError(f"{source}: no {TABLE} resource found")
    resolved = with_data(doc, {"resources": variables.walk(resources, root.at("resources"))})
    result = Imported()
    for base in _template_bases(resolved.data["resources"], root.at("resources")):
        found = import_template(resolved, params, base)
        result.tables += found.tables
        result.warnings += found.warnings
        result.patterns.update(found.patterns)
    if not result.tables:
        raise SourceFormatError(f"{source}: no {TABLE} resource found")
    result.warnings += [
        f"{source}: {v} could not be resolved" for v in sorted(variables.unresolved)
    ]
    result.env = stage
    return result


def _template_bases(resources: Any, place: Place) -> list[tuple[str | int, ...]]:
    """``resources:`` is a template fragment, or a list of them (merged by Serverless)."""
    if isinstance(resources, list):
        bases: list[tuple[str | int, ...]] = []
        for index, part in enumerate(resources):
            if not isinstance(part, dict):
                raise place.at(index).error(f"expected a mapping, found {kind_of(part)}")
            bases.append(("resources", index))
        return bases
    MAPPING.check(resources, place)
    return [("resources",)]
