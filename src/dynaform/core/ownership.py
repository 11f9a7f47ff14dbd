"""What marks a table as this project's own, so ``--prune`` only ever deletes those (pure).

On endpoints with tags the mark is a tag dynaform adds to every table it declares; on endpoints
without tags (DynamoDB Local) it is a record kept in the project's ``.dynaform/`` folder
(``api/ownership.py``). A table is a prune candidate only when its name follows the project's
naming rule *and* it carries the mark for this project and environment.
"""

from __future__ import annotations

from dynaform.core.model import TableSpec

OWNER_TAG = "dynaform:project"
ENV_TAG = "environment"
REBUILD_SUFFIX = ".dynaform-rebuild"
CONTROL_SUFFIX = "-dynaform"


def with_owner(spec: TableSpec, project: str) -> TableSpec:
    """The spec with the owner tag (the environment tag is already there)."""
    if spec.tags.get(OWNER_TAG) == project:
        return spec
    return spec.model_copy(update={"tags": {**spec.tags, OWNER_TAG: project}})


def owned_by(spec: TableSpec, project: str, env: str) -> bool:
    return spec.tags.get(OWNER_TAG) == project and spec.tags.get(ENV_TAG) == env


def holding_name(table: str) -> str:
    """The holding table of a TABLE REBUILD of ``table``."""
    return table[: 255 - len(REBUILD_SUFFIX)] + REBUILD_SUFFIX


def control_table_name(project: str, env: str) -> str:
    """The migrations' control table: one per project and environment; the environment is
    always in the name, whatever the naming rule, so two environments on one account never
    share it. Never declared, never marked as owned (so never pruned)."""
    return f"{project}-{env}{CONTROL_SUFFIX}"


def is_holding_table(name: str) -> bool:
    return name.endswith(REBUILD_SUFFIX)
