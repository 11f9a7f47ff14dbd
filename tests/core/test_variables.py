"""Project variables (``vars:``): defaults, per-environment values, ``$DYNAFORM_VAR_*`` and
``--var`` overrides in that order; used in naming rules, physical names and string values."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from dynaform.core.load import load_project
from dynaform.core.problems import SchemaError
from dynaform.errors import ConfigError
from tests.helpers import run_cli

PROJECT = """\
project: cal
naming: "{prefix}{env}-{table}"
vars:
  prefix: acme-
  owner: team-a
  kms: null
environments:
  dev:
    target: local
    vars: {prefix: lab-}
  prod: {target: aws, region: eu-west-1}
default_env: dev
tables:
  main:
    partition_key: PK
    tags: {owner: "${owner}", key: "kms-${kms}"}
  events:
    partition_key: PK
    physical_name: "{prefix}events-${owner}"
"""


def write(tmp_path: Path, text: str = PROJECT) -> Path:
    path = tmp_path / "dynaform.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def names(project: Any, env: str) -> dict[str, str]:
    return {s.logical_name: s.name for s in project.resolve(env)}


def test_defaults_environment_values_environ_and_flags_in_order(tmp_path: Path) -> None:
    project = load_project(write(tmp_path))
    assert names(project, "prod") == {"main": "acme-prod-main", "events": "acme-events-team-a"}
    assert names(project, "dev")["main"] == "lab-dev-main"
    project.use_vars({}, {"DYNAFORM_VAR_prefix": "env-", "DYNAFORM_VAR_unknown": "x"})
    assert names(project, "dev")["main"] == "env-dev-main"
    project.use_vars({"prefix": "cli-", "owner": "ops"}, {"DYNAFORM_VAR_prefix": "env-"})
    assert names(project, "dev") == {"main": "cli-dev-main", "events": "cli-events-ops"}
    origins = {k: v.origin for k, v in project.variables("dev").items()}
    assert origins == {"prefix": "--var", "owner": "--var", "kms": "vars"}
    main = next(s for s in project.resolve("dev") if s.logical_name == "main")
    assert main.tags["owner"] == "ops" and main.tags["key"] == "kms-"


def test_a_doubled_dollar_is_the_text(tmp_path: Path) -> None:
    project = load_project(write(tmp_path, PROJECT.replace('"kms-${kms}"', '"$${owner}"')))
    main = next(s for s in project.resolve("prod") if s.logical_name == "main")
    assert main.tags["key"] == "${owner}" and main.tags["owner"] == "team-a"


def test_an_undeclared_variable_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match=r"unknown placeholder \{region\}"):
        load_project(write(tmp_path, PROJECT.replace("{prefix}{env}", "{region}{env}")))
    project = load_project(write(tmp_path, PROJECT.replace('${owner}"', '${team}"')))
    with pytest.raises(ConfigError, match=r"uses \$\{team\}, which is not a variable"):
        project.resolve("dev")


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], clean_env: pytest.MonkeyPatch, ddb_endpoint: str):  # type: ignore[no-untyped-def]
    def run(*args: str) -> Any:
        return run_cli(capsys, "--endpoint-url", ddb_endpoint, *args)

    return run


def test_status_shows_precedence_and_apply_uses_the_values(
    cli: Any, ddb: Any, tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    file = str(write(tmp_path))
    clean_env.setenv("DYNAFORM_VAR_owner", "from-env")
    shown = cli("-f", file, "--json", "status", "--var", "prefix=v1-")
    assert shown.code == 0, shown.stderr
    assert json.loads(shown.stdout)["vars"] == {
        "prefix": {"value": "v1-", "origin": "--var"},
        "owner": {"value": "from-env", "origin": "DYNAFORM_VAR_owner"},
        "kms": {"value": "", "origin": "vars"},
    }
    applied = cli("-f", file, "--var", "prefix=v1-", "apply", "--yes")
    assert applied.code == 0, applied.stderr
    ddb.describe_table(TableName="v1-dev-main")
    ddb.describe_table(TableName="v1-events-from-env")
    replan = cli("-f", file, "--var", "prefix=v1-", "plan", "--detailed-exitcode")
    assert replan.code == 0, replan.stdout
    bad = cli("-f", file, "--var", "no-equals", "plan")
    assert bad.code == 2 and "is not NAME=VALUE" in bad.stderr


def test_the_python_api_honours_the_same_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dynaform import api

    file = write(tmp_path)
    monkeypatch.setenv("DYNAFORM_VAR_prefix", "env-")
    assert names(api.load_project(file), "prod")["main"] == "env-prod-main"
    project = api.load_project(file, {"prefix": "py-"})
    assert names(project, "prod")["main"] == "py-prod-main"
    assert project.variables("prod")["prefix"].origin == "--var"
