"""YAML text -> plain values and the line of each, with the limits that keep hostile input
small: nesting depth, values in all, and how many values aliases may copy.

PyYAML composes a graph in which an alias is the anchored node itself, so a "billion laughs"
file is a few hundred nodes; it is the conversion to plain values that copies each alias and
grows to gigabytes. So the composer measures every alias as it meets it (values it would copy,
depth it would add; memoized per node, so measuring is linear) and refuses past the limits,
before anything is copied.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

Path_ = tuple[str | int, ...]

MAX_DEPTH = 100  # nested lists/mappings; real files stay under 20 (DynamoDB items: 32)
MAX_ALIAS_VALUES = 100_000  # values aliases may copy in one file; real files copy dozens
# Values in one document, copies included. PyYAML holds ~800 bytes per value while reading
# (node, marks, path, line), so this keeps a document under ~200 MB; a 1 MB CloudFormation
# template (AWS's limit) has well under 100,000.
MAX_VALUES = 250_000


class SourceError(Exception):
    def __init__(self, file: Path, line: int, message: str) -> None:
        super().__init__(message)
        self.file, self.line, self.message = file, line, message

    def __str__(self) -> str:
        return (
            f"{self.file}:{self.line}: {self.message}"
            if self.line
            else f"{self.file}: {self.message}"
        )


class _RefusedError(Exception):
    def __init__(self, mark: Any, message: str) -> None:  # a yaml Mark, or None
        super().__init__(message)
        self.line = mark.line + 1 if mark is not None else 0
        self.message = message


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _measure(root: yaml.Node, known: dict[int, tuple[int, int]]) -> tuple[int, int]:
    """(values, depth of lists/mappings) that converting ``root`` produces, aliases expanded;
    iterative and memoized, so a shared node is measured once."""
    stack = [root]
    while stack:
        node = stack[-1]
        if id(node) in known:
            stack.pop()
            continue
        children = _children(node)
        pending = [child for child in children if id(child) not in known]
        if pending:
            stack.extend(pending)
            continue
        stack.pop()
        values = 1 + sum(known[id(child)][0] for child in children)
        nested = int(not isinstance(node, yaml.ScalarNode))
        depth = nested + max((known[id(child)][1] for child in children), default=0)
        known[id(node)] = (values, depth)
    return known[id(root)]


class _Loader(yaml.SafeLoader):
    """SafeLoader whose composer refuses deep nesting, self-containing aliases and aliases
    that would copy more than MAX_ALIAS_VALUES values."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.depth = 0
        self.values = 0
        self.copied = 0
        self.open_anchors: set[str] = set()
        self.measured: dict[int, tuple[int, int]] = {}

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            self._count_alias(event)
            return super().compose_node(parent, index)
        nests = isinstance(event, yaml.CollectionStartEvent)
        self.depth += nests
        if self.depth > MAX_DEPTH:
            raise _RefusedError(event.start_mark, _too_deep())
        self.values += 1
        if self.values + self.copied > MAX_VALUES:
            raise _RefusedError(event.start_mark, _too_many())
        anchor = event.anchor
        if anchor is not None:
            self.open_anchors.add(anchor)
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= nests
            self.open_anchors.discard(anchor)

    def _count_alias(self, event: yaml.AliasEvent) -> None:
        anchor = event.anchor
        if anchor in self.open_anchors:
            raise _RefusedError(
                event.start_mark,
                f"the alias *{anchor} sits inside &{anchor}, so the value contains itself; "
                "write it out instead",
            )
        node = self.anchors.get(anchor)
        if node is None:
            return  # PyYAML reports the undefined alias
        values, depth = _measure(node, self.measured)
        if self.depth + depth > MAX_DEPTH:
            raise _RefusedError(event.start_mark, _too_deep(f" once *{anchor} is expanded"))
        self.copied += values
        if self.copied > MAX_ALIAS_VALUES:
            raise _RefusedError(
                event.start_mark,
                f"aliases here copy more than {MAX_ALIAS_VALUES:,} values (at *{anchor}); "
                "that is an alias bomb, not a table definition — write the values out",
            )
        if self.values + self.copied > MAX_VALUES:
            raise _RefusedError(event.start_mark, _too_many())


def _too_many() -> str:
    return (
        f"the document holds more than {MAX_VALUES:,} values, far beyond a table definition; "
        "put bulk items in a JSON lines (.jsonl) file"
    )


def _too_deep(why: str = "") -> str:
    return f"nested more than {MAX_DEPTH} levels deep{why}; flatten it"


_SHORT_FORM_KEYS = {"Ref": "Ref", "Condition": "Condition"}


