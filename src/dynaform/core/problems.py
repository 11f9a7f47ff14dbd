"""Schema problems with ``file:line``, the field, what is wrong and how to fix it."""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from dynaform.core import model
from dynaform.core.source import Located, Path_
from dynaform.errors import DynaformError


@dataclass(frozen=True)
class Problem:
    file: Path
    line: int
    field: str
    message: str
    fix: str = ""

    def render(self, base: Path | None = None) -> str:
        shown = self.file
        if base is not None:
            with contextlib.suppress(ValueError):
                shown = self.file.relative_to(base)
        where = f"{shown}:{self.line}" if self.line else str(shown)
        text = (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )
        return f"{text} — {self.fix}" if self.fix else text


class SchemaError(DynaformError):
    """The project file is invalid; nothing was sent to DynamoDB."""

    def __init__(self, problems: Sequence[Problem], base: Path | None = None) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        head = "the project file is invalid" if count == 1 else f"{count} problems in the project"
        body = "\n".join("  " + p.render(base) for p in self.problems)
        super().__init__(f"{head}:\n{body}", hint="fix the file; nothing was sent to DynamoDB")


def _raw_models() -> list[type[BaseModel]]:
    return [
        value
        for value in vars(model).values()
        if isinstance(value, type) and issubclass(value, BaseModel) and value.__name__[:3] == "Raw"
    ]


_MODELS = {m.__name__: m for m in _raw_models()}
VOCABULARY = sorted({name for m in _MODELS.values() for name in m.model_fields})

FORMS = {
    "billing": "write `on_demand`, `{on_demand: {max_read: N, max_write: N}}` or "
    "`{provisioned: {read: N, write: N}}`",
    "projection": "write `all`, `keys_only` or `{include: [attribute, ...]}`",
    "encryption": "write `aws_owned`, `aws_managed` or `{kms_key: <key ARN or alias>}`",
    "partition_key": "write an attribute name, or `{name: <attribute>, type: S|N|B}`",
    "sort_key": "write an attribute name, or `{name: <attribute>, type: S|N|B}`",
}


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""


def _is_tag(part: object) -> bool:
    return isinstance(part, str) and (
        part in _MODELS or part.startswith("literal[") or part in {"str", "int", "bool", "none"}
    )


def _value_at(data: Any, path: Sequence[str | int]) -> Any:
    for part in path:
        if isinstance(data, Mapping):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return None
    return data


def _dotted(path: Sequence[str | int]) -> str:
    return ".".join(str(p) for p in path)


def _one(located: Located, prefix: Path_, loc: Sequence[str | int], error: Any) -> Problem:
    path = (*prefix, *loc)
    line = located.line_of(path)
    kind = error["type"]
    if kind == "extra_forbidden":
        key = str(loc[-1])
        return Problem(
            located.file,
            line,
            _dotted(path[:-1]) or "(top level)",
            f"unknown key '{key}'",
            did_you_mean(key, VOCABULARY) or "remove it",
        )
    if kind == "missing":
        return Problem(
            located.file,
            located.line_of(path[:-1]),
            _dotted(path[:-1]) or "(top)",
            f"missing required key '{loc[-1]}'",
            f"add `{loc[-1]}:`",
        )
    if kind == "literal_error":
        value = error.get("input")
        expected = str(error.get("ctx", {}).get("expected", ""))
        options = [o.strip(" '") for o in expected.replace(" or ", ",").split(",") if o.strip()]
        hint = did_you_mean(str(value), options) if isinstance(value, str) else ""
        return Problem(
            located.file,
            line,
            _dotted(path),
            f"{value!r} is not allowed",
            hint or f"use one of: {', '.join(options)}",
        )
    message = str(error["msg"])
    return Problem(located.file, line, _dotted(path), message[0].lower() + message[1:])


def from_validation_error(
    exc: ValidationError, located: Located, prefix: Path_ = ()
) -> list[Problem]:
    """Pydantic errors -> Problems; union shorthands (billing: on_demand | {...}) are reported
    once, against the form the user evidently meant."""
    plain: list[tuple[tuple[str | int, ...], Any]] = []
    unions: dict[tuple[str | int, ...], list[tuple[str, tuple[str | int, ...], Any]]] = {}
    for error in exc.errors():
        loc = tuple(error["loc"])
        tag_at = next((i for i, part in enumerate(loc) if _is_tag(part)), None)
        if tag_at is None:
            plain.append((loc, error))
        else:
            head, tag, rest = loc[:tag_at], str(loc[tag_at]), loc[tag_at + 1 :]
            unions.setdefault(head, []).append((tag, rest, error))
    problems = [_one(located, prefix, loc, error) for loc, error in plain]
    for head, members in unions.items():
        value = _value_at(located.data, (*prefix, *head)) if prefix or head else None
        if value is None:
            value = members[0][2].get("input")
        field = next((str(p) for p in reversed(head) if isinstance(p, str)), "")
        chosen: list[tuple[str | int, ...]] = []
        if isinstance(value, Mapping):
            keyed = [
                (rest, err)
                for tag, rest, err in members
                if tag in _MODELS and set(value) & set(_MODELS[tag].model_fields)
            ]
            if keyed:
                problems += [_one(located, prefix, (*head, *rest), err) for rest, err in keyed]
                continue
        elif isinstance(value, str):
            literal = [(rest, err) for tag, rest, err in members if tag.startswith("literal[")]
            if literal and field not in {"partition_key", "sort_key"}:
                rest, err = literal[0]
                problems.append(_one(located, prefix, (*head, *rest), err))
                continue
        chosen = [head]
        path = (*prefix, *chosen[0])
        problems.append(
            Problem(
                located.file,
                located.line_of(path),
                _dotted(path),
                f"{value!r} is not a valid {field or 'value'}",
                FORMS.get(field, "see docs/project-file.md"),
            )
        )
    return sorted(problems, key=lambda p: (str(p.file), p.line))
