"""`dynaform describe TABLE --metrics`: CloudWatch's consumed capacity, throttles and
utilisation per table and per GSI, read from moto's CloudWatch (metrics put by the test; the
project's rules allow moto for APIs DynamoDB Local lacks); on DynamoDB Local a sentence."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dynaform.aws.client import dynamodb_client
from dynaform.aws.metrics import cloudwatch_client
from tests.conftest import create_simple_table, local_settings
from tests.helpers import run_cli


def make_table(endpoint: str, name: str) -> None:
    ddb: Any = dynamodb_client(local_settings(endpoint))
    ddb.create_table(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": "PK", "AttributeType": "S"},
            {"AttributeName": "owner", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "byOwner",
                "KeySchema": [{"AttributeName": "owner", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
                "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
            }
        ],
        ProvisionedThroughput={"ReadCapacityUnits": 10, "WriteCapacityUnits": 10},
    )


def put_metrics(endpoint: str, table: str, at: datetime) -> None:
    """An hour ago: 1,800 read units (7.5/s over a 4-minute bar: 75 % of 10 provisioned), 7
    write throttles; on the GSI 120 write units (0.5/s: 10 % of 5)."""
    cloudwatch: Any = cloudwatch_client(local_settings(endpoint), endpoint)
    base = [{"Name": "TableName", "Value": table}]
    gsi = [*base, {"Name": "GlobalSecondaryIndexName", "Value": "byOwner"}]
    data = [
        ("ConsumedReadCapacityUnits", base, 1800.0),
        ("ProvisionedReadCapacityUnits", base, 10.0),
        ("WriteThrottleEvents", base, 7.0),
        ("ConsumedWriteCapacityUnits", gsi, 120.0),
        ("ProvisionedWriteCapacityUnits", gsi, 5.0),
    ]
    cloudwatch.put_metric_data(
        Namespace="AWS/DynamoDB",
        MetricData=[
            {"MetricName": name, "Dimensions": dims, "Value": value, "Timestamp": at}
            for name, dims, value in data
        ],
    )


def test_metrics_per_table_and_gsi_from_cloudwatch(
    capsys: pytest.CaptureFixture[str], clean_env: pytest.MonkeyPatch, moto_endpoint: str
) -> None:
    clean_env.setenv("AWS_ACCESS_KEY_ID", "testing")
    clean_env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    make_table(moto_endpoint, "metered")
    put_metrics(moto_endpoint, "metered", datetime.now(UTC) - timedelta(hours=1))
    args = ["--endpoint-url", moto_endpoint, "describe", "metered", "--metrics", "--since", "3h"]

    shown = run_cli(capsys, *args)
    assert shown.code == 0, shown.stderr
    assert "one bar per 4 min" in shown.stdout
    lines = shown.stdout.splitlines()
    table_at, gsi_at = lines.index("metered"), lines.index("metered / byOwner")
    table_part, gsi_part = lines[table_at:gsi_at], lines[gsi_at:]
    [read] = [line for line in table_part if "consumed read" in line]
    assert "█" in read and read.endswith("peak 7.50")  # 1,800 units over a 4-minute bar
    [throttles] = [line for line in table_part if "write throttles" in line]
    assert throttles.endswith("total 7")
    [used] = [line for line in table_part if "read utilisation" in line]
    assert used.endswith("peak 75")  # 7.5/s of 10
    [gsi_write] = [line for line in gsi_part if "consumed write" in line]
    assert gsi_write.endswith("peak 0.50")
    [gsi_used] = [line for line in gsi_part if "write utilisation" in line]
    assert gsi_used.endswith("peak 10")
    assert not [line for line in gsi_part if "read utilisation" in line]  # none provisioned

    as_json = run_cli(capsys, "--json", *args)
    assert as_json.code == 0, as_json.stderr
    found = json.loads(as_json.stdout)["metrics"]
    assert found["period_seconds"] == 240
    series = found["resources"]["metered"]
    assert len(series["read"]) == 45 and sum(series["read"]) == 7.5
    assert sum(series["write throttles"]) == 7
    assert sum(found["resources"]["metered / byOwner"]["write"]) == 0.5


def test_dynamodb_local_says_metrics_are_not_available_there(
    capsys: pytest.CaptureFixture[str],
    clean_env: pytest.MonkeyPatch,
    ddb: Any,
    ddb_endpoint: str,
    table_name: Any,
) -> None:
    table = table_name("nometrics")
    create_simple_table(ddb, table)
    shown = run_cli(capsys, "--endpoint-url", ddb_endpoint, "describe", table, "--metrics")
    assert shown.code == 0, shown.stderr
    assert "metrics are not available on DynamoDB Local" in shown.stdout
    window = ("--endpoint-url", ddb_endpoint, "describe", table, "--metrics", "--since", "soon")
    refused = run_cli(capsys, *window)
    assert refused.code == 1 and "cannot read the window 'soon'" in refused.stderr
