"""The Python API and the CLI's only door to DynamoDB.

    from dynaform import api
    project = api.load_project("dynaform.yaml")
    bound = api.bind(project, "dev")          # tables, names, protection, settings, endpoint
    planned = api.plan(bound)
    if planned.has_changes:
        api.apply(bound, planned)

A ``Binding`` resolves a project for one environment once; everything that talks to DynamoDB
goes through it, and botocore errors become ``DynaformError`` here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from dynaform.api import native as native  # data export/import --via
from dynaform.api.binding import (
    Binding,
    Connection,
    Protection,
    bind,
    connect_settings,
    local_endpoint,
    translate,
    translated,
)
from dynaform.api.data import DataTable, data_table
from dynaform.api.inspect import (
    Overview,
    TableReport,
    describe,
    live_tables,
    overview,
    project_status,
)
from dynaform.api.tables import (
    SavedPlan,
    apply,
    destroy,
    destroy_targets,
    load_saved,
    plan,
    undeclared_tables,
)
from dynaform.core.load import Project
from dynaform.core.load import load_project as _load_project


def load_project(path: str | Path, variables: Mapping[str, str] | None = None) -> Project:
    """The project file, its variables overridden by ``variables`` (``--var``) and
    ``$DYNAFORM_VAR_*``."""
    project = _load_project(Path(path))
    project.use_vars(variables or {}, os.environ)
    return project


__all__ = [
    "Binding",
    "Connection",
    "DataTable",
    "Overview",
    "Project",
    "Protection",
    "SavedPlan",
    "TableReport",
    "apply",
    "bind",
    "connect_settings",
    "data_table",
    "describe",
    "destroy",
    "destroy_targets",
    "live_tables",
    "load_project",
    "load_saved",
    "local_endpoint",
    "overview",
    "plan",
    "project_status",
    "translate",
    "translated",
    "undeclared_tables",
]
