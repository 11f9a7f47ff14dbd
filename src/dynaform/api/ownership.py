"""The record of tables this project created or adopted, for endpoints without tags.

``.dynaform/owned.json`` in the project folder: {endpoint: {table: environment}}. Written
atomically after every apply; read by ``--prune``, which considers nothing else there.
"""

from __future__ import annotations

import json
from pathlib import Path

from dynaform.errors import ConfigError

RECORD = Path(".dynaform") / "owned.json"


def _path(project_dir: Path) -> Path:
    return project_dir / RECORD


def read_record(project_dir: Path) -> dict[str, dict[str, str]]:
    path = _path(project_dir)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"cannot read {path}: {exc}",
            hint="it lists the tables this project owns on endpoints without tags; fix or "
            "remove it (then --prune finds nothing to delete there)",
        ) from exc
    return {str(k): {str(t): str(e) for t, e in v.items()} for k, v in data.items()}


def owned_tables(project_dir: Path, endpoint: str, env: str) -> set[str]:
    record = read_record(project_dir).get(endpoint, {})
    return {table for table, owner_env in record.items() if owner_env == env}


def remember(project_dir: Path, endpoint: str, env: str, tables: list[str]) -> None:
    """Add ``tables`` to the record (atomic: a temporary file renamed over the old one)."""
    record = read_record(project_dir)
    mine = record.setdefault(endpoint, {})
    if all(mine.get(t) == env for t in tables):
        return
    mine.update({t: env for t in tables})
    _write(project_dir, record)


def forget(project_dir: Path, endpoint: str, tables: list[str]) -> None:
    record = read_record(project_dir)
    mine = record.get(endpoint, {})
    if not any(t in mine for t in tables):
        return
    for table in tables:
        mine.pop(table, None)
    _write(project_dir, record)


def _write(project_dir: Path, record: dict[str, dict[str, str]]) -> None:
    path = _path(project_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    temporary.replace(path)