class _Converter:
    """Composed nodes -> dicts, lists and scalars, recording each path's line. Depth is
    bounded by the composer, so the recursion is too."""

    def __init__(self, file: Path, loader: _Loader, foreign: bool) -> None:
        self.file, self.loader, self.foreign = file, loader, foreign
        self.lines: dict[Path_, int] = {}

    def fail(self, node: yaml.Node, message: str) -> SourceError:
        return SourceError(self.file, node.start_mark.line + 1, message)

    def value(self, node: yaml.Node, path: Path_) -> Any:
        self.lines[path] = node.start_mark.line + 1
        if self.foreign and node.tag.startswith("!"):
            return self._short_form(node, path)
        return self._plain(node, path)

    def _plain(self, node: yaml.Node, path: Path_) -> Any:
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.value(item, (*path, i)) for i, item in enumerate(node.value)]
        try:  # a scalar: YAML's resolver has already tagged it (int, bool, str, …)
            return self.loader.construct_object(node, deep=True)
        except yaml.MarkedYAMLError as exc:
            raise self.fail(node, f"not valid YAML/JSON: {exc.problem or exc}") from exc
        except ValueError as exc:  # 2023-02-30, or an integer of 5,000 digits
            raise self.fail(node, f"{node.value[:40]!r} is not a valid value: {exc}") from exc

    def _short_form(self, node: yaml.Node, path: Path_) -> dict[str, Any]:
        """CloudFormation's ``!Ref X`` is ``{"Ref": "X"}``, ``!Sub s`` is ``{"Fn::Sub": s}``."""
        suffix = node.tag[1:]
        name = _SHORT_FORM_KEYS.get(suffix, f"Fn::{suffix}")
        inner: Any
        if isinstance(node, yaml.ScalarNode):
            text = str(node.value)
            inner = text.split(".", 1) if suffix == "GetAtt" else text
        else:
            inner = self._plain(node, (*path, name))
        self.lines[(*path, name)] = node.start_mark.line + 1
        return {name: inner}

    def _key(self, node: yaml.Node) -> str:
        if not isinstance(node, yaml.ScalarNode):
            raise self.fail(node, "keys must be plain text")
        return str(node.value)

    def _mapping(self, node: yaml.MappingNode, path: Path_) -> dict[str, Any]:
        result: dict[str, Any] = {}
        own: dict[str, int] = {}  # keys written here (not merged in), and their lines
        for key_node, value_node in node.value:
            key, line = self._key(key_node), key_node.start_mark.line + 1
            if key == "<<" and key_node.tag != "tag:yaml.org,2002:str":
                self._merge(value_node, path, result, own)
                continue
            if key in own:
                raise self.fail(
                    key_node, f"duplicate key {key!r} (first on line {own[key]}); remove one"
                )
            own[key] = self.lines[(*path, key)] = line
            result[key] = self.value(value_node, (*path, key))
            self.lines[(*path, key)] = line
        self.lines[path] = node.start_mark.line + 1
        return result

    def _merge(
        self, node: yaml.Node, path: Path_, result: dict[str, Any], own: dict[str, int]
    ) -> None:
        """``<<: *defaults``: the merged keys, unless the mapping writes them itself."""
        if not self.foreign:
            raise self.fail(
                node, "YAML merge keys (<<) are not supported; use environment defaults instead"
            )
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                raise self.fail(source, "<< takes a mapping, or a list of mappings, to merge")
            for key, value in self._mapping(source, path).items():
                if key not in own:
                    result.setdefault(key, value)


def parse_yaml(file: Path, content: str, *, foreign: bool = False) -> tuple[Any, dict[Path_, int]]:
    """(value, lines) of one YAML document; SourceError naming the line when it is broken or
    past a limit. An empty document is an empty mapping."""
    loader: _Loader | None = None
    try:
        loader = _Loader(content)  # the reader checks every character here
        node = loader.get_single_node()
    except _RefusedError as exc:
        raise SourceError(file, exc.line, exc.message) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise SourceError(file, line, f"not valid YAML/JSON: {exc.problem or exc}") from exc
    except yaml.reader.ReaderError as exc:  # a control character: the position is in characters
        line = content.count("\n", 0, exc.position) + 1
        raise SourceError(
            file, line, f"character #x{exc.character:04x} is not allowed in YAML; remove it"
        ) from exc
    except yaml.YAMLError as exc:
        raise SourceError(file, 1, f"not valid YAML/JSON: {exc}") from exc
    finally:
        if loader is not None:
            loader.dispose()
    if node is None:
        return {}, {(): 1}
    converter = _Converter(file, loader, foreign)
    return converter.value(node, ()), converter.lines
