"""Migration files: ``migrations/NNNN_name.py``, ordered by their numeric prefix.

A file's id is its name without ``.py`` (``0002_add_owner``); ``0002`` names it too. Its
checksum is the sha256 of its bytes, recorded when it runs, so an applied migration whose file
changed afterwards is noticed.
"""

from __future__ import annotations

import hashlib
import importlib.util
import itertools
import re
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dynaform.errors import ConfigError, DynaformError, UsageError

NAME = re.compile(r"^(\d+)_([A-Za-z0-9_]+)\.py$")
REQUIRES = ("apply",)


@dataclass(frozen=True)
class MigrationFile:
    id: str  # "0002_add_owner"
    number: int
    path: Path
    checksum: str  # sha256 of the file's bytes

    @property
    def name(self) -> str:
        return self.id.split("_", 1)[1]

    def matches(self, ref: str) -> bool:
        """``0002``, ``2`` or ``0002_add_owner`` name this file."""
        return ref == self.id or (ref.isdigit() and int(ref) == self.number)


@dataclass(frozen=True)
class Loaded:
    """A migration file's code: ``up(m)``, its docstring, and what it requires."""

    file: MigrationFile
    up: Callable[[Any], Any]
    description: str
    requires: str | None


def checksum(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def discover(folder: Path) -> list[MigrationFile]:
    """The migration files of ``folder`` in order; two files with one number are refused."""
    if not folder.is_dir():
        return []
    found: list[MigrationFile] = []
    for path in sorted(folder.iterdir()):
        match = NAME.match(path.name)
        if match and path.is_file():
            found.append(MigrationFile(path.stem, int(match[1]), path, checksum(path)))
    found.sort(key=lambda f: (f.number, f.id))
    for before, after in itertools.pairwise(found):
        if before.number == after.number:
            raise ConfigError(
                f"two migrations have the number {before.number}: {before.path.name} and "
                f"{after.path.name}",
                hint="renumber the newer one (the order of migrations is their number)",
            )
    return found


def find(files: list[MigrationFile], ref: str) -> MigrationFile:
    for file in files:
        if file.matches(ref):
            return file
    known = ", ".join(f.id for f in files) or "none"
    raise UsageError(f"no migration {ref!r} in the migrations folder", hint=f"there are: {known}")


def load(file: MigrationFile, import_path: Path) -> Loaded:
    """Execute the file as a module (``import_path``, the project folder, on ``sys.path``
    so a migration can import the project's own modules, e.g. its entities)."""
    root = str(import_path)
    if root not in sys.path:
        sys.path.insert(0, root)
    name = f"dynaform_migration_{file.id}"
    spec = importlib.util.spec_from_file_location(name, file.path)
    if spec is None or spec.loader is None:
        raise ConfigError(f"{file.path} cannot be loaded as Python")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise DynaformError(
            f"{file.path.name} failed to load: {type(exc).__name__}: {exc}",
            hint="run it with python to see the traceback, or run again with -v",
        ) from exc
    return _checked(file, module)


def _checked(file: MigrationFile, module: types.ModuleType) -> Loaded:
    up = getattr(module, "up", None)
    if not callable(up):
        raise ConfigError(
            f"{file.path.name} has no up(m) function", hint="see `dynaform migrate new`"
        )
    requires = getattr(module, "requires", None)
    if requires is not None and requires not in REQUIRES:
        raise ConfigError(
            f"{file.path.name}: requires = {requires!r} is not understood",
            hint='the only requirement is requires = "apply" (the tables match dynaform.yaml)',
        )
    doc = (module.__doc__ or "").strip().splitlines()
    return Loaded(file, up, doc[0] if doc else "", requires)


TEMPLATE = '''"""{title}."""

# requires = "apply"   # run only when `dynaform plan` shows no changes


def up(m):
    """Runs once per environment. Code outside m.backfill may run again when a stopped
    migration resumes: keep it idempotent."""

    def fill(item):
        # item: the stored item as a plain dict (numbers are int or Decimal).
        # Return None to leave it alone, a dict to write it, m.DELETE to delete it.
        # Be idempotent: given an item you already changed, return None.
        if "{attribute}" in item:
            return None
        return {{**item, "{attribute}": "value"}}

    m.backfill("TABLE", fill)  # a logical table name from dynaform.yaml
'''


def slug(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9]+", "_", name.strip()).strip("_").lower()
    if not cleaned:
        raise UsageError(f"{name!r} makes no file name", hint="use letters, digits and _")
    return cleaned


def new_file(folder: Path, name: str) -> Path:
    """``migrations/NNNN_name.py`` from the template, numbered after the last one."""
    files = discover(folder)
    number = (files[-1].number + 1) if files else 1
    width = max(4, len(str(number)))
    path = folder / f"{number:0{width}d}_{slug(name)}.py"
    folder.mkdir(parents=True, exist_ok=True)
    title = slug(name).replace("_", " ").capitalize()
    path.write_text(TEMPLATE.format(title=title, attribute=slug(name)), encoding="utf-8")
    return path
