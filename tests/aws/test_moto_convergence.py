"""Tags, PITR, SSE and deletion protection converge.

DynamoDB Local has no tags, PITR or SSE, so this test runs against moto's server (started
through `dynaform local start --engine moto`'s code path), as the project's rules allow for APIs
DynamoDB Local lacks.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from dynaform.aws.client import dynamodb_client
from tests.conftest import local_settings
from tests.helpers import run_cli

PROJECT = """\
project: conv
environments:
  dev: {target: aws}
tags: {team: core, cost: "42"}
tables:
  main:
    partition_key: PK
    sort_key: SK
    ttl: ttl
    point_in_time_recovery: true
    encryption: aws_managed
    deletion_protection: true
    stream: new_and_old_images
    indexes:
      byOwner: {partition_key: owner, projection: {include: [title, body]}}
"""


def test_tags_pitr_sse_and_deletion_protection_converge_on_moto(
    capsys: pytest.CaptureFixture[str],
    clean_env: pytest.MonkeyPatch,
    moto_endpoint: str,
    tmp_path: Path,
) -> None:
    clean_env.setenv("AWS_ACCESS_KEY_ID", "testing")
    clean_env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    path = tmp_path / "dynaform.yaml"
    path.write_text(textwrap.dedent(PROJECT))

    def df(*args: str) -> Any:
        return run_cli(capsys, "-f", str(path), "--endpoint-url", moto_endpoint, *args)

    created = df("apply", "--yes")
    assert created.code == 0, created.stderr
    assert "live state matches" in created.stderr
    assert df("plan", "--detailed-exitcode").code == 0

    ddb: Any = dynamodb_client(local_settings(moto_endpoint))
    table = ddb.describe_table(TableName="conv-dev-main")["Table"]
    assert table["DeletionProtectionEnabled"] is True
    assert table["SSEDescription"]["Status"] == "ENABLED"
    tags = {
        t["Key"]: t["Value"]
        for t in ddb.list_tags_of_resource(ResourceArn=table["TableArn"])["Tags"]
    }
    # dynaform marks the tables it owns (prune only ever considers those).
    assert tags == {"team": "core", "cost": "42", "environment": "dev", "dynaform:project": "conv"}
    backups = ddb.describe_continuous_backups(TableName="conv-dev-main")
    assert (
        backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"][
            "PointInTimeRecoveryStatus"
        ]
        == "ENABLED"
    )

    path.write_text(
        textwrap.dedent(PROJECT)
        .replace('team: core, cost: "42"', "team: web")
        .replace("point_in_time_recovery: true", "point_in_time_recovery: false")
        .replace("deletion_protection: true", "deletion_protection: false")
    )
    planned = df("plan")
    assert "removes cost" in planned.stdout
    changed = df("apply", "--yes")
    assert changed.code == 0, changed.stderr
    assert "live state matches" in changed.stderr
    assert df("plan", "--detailed-exitcode").code == 0
    tags = {
        t["Key"]: t["Value"]
        for t in ddb.list_tags_of_resource(ResourceArn=table["TableArn"])["Tags"]
    }
    assert tags == {"team": "web", "environment": "dev", "dynaform:project": "conv"}
    assert (
        ddb.describe_table(TableName="conv-dev-main")["Table"]["DeletionProtectionEnabled"] is False
    )
