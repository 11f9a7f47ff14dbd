"""What an endpoint holds: can we reach it, and a summary of every table (``dynaform status``)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from dynaform.aws.client import DynamoDBClient, translate_error


@dataclass(frozen=True)
class TableSummary:
    name: str
    status: str
    item_count: int | None
    size_bytes: int | None
    billing: str
    indexes: int
    deletion_protection: bool


def check_connection(client: DynamoDBClient, target: str) -> float:
    """One cheap signed call; returns its round trip in seconds, raises a DynaformError."""
    began = time.perf_counter()
    try:
        client.list_tables(Limit=1)
    except Exception as exc:
        raise translate_error(exc, target) from exc
    return time.perf_counter() - began


def list_table_names(client: DynamoDBClient, target: str) -> list[str]:
    names: list[str] = []
    try:
        for page in client.get_paginator("list_tables").paginate():
            names.extend(page.get("TableNames", []))
    except Exception as exc:
        raise translate_error(exc, target) from exc
    return names


def summarize(description: dict[str, Any]) -> TableSummary:
    """Pure: a DescribeTable ``Table`` record -> TableSummary."""
    billing_mode = description.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")
    if billing_mode == "PAY_PER_REQUEST":
        billing = "on demand"
    else:
        throughput = description.get("ProvisionedThroughput", {})
        read = throughput.get("ReadCapacityUnits", "?")
        write = throughput.get("WriteCapacityUnits", "?")
        billing = f"provisioned {read}/{write}"
    return TableSummary(
        name=str(description["TableName"]),
        status=str(description.get("TableStatus", "UNKNOWN")),
        item_count=description.get("ItemCount"),
        size_bytes=description.get("TableSizeBytes"),
        billing=billing,
        indexes=len(description.get("GlobalSecondaryIndexes", []))
        + len(description.get("LocalSecondaryIndexes", [])),
        deletion_protection=bool(description.get("DeletionProtectionEnabled", False)),
    )


def describe_tables(client: DynamoDBClient, names: list[str], target: str) -> list[TableSummary]:
    """DescribeTable for each name, a few at a time; tables deleted meanwhile are left out."""

    def one(name: str) -> TableSummary | None:
        try:
            return summarize(client.describe_table(TableName=name)["Table"])
        except client.exceptions.ResourceNotFoundException:
            return None
        except Exception as exc:
            raise translate_error(exc, target) from exc

    with ThreadPoolExecutor(max_workers=8) as pool:
        found = list(pool.map(one, names))
    return [summary for summary in found if summary is not None]
