"""CloudFormation's ``Fn::ForEach`` (the ``AWS::LanguageExtensions`` transform) in
``Resources``: each ``Fn::ForEach::Name: [Identifier, [values], {template}]`` becomes one copy
of the template per value, ``${Identifier}`` / ``&{Identifier}`` and ``Ref: Identifier``
replaced, nested loops expanded too."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dynaform.core.importers.common import Place

PREFIX = "Fn::ForEach::"
MAX_COPIES = 10_000


def expand_resources(
    resources: dict[str, Any], place: Place, resolve: Callable[[Any, Place], Any]
) -> dict[str, Any]:
    """``resources`` with every loop expanded; ``resolve`` gives a collection's values
    (a literal list, or ``Ref`` to a CommaDelimitedList parameter)."""
    expanded: dict[str, Any] = {}
    for key, body in resources.items():
        if not (isinstance(key, str) and key.startswith(PREFIX)):
            expanded[key] = body
            continue
        loop = place.at(key)
        if not (isinstance(body, list) and len(body) == 3 and isinstance(body[0], str)):
            raise loop.error("Fn::ForEach takes [identifier, [values], {template}]")
        identifier, collection, template = body
        values = resolve(collection, loop.at(1))
        if isinstance(values, str):
            values = [v.strip() for v in values.split(",")]
        if not isinstance(values, list) or not isinstance(template, dict):
            raise loop.error("Fn::ForEach takes [identifier, [values], {template}]")
        if len(values) > MAX_COPIES:
            raise loop.error(f"Fn::ForEach makes more than {MAX_COPIES:,} copies")
        for value in values:
            copy = _replace(template, identifier, str(value))
            for name, resource in expand_resources(copy, loop.at(2), resolve).items():
                if name in expanded:
                    raise loop.error(f"Fn::ForEach makes the resource {name!r} twice")
                expanded[name] = resource
    return expanded


def _replace(node: Any, identifier: str, value: str) -> Any:
    if isinstance(node, str):
        return node.replace("${" + identifier + "}", value).replace("&{" + identifier + "}", value)
    if isinstance(node, list):
        return [_replace(v, identifier, value) for v in node]
    if isinstance(node, dict):
        if node == {"Ref": identifier}:
            return value
        return {
            _replace(k, identifier, value): _replace(v, identifier, value) for k, v in node.items()
        }
    return node
