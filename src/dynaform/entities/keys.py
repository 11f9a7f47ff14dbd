"""Key templates (pure): ``"USER#{user_id}"``, ``"EVENT#{start:%Y-%m-%d}#{event_id}"``."""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class KeyTemplate:
    text: str

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(name for _, name, _, _ in string.Formatter().parse(self.text) if name)

    @property
    def single_field(self) -> str | None:
        """The field name when the template is just ``{field}`` (the attribute keeps the field's
        own type, e.g. a number sort key)."""
        fields = self.fields
        return fields[0] if len(fields) == 1 and self.text == "{" + fields[0] + "}" else None

    def render(self, values: Mapping[str, Any]) -> str | None:
        """The key, or None when a field is missing (how sparse indexes are left out)."""
        present = {}
        for name in self.fields:
            value = values.get(name)
            if value is None:
                return None
            if isinstance(value, datetime) and value.tzinfo is not None:
                value = value.astimezone(UTC)
            present[name] = value
        return self.text.format(**present)

    def prefix(self, values: Mapping[str, Any]) -> str:
        """The text up to the first field that has no value (for begins_with queries)."""
        out = ""
        for literal, name, spec, _ in string.Formatter().parse(self.text):
            out += literal
            if name is None:
                continue
            value = values.get(name)
            if value is None:
                return out
            out += format(value, spec or "")
        return out


def template(value: str | KeyTemplate | None) -> KeyTemplate | None:
    if value is None or isinstance(value, KeyTemplate):
        return value
    return KeyTemplate(value)
