"""Entities declared in the project file, and seed items written as those entities write.

    entities:
      - entities.py                 # every Entity class of a file (relative to the project)
      - events.py:Event             # one class of a file
      - myapp.model:Order           # a module on the import path (the project's folder first)

``SeedShaper`` turns a seed item (a generator's, or a seed file's, with ``file:line``) into the
item its entity writes: keys from the key templates, ``_type``, index keys, field types. Field
names are matched as written or in camel case (``calendarId`` fills ``calendar_id``); an
item names its entity by ``_type`` (or ``entity``), or needs none when its table has one
entity. Key attributes the item carries must equal what the templates give; attributes the
entity does not declare are kept as they are.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from dynaform.core.load import Project
from dynaform.entities.errors import EntityValidationError
from dynaform.entities.model import (
    TYPE_ATTRIBUTE,
    WIRE_ENCODER,
    Entity,
    index_keys,
    is_natural,
    item_of,
    stored,
    validated,
)
from dynaform.errors import ConfigError

MARKERS = (TYPE_ATTRIBUTE, "entity")
SEED_HINT = "fix the seed data (or the entity); nothing was written"


def declared_entities(project: Project) -> list[type[Entity]]:
    """The entity classes ``entities:`` names, in order, each once."""
    found: list[type[Entity]] = []
    for ref in project.raw.entities:
        for cls in load_ref(ref, project.directory, project.file.name):
            if cls not in found:
                found.append(cls)
    return found


def load_ref(ref: str, directory: Path, source: str) -> list[type[Entity]]:
    target, _, class_name = ref.partition(":")
    module = _module(target, directory, f"{source}: entities: {ref!r}")
    if class_name:
        cls = getattr(module, class_name, None)
        if not (inspect.isclass(cls) and issubclass(cls, Entity)):
            raise ConfigError(
                f"{source}: entities: {ref!r}: {target} has no Entity class {class_name}",
                hint=f"its entities: {', '.join(c.__name__ for c in _entities_of(module))}",
            )
        return [cls]
    classes = _entities_of(module)
    if not classes:
        raise ConfigError(f"{source}: entities: {ref!r} defines no Entity class with a Meta")
    return classes


def _entities_of(module: ModuleType) -> list[type[Entity]]:
    return [
        value
        for value in vars(module).values()
        if inspect.isclass(value)
        and issubclass(value, Entity)
        and value.__module__ == module.__name__
        and hasattr(value, "Meta")
    ]


def _module(target: str, directory: Path, where: str) -> ModuleType:
    try:
        if target.endswith(".py"):
            path = (directory / target).resolve()
            name = f"dynaform_project_entities.{path.stem}_{abs(hash(path)):x}"
            if name in sys.modules:
                return sys.modules[name]
            spec = importlib.util.spec_from_file_location(name, path)
            if spec is None or spec.loader is None or not path.is_file():
                raise ConfigError(f"{where}: no file {path}", hint="fix `entities:`")
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
            return module
        if str(directory) not in sys.path:
            sys.path.insert(0, str(directory))
        return importlib.import_module(target)
    except ConfigError:
        raise
    except Exception as exc:
        raise ConfigError(
            f"{where} failed to load: {type(exc).__name__}: {exc}",
            hint="import it with python to see the traceback",
        ) from exc


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@dataclass
class SeedShaper:
    """Seed items of one logical table -> the items its entities write (wire form)."""

    table: str
    entities: list[type[Entity]]
    _names: dict[type[Entity], dict[str, str]] = field(default_factory=dict, repr=False)

    @classmethod
    def for_table(cls, table: str, entities: Iterable[type[Entity]]) -> SeedShaper | None:
        mine = [e for e in entities if e.binding().table == table]
        return cls(table, mine) if mine else None

    def __call__(self, where: str, item: Mapping[str, Any]) -> dict[str, Any]:
        entity = self._entity_of(where, item)
        names = self._field_names(entity)
        derived = self._derived_attributes(entity)
        values: dict[str, Any] = {}
        extras: dict[str, Any] = {}
        for key, value in item.items():
            if key in names:
                values[names[key]] = value
            elif key not in derived and key not in MARKERS:
                extras[key] = value
        try:
            shaped = validated(entity, values, "seed item")
        except EntityValidationError as exc:
            raise EntityValidationError(f"{where}: {exc.message}", hint=SEED_HINT) from exc
        wire = item_of(shaped, WIRE_ENCODER)
        self._check_given_keys(where, entity, item, wire, derived)
        for key, value in extras.items():
            wire.setdefault(key, WIRE_ENCODER.value(stored(value)))
        return wire

    def _entity_of(self, where: str, item: Mapping[str, Any]) -> type[Entity]:
        marker = next((item[m] for m in MARKERS if m in item and not self._is_field(m)), None)
        if marker is None:
            if len(self.entities) == 1:
                return self.entities[0]
            raise EntityValidationError(
                f"{where}: which entity is this item? table {self.table} holds {self._types()}",
                hint=f"add `{TYPE_ATTRIBUTE}: <type>` to the item",
            )
        for entity in self.entities:
            if str(marker) in (entity.binding().type_name, entity.__name__):
                return entity
        raise EntityValidationError(
            f"{where}: no entity of table {self.table} has type {marker!r}; it holds "
            f"{self._types()}",
            hint=SEED_HINT,
        )

    def _is_field(self, name: str) -> bool:
        return all(name in e.model_fields for e in self.entities)

    def _types(self) -> str:
        return ", ".join(f"{e.binding().type_name} ({e.__name__})" for e in self.entities)

    def _field_names(self, entity: type[Entity]) -> dict[str, str]:
        found = self._names.get(entity)
        if found is None:
            found = {}
            for name, info in entity.model_fields.items():
                found[camel(name)] = name
                if info.alias:
                    found[info.alias] = name
                found[name] = name
            self._names[entity] = found
        return found

    @staticmethod
    def _derived_attributes(entity: type[Entity]) -> set[str]:
        """Key attributes computed from templates (not the entity's own fields)."""
        b = entity.binding()
        derived = set()
        if not is_natural(b.pk_attribute, b.pk):
            derived.add(b.pk_attribute)
        if b.sk_attribute and not is_natural(b.sk_attribute, b.sk):
            derived.add(b.sk_attribute)
        derived |= set(index_keys(b, {}))
        return derived

    @staticmethod
    def _check_given_keys(
        where: str,
        entity: type[Entity],
        item: Mapping[str, Any],
        wire: Mapping[str, Any],
        derived: set[str],
    ) -> None:
        for attribute in sorted(derived & set(item)):
            given = WIRE_ENCODER.value(stored(item[attribute]))
            if given != wire.get(attribute):
                computed = next(iter(wire[attribute].values())) if attribute in wire else None
                raise EntityValidationError(
                    f"{where}: {attribute} is {item[attribute]!r} but {entity.__name__}'s key "
                    f"templates give {computed!r}",
                    hint="drop the key attributes from the seed item (they are derived), or "
                    "fix them",
                )
