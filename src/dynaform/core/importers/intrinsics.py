"""CloudFormation's intrinsic functions, as far as table names and properties need them:
``Ref``, ``Fn::Sub``, ``Fn::If`` (with ``Conditions``) and ``Fn::Join``. The ones that need a
deployed stack (``Fn::GetAtt``, ``Fn::ImportValue`` …) are refused with a hint."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from dynaform.core.importers.common import Place, placeholder
from dynaform.core.importers.shapes import kind_of

NEEDS_A_STACK = {"Fn::GetAtt", "Fn::ImportValue", "Fn::FindInMap", "Fn::Select"}
_SUB_NAME = re.compile(r"\$\{([^}!]+)\}")


def _is_list(value: Any, length: int | None = None) -> bool:
    return isinstance(value, list) and (length is None or len(value) == length)


class Resolver:
    """Resolves intrinsic functions in a value; every error names the place it came from."""

    def __init__(
        self,
        parameters: Mapping[str, Any],
        conditions: Mapping[str, Any],
        stack: str,
        warnings: list[str],
        conditions_place: Place | None = None,
        declared: Mapping[str, str] | None = None,
    ) -> None:
        self.parameters = dict(parameters)
        self.declared = dict(declared or {})  # parameters without a default -> their Type
        self.unresolved: set[str] = set()
        self.conditions = conditions
        self.stack = stack
        self.warnings = warnings
        self.conditions_place = conditions_place
        self._evaluating: set[str] = set()
        self._functions: dict[str, Callable[[Any, Place], Any]] = {
            "Ref": self._ref,
            "Fn::Sub": self._sub,
            "Fn::If": self._if,
            "Fn::Join": self._join,
        }

    def value(self, node: Any, place: Place) -> Any:
        """``node`` with its functions applied; ``AWS::NoValue`` removes what it stands for."""
        if isinstance(node, list):
            resolved = (self.value(v, place.at(i)) for i, v in enumerate(node))
            return [v for v in resolved if v is not None]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            [(key, arg)] = node.items()
            if key in self._functions:
                return self._functions[key](arg, place)
            if key in NEEDS_A_STACK:
                raise place.error(
                    f"{key} cannot be resolved without deploying",
                    hint="replace it with a literal or a parameter",
                )
        resolved_items = ((k, self.value(v, place.at(k))) for k, v in node.items())
        return {k: v for k, v in resolved_items if v is not None}

    def ref(self, name: str, place: Place) -> Any:
        if name == "AWS::StackName":
            return self.stack
        if name == "AWS::Region":
            return "us-east-1"
        if name == "AWS::NoValue":
            return None
        if name in self.parameters:
            return self.parameters[name]
        if name in self.declared:
            return self._unresolved(name, place)
        raise place.error(
            f"parameter {name!r} has no default and no --param", hint=f"pass --param {name}=VALUE"
        )

    def _unresolved(self, name: str, place: Place) -> Any:
        """A parameter without a default: a number is assumed (with a warning); anything else
        stands as a placeholder that becomes ``{env}`` or a project variable."""
        if self.declared[name] == "Number":
            note = f"{place}: parameter {name} has no default; 5 assumed (edit it per environment)"
            if note not in self.warnings:
                self.warnings.append(note)
            return 5
        self.unresolved.add(name)
        return placeholder(name)

    def _ref(self, arg: Any, place: Place) -> Any:
        if not isinstance(arg, str):
            raise place.error(f"Ref takes a name, found {kind_of(arg)}")
        return self.ref(arg, place)

    def _sub(self, arg: Any, place: Place) -> str:
        if isinstance(arg, str):
            text, names = arg, {}
        elif _is_list(arg, 2) and isinstance(arg[0], str) and isinstance(arg[1], dict):
            text, names = arg[0], arg[1]
        else:
            raise place.error("Fn::Sub takes a string, or [string, {name: value, ...}]")
        extra = {k: self.value(v, place.at("Fn::Sub", 1, k)) for k, v in names.items()}

        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            return str(extra[name] if name in extra else self.ref(name, place))

        return _SUB_NAME.sub(one, text)

    def _if(self, arg: Any, place: Place) -> Any:
        if not (_is_list(arg, 3) and isinstance(arg[0], str)):
            raise place.error("Fn::If takes [condition, value if true, value if false]")
        condition, yes, no = arg
        chosen, index = (yes, 1) if self.condition(condition, place) else (no, 2)
        return self.value(chosen, place.at("Fn::If", index))

    def _join(self, arg: Any, place: Place) -> str:
        parts = self.value(arg[1], place.at("Fn::Join", 1)) if _is_list(arg, 2) else None
        if not (isinstance(parts, list) and isinstance(arg[0], str)):
            raise place.error("Fn::Join takes [separator, [values]]")
        return arg[0].join(str(part) for part in parts)

    # --- conditions ---------------------------------------------------------------------

    def condition(self, name: str, used_at: Place) -> bool:
        node = self.conditions.get(name)
        if node is None:
            self.warnings.append(f"condition {name!r} is not defined; taken as false")
            return False
        place = self.conditions_place.at(name) if self.conditions_place else used_at
        if name in self._evaluating:
            raise place.error(f"condition {name!r} depends on itself")
        self._evaluating.add(name)
        try:
            return bool(self._truth(node, place))
        finally:
            self._evaluating.discard(name)

    def _truth(self, node: Any, place: Place) -> Any:
        if not (isinstance(node, dict) and len(node) == 1):
            return bool(self.value(node, place))
        [(key, arg)] = node.items()
        if key == "Fn::Equals":
            if not _is_list(arg, 2):
                raise place.error("Fn::Equals takes [value, value]")
            return str(self.value(arg[0], place)) == str(self.value(arg[1], place))
        if key == "Fn::Not":
            if not _is_list(arg, 1):
                raise place.error("Fn::Not takes [condition]")
            return not self._truth(arg[0], place.at(key, 0))
        if key in {"Fn::And", "Fn::Or"}:
            if not _is_list(arg):
                raise place.error(f"{key} takes [condition, condition, ...]")
            truths = (self._truth(a, place.at(key, i)) for i, a in enumerate(arg))
            return all(truths) if key == "Fn::And" else any(truths)
        if key == "Condition":
            if not isinstance(arg, str):
                raise place.error(f"Condition takes a condition's name, found {kind_of(arg)}")
            return self.condition(arg, place)
        return bool(self.value(node, place))
