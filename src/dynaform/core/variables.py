"""Project variables (``vars:``), pure.

A variable's value, highest first: ``--var NAME=VALUE``, ``$DYNAFORM_VAR_NAME``, the
environment's ``vars:``, the project's ``vars:``. Naming rules and ``physical_name`` use a
variable as ``{NAME}`` (like ``{env}``); any other string value as ``${NAME}`` (``$${NAME}``
is the text ``${NAME}``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from dynaform.errors import UsageError

ENV_PREFIX = "DYNAFORM_VAR_"
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\Z")
_REFERENCE = re.compile(r"(\$?)\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Variable:
    value: str
    origin: str  # vars | environments.ENV.vars | DYNAFORM_VAR_NAME | --var


def parse_assignments(items: Iterable[str]) -> dict[str, str]:
    """``["a=1", "b=x=y"]`` -> ``{"a": "1", "b": "x=y"}``; a malformed item is a usage error."""
    parsed: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not NAME.match(name):
            raise UsageError(
                f"--var {item!r} is not NAME=VALUE", hint="write it as --var table_prefix=acme-"
            )
        parsed[name] = value
    return parsed


def from_environ(environ: Mapping[str, str]) -> dict[str, str]:
    return {
        key[len(ENV_PREFIX) :]: value
        for key, value in environ.items()
        if key.startswith(ENV_PREFIX) and NAME.match(key[len(ENV_PREFIX) :])
    }


def layered(
    project_vars: Mapping[str, Any],
    env_name: str,
    env_vars: Mapping[str, Any],
    environ_vars: Mapping[str, str],
    flag_vars: Mapping[str, str],
) -> dict[str, Variable]:
    """Every variable with its final value and where that value came from."""
    found: dict[str, Variable] = {}
    layers = (
        (project_vars, "vars"),
        (env_vars, f"environments.{env_name}.vars"),
        ({k: v for k, v in environ_vars.items() if k in project_vars or k in env_vars}, ""),
        (flag_vars, "--var"),
    )
    for values, origin in layers:
        for name, value in values.items():
            text = "" if value is None else str(value)
            found[name] = Variable(text, origin or ENV_PREFIX + name)
    return found


def substitute(node: Any, values: Mapping[str, str], missing: set[str]) -> Any:
    """``node`` with every ``${NAME}`` in its strings replaced; unknown names go to ``missing``
    and stay as written."""
    if isinstance(node, str):

        def one(match: re.Match[str]) -> str:
            name = match.group(2)
            if match.group(1):  # $${NAME} is the text ${NAME}
                return match.group(0)[1:]
            if name in values:
                return values[name]
            missing.add(name)
            return match.group(0)

        return _REFERENCE.sub(one, node)
    if isinstance(node, list):
        return [substitute(v, values, missing) for v in node]
    if isinstance(node, dict):
        return {k: substitute(v, values, missing) for k, v in node.items()}
    return node
