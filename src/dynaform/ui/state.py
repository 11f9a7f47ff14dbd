"""What the UI server keeps for its lifetime: the project, the flags it was started with, the
environments it may write to, one binding per environment and one table handle per table."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from dynaform.errors import DynaformError
from dynaform.settings import Flags
from dynaform.ui.security import Signer

if TYPE_CHECKING:
    from dynaform.api import Binding, Project
    from dynaform.api.items import ItemTable
    from dynaform.api.ui_support import EntityLayout, ImportJobs


def _jobs() -> ImportJobs:
    from dynaform.api.ui_support import ImportJobs

    return ImportJobs()


@dataclass
class UiState:
    project: Project | None
    flags: Flags
    default_env: str | None
    allow_writes: frozenset[str] = frozenset()
    project_dir: Path = field(default_factory=Path.cwd)
    local_port: int = 8000
    signer: Signer = field(default_factory=Signer)
    _bindings: dict[str | None, Binding] = field(default_factory=dict, repr=False)
    _tables: dict[tuple[str | None, str], ItemTable] = field(default_factory=dict, repr=False)
    _type_attrs: dict[str, str] = field(default_factory=dict, repr=False)
    _layouts: dict[tuple[str | None, str], list[EntityLayout]] = field(
        default_factory=dict, repr=False
    )
    imports: ImportJobs = field(default_factory=_jobs, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def environments(self) -> list[str]:
        return self.project.environment_names if self.project is not None else []

    def env(self, asked: str | None) -> str | None:
        """The environment a request names (``?env=``), else the one the server started in."""
        if asked and asked in self.environments:
            return asked
        return self.default_env

    def binding(self, env: str | None) -> Binding:
        from dynaform import api

        with self._lock:
            if env not in self._bindings:
                self._bindings[env] = api.bind(
                    self.project if env else None,
                    env,
                    self.flags,
                    project_dir=self.project_dir,
                    local_port=self.local_port,
                )
            return self._bindings[env]

    def table(self, env: str | None, name: str) -> ItemTable:
        """The table by logical or physical name, its key schema read once."""
        from dynaform.api import items

        key = (env, name)
        with self._lock:
            found = self._tables.get(key)
        if found is None:
            found = items.open_table(self.binding(env), name)
            with self._lock:
                self._tables[key] = found
        return found

    def type_attribute(self, table: ItemTable, find: Callable[[ItemTable], str]) -> str:
        """The attribute naming an item's entity type in this table, found once."""
        if table.name not in self._type_attrs:
            self._type_attrs[table.name] = find(table)
        return self._type_attrs[table.name]

    def layouts(self, env: str | None, table: ItemTable) -> list[EntityLayout]:
        """The entities the project declares for the table, read once."""
        from dynaform.api.ui_support import declared_layouts

        key = (env, table.name)
        if key not in self._layouts:
            self._layouts[key] = declared_layouts(table)
        return self._layouts[key]

    def read_only_reason(self, env: str | None, table: ItemTable) -> str | None:
        """Why writes are refused here (a protected environment not named by --allow-writes),
        or None when they are allowed."""
        protection = table.protection
        if protection is None or protection.env in self.allow_writes:
            return None
        return (
            f"{table.name} belongs to the protected environment {protection.env}: read-only "
            f"(start with `dynaform ui --allow-writes {protection.env}` to edit)"
        )

    def check_writable(self, env: str | None, table: ItemTable) -> None:
        reason = self.read_only_reason(env, table)
        if reason:
            raise DynaformError(reason)
