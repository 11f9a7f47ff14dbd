"""Normalizing DescribeTable output (pure): computed fields ignored, defaults explicit."""

from __future__ import annotations

from typing import Any

from dynaform.core.live import normalize
from dynaform.core.model import Sse

ON_DEMAND: dict[str, Any] = {
    "TableName": "app-dev-main",
    "TableStatus": "ACTIVE",
    "TableArn": "arn:aws:dynamodb:us-east-1:1:table/app-dev-main",
    "ItemCount": 7,
    "TableSizeBytes": 700,
    "AttributeDefinitions": [
        {"AttributeName": "SK", "AttributeType": "S"},
        {"AttributeName": "PK", "AttributeType": "S"},
        {"AttributeName": "n", "AttributeType": "N"},
    ],
    "KeySchema": [
        {"AttributeName": "PK", "KeyType": "HASH"},
        {"AttributeName": "SK", "KeyType": "RANGE"},
    ],
    "ProvisionedThroughput": {
        "ReadCapacityUnits": 0,
        "WriteCapacityUnits": 0,
        "NumberOfDecreasesToday": 0,
    },
    "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
    "OnDemandThroughput": {"MaxReadRequestUnits": -1, "MaxWriteRequestUnits": -1},
    "GlobalSecondaryIndexes": [
        {
            "IndexName": "zeta",
            "KeySchema": [{"AttributeName": "n", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["b", "a"]},
            "IndexStatus": "CREATING",
            "Backfilling": True,
            "ProvisionedThroughput": {"ReadCapacityUnits": 0, "WriteCapacityUnits": 0},
        },
        {
            "IndexName": "alpha",
            "KeySchema": [{"AttributeName": "SK", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"},
            "IndexStatus": "ACTIVE",
        },
    ],
    "StreamSpecification": {"StreamEnabled": False},
    "SSEDescription": {
        "Status": "ENABLED",
        "SSEType": "KMS",
        "KMSMasterKeyArn": "arn:aws:kms:us-east-1:1:key/abc",
    },
    "DeletionProtectionEnabled": True,
}


def test_on_demand_table_normalizes_to_the_declared_shape() -> None:
    live = normalize(
        ON_DEMAND,
        ttl={"TimeToLiveDescription": {"TimeToLiveStatus": "ENABLING", "AttributeName": "exp"}},
        backups={
            "ContinuousBackupsDescription": {
                "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "ENABLED"}
            }
        },
        tags=[{"Key": "environment", "Value": "dev"}],
    )
    spec = live.spec
    assert spec.billing.mode == "PAY_PER_REQUEST" and spec.billing.on_demand is None
    assert [g.name for g in spec.gsis] == ["alpha", "zeta"]  # order-free
    zeta = spec.gsi("zeta")
    assert zeta is not None and zeta.throughput is None  # 0/0 on on-demand is not capacity
    assert zeta.partition_key.type == "N" and zeta.projection.non_key == ("a", "b")
    assert spec.ttl == "exp" and spec.pitr and spec.deletion_protection
    assert spec.stream is None
    assert spec.sse == Sse(kind="kms", kms_key="arn:aws:kms:us-east-1:1:key/abc")
    assert spec.tags == {"environment": "dev"}
    assert not live.ready and live.indexes["zeta"].backfilling
    assert live.item_count == 7


def test_missing_optional_sections_mean_defaults() -> None:
    bare = {
        k: v
        for k, v in ON_DEMAND.items()
        if k
        not in {
            "BillingModeSummary",
            "GlobalSecondaryIndexes",
            "SSEDescription",
            "DeletionProtectionEnabled",
            "OnDemandThroughput",
        }
    }
    bare["ProvisionedThroughput"] = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 2}
    spec = normalize(bare, {"TimeToLiveDescription": {"TimeToLiveStatus": "DISABLED"}}).spec
    assert spec.billing.mode == "PROVISIONED"
    assert spec.billing.throughput is not None and spec.billing.throughput.read == 5
    assert spec.sse == Sse() and spec.ttl is None and not spec.pitr
    assert spec.table_class == "STANDARD" and spec.tags == {}
