"""The Python API (dynaform.api) mirrors the CLI: load_project, bind, plan, apply."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dynaform import api as dynaform
from dynaform.settings import Flags


def test_load_plan_apply_from_python(
    tmp_path: Path, clean_env: Any, ddb_endpoint: str, ddb: Any, table_name: Any
) -> None:
    name = table_name("api")
    path = tmp_path / "dynaform.yaml"
    path.write_text(
        f"project: {name}\nenvironments:\n  dev: {{target: local}}\n"
        "tables:\n  main: {partition_key: id, ttl: expires}\n"
    )
    project = dynaform.load_project(path)
    bound = dynaform.bind(project, "dev", Flags(endpoint_url=ddb_endpoint), {})
    planned = dynaform.plan(bound)
    assert [c.kind for c in planned.changes] == ["create"]
    result = dynaform.apply(bound, planned)
    assert result.done == result.total == 2
    assert not dynaform.plan(bound).has_changes
    assert (
        ddb.describe_time_to_live(TableName=f"{name}-dev-main")["TimeToLiveDescription"][
            "AttributeName"
        ]
        == "expires"
    )
