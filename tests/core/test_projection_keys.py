"""An INCLUDE projection that lists key attributes (DynamoDB accepts it and projects keys
anyway) is accepted and normalized away with a note, in project files and imports alike."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from dynaform.core.load import load_project
from tests.helpers import run_cli

PROJECT = """\
project: shop
naming: "{table}-{env}"
environments:
  dev: {target: local}
tables:
  orders:
    partition_key: PK
    sort_key: SK
    indexes:
      byCustomer:
        partition_key: customer
        sort_key: {name: placed, type: N}
        projection: {include: [PK, SK, customer, placed, total, other_key]}
      byOther: {partition_key: other_key, projection: {include: [customer, note]}}
"""


def test_listed_keys_are_dropped_from_include_with_a_note(tmp_path: Path) -> None:
    file = tmp_path / "dynaform.yaml"
    file.write_text(textwrap.dedent(PROJECT))
    project = load_project(file)
    [spec] = project.resolve("dev")
    by_customer, by_other = spec.gsis
    assert by_customer.projection.non_key == ("other_key", "total")
    assert by_other.projection.non_key == ("customer", "note")  # another index's key stays
    assert project.notes == [
        "orders: index byCustomer includes key attribute(s) PK, SK, customer, placed, always "
        "projected; left out of include"
    ]


def test_such_a_file_applies_and_replans_to_nothing(
    capsys: pytest.CaptureFixture[str],
    clean_env: pytest.MonkeyPatch,
    ddb_endpoint: str,
    ddb: Any,
    tmp_path: Path,
) -> None:
    file = tmp_path / "dynaform.yaml"
    file.write_text(textwrap.dedent(PROJECT.replace("{table}-{env}", "{table}-{env}-keys")))
    args = ("--endpoint-url", ddb_endpoint, "-f", str(file))
    applied = run_cli(capsys, *args, "apply", "--yes")
    assert applied.code == 0, applied.stderr
    assert "includes key attribute(s) PK, SK, customer, placed" in applied.stderr
    index = ddb.describe_table(TableName="orders-dev-keys")["Table"]["GlobalSecondaryIndexes"]
    found = {g["IndexName"]: sorted(g["Projection"]["NonKeyAttributes"]) for g in index}
    assert found == {"byCustomer": ["other_key", "total"], "byOther": ["customer", "note"]}
    replan = run_cli(capsys, *args, "plan", "--detailed-exitcode")
    assert replan.code == 0, replan.stdout
