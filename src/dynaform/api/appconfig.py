"""The project file as the application's source of truth, through the one door.

- ``app_config(binding)``: an environment's table and index names for applications
  (``dynaform env-vars``).
- ``seed_shape(binding, table)``: how seed items of a table become the items the project's
  declared entities write (``dynaform seed``); resolved here, above both ``seed/`` and
  ``entities/``, which do not know each other.
- ``entities_document(project)``: each declared entity's key layout and access paths
  (``dynaform docs``).
- ``store_from_project``: ``Store.from_project`` (it lives in the entity layer, built on the
  core and the local engine only, so it needs nothing from here).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dynaform.api.binding import Binding
from dynaform.core.appconfig import AppConfig
from dynaform.core.appconfig import app_config as _app_config
from dynaform.entities.project import store_from_project
from dynaform.errors import ConfigError

if TYPE_CHECKING:
    from dynaform.core.load import Project
    from dynaform.entities.model import Entity
    from dynaform.seed.run import Shape

__all__ = ["app_config", "entities_document", "seed_shape", "store_from_project"]


def app_config(binding: Binding, prefix: str = "") -> AppConfig:
    if binding.project is None or binding.env is None:
        raise ConfigError(
            "env-vars needs a project file and an environment",
            hint="run it in a project folder (or pass -f), with -e ENV",
        )
    return _app_config(binding.project, binding.env, prefix)


def seed_shape(binding: Binding, table: str) -> Shape | None:
    """The declared entities' writer for seed items of ``table`` (a logical or physical
    name), or None when the project declares no entity of that table."""
    from dynaform.entities.declared import SeedShaper, declared_entities

    project = binding.project
    spec = binding.spec(table)
    if project is None or spec is None or not project.raw.entities:
        return None
    return SeedShaper.for_table(spec.logical_name, declared_entities(project))


def entities_document(project: Project) -> str:
    """Markdown: per table, each declared entity's key templates, indexes, version and TTL."""
    from dynaform.entities.declared import declared_entities

    classes = declared_entities(project)
    if not classes:
        return ""
    lines = ["", "## Entities", ""]
    lines.append("Declared under `entities:`; `dynaform seed` writes their items as they do.")
    by_table: dict[str, list[type[Entity]]] = {}
    for cls in classes:
        by_table.setdefault(cls.binding().table, []).append(cls)
    for table, members in sorted(by_table.items()):
        lines += ["", f"### Table `{table}`", ""]
        lines += ["| entity | `_type` | partition key | sort key | extras |", "|---" * 5 + "|"]
        lines += [_entity_row(cls) for cls in members]
        paths = [row for cls in members for row in _access_paths(cls)]
        if paths:
            lines += ["", "Access paths:", ""] + [f"- {p}" for p in paths]
    return "\n".join(lines) + "\n"


def _entity_row(cls: type[Entity]) -> str:
    b = cls.binding()
    extras = []
    if b.version:
        extras.append(f"version `{b.version}`")
    if b.ttl:
        extras.append(f"TTL `{b.ttl}`")
    sort = f"`{b.sk_attribute}` = `{b.sk.text}`" if b.sk and b.sk_attribute else "-"
    return (
        f"| {cls.__name__} | `{b.type_name}` | `{b.pk_attribute}` = `{b.pk.text}` | {sort} | "
        f"{', '.join(extras) or '-'} |"
    )


def _access_paths(cls: type[Entity]) -> list[str]:
    b = cls.binding()
    name = cls.__name__
    if b.sk is not None and not b.sk.fields:
        paths = [f"{name}: one item per `{b.pk.text}` (sort key `{b.sk.text}`)"]
    else:
        paths = [f"{name}s by `{b.pk.text}`" + (f", sorted by `{b.sk.text}`" if b.sk else "")]
    for index in b.indexes.values():
        sort = f", sorted by `{index.sk.text}`" if index.sk else ""
        fields = {*index.pk.fields, *(index.sk.fields if index.sk else ())}
        optional = sorted(f for f in fields if not cls.model_fields[f].is_required())
        sparse = f" (sparse: only items with {', '.join(optional)})" if optional else ""
        paths.append(f"{name}s on index `{index.name}` by `{index.pk.text}`{sort}{sparse}")
    return paths
