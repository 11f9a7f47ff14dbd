"""A table's CloudWatch metrics (``describe TABLE --metrics``): consumed read and write capacity,
throttled requests and, for provisioned capacity, utilisation, per table and per GSI, over a
window cut into equal periods (one GetMetricData call per 500 series, paginated)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from dynaform.aws.client import client_config, make_session, needs_placeholder_credentials
from dynaform.errors import DynaformError
from dynaform.settings import Settings

NAMESPACE = "AWS/DynamoDB"
# (what the report calls it, CloudWatch's metric, statistic)
METRICS = (
    ("read", "ConsumedReadCapacityUnits", "Sum"),
    ("write", "ConsumedWriteCapacityUnits", "Sum"),
    ("read throttles", "ReadThrottleEvents", "Sum"),
    ("write throttles", "WriteThrottleEvents", "Sum"),
    ("provisioned read", "ProvisionedReadCapacityUnits", "Average"),
    ("provisioned write", "ProvisionedWriteCapacityUnits", "Average"),
)
POINTS = 48  # periods in the window: one character each in the chart
_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_since(text: str) -> timedelta:
    """'24h', '90m', '7d', '2w' -> the window."""
    found = re.fullmatch(r"\s*(\d+)\s*([mhdw])\s*", text.lower())
    if not found or int(found.group(1)) == 0:
        raise DynaformError(
            f"cannot read the window {text!r}", hint="e.g. --since 24h (m, h, d or w)"
        )
    return timedelta(seconds=int(found.group(1)) * _UNITS[found.group(2)])


def cloudwatch_client(settings: Settings, endpoint_url: str | None) -> Any:
    """A CloudWatch client on the same credentials, region and endpoint as DynamoDB."""
    kwargs: dict[str, Any] = {
        "region_name": settings.region,
        "endpoint_url": endpoint_url,
        "config": client_config(),
    }
    if needs_placeholder_credentials(settings, endpoint_url):
        kwargs["aws_access_key_id"] = kwargs["aws_secret_access_key"] = "dynaform"
    return make_session(settings).create_client("cloudwatch", **kwargs)


@dataclass
class ResourceMetrics:
    """One table or one of its GSIs: a series per metric, ``points`` values each (per second
    for capacity, counts for throttles), oldest first."""

    name: str  # the table, or "table / index"
    series: dict[str, list[float]] = field(default_factory=dict)

    def utilisation(self, kind: str) -> list[float] | None:
        """Consumed over provisioned, in percent, per period (provisioned tables only)."""
        provisioned = self.series.get(f"provisioned {kind}", [])
        if not any(provisioned):
            return None
        consumed = self.series.get(kind, [])
        return [100 * c / p if p else 0.0 for c, p in zip(consumed, provisioned, strict=True)]


@dataclass
class TableMetrics:
    table: str
    start: datetime
    end: datetime
    period: int  # seconds per point
    resources: list[ResourceMetrics]


def _period(window: timedelta) -> int:
    """Whole minutes, at least one, so that the window holds about ``POINTS`` periods."""
    seconds = int(window.total_seconds())
    return max(60, -(-seconds // POINTS // 60) * 60)


def _queries(table: str, indexes: list[str], period: int) -> list[dict[str, Any]]:
    queries = []
    for r, index in enumerate([None, *indexes]):
        dimensions = [{"Name": "TableName", "Value": table}]
        if index is not None:
            dimensions.append({"Name": "GlobalSecondaryIndexName", "Value": index})
        for m, (_, metric, stat) in enumerate(METRICS):
            queries.append(
                {
                    "Id": f"r{r}m{m}",
                    "MetricStat": {
                        "Metric": {
                            "Namespace": NAMESPACE,
                            "MetricName": metric,
                            "Dimensions": dimensions,
                        },
                        "Period": period,
                        "Stat": stat,
                    },
                    "ReturnData": True,
                }
            )
    return queries


def _fetch(client: Any, queries: list[dict[str, Any]], start: datetime, end: datetime) -> Any:
    """Id -> [(timestamp, value)] over every page."""
    found: dict[str, list[tuple[datetime, float]]] = {}
    for chunk in range(0, len(queries), 500):
        token: str | None = None
        while True:
            request: dict[str, Any] = {
                "MetricDataQueries": queries[chunk : chunk + 500],
                "StartTime": start,
                "EndTime": end,
                "ScanBy": "TimestampAscending",
            }
            if token:
                request["NextToken"] = token
            answer = client.get_metric_data(**request)
            for result in answer.get("MetricDataResults", []):
                pairs = zip(result.get("Timestamps", []), result.get("Values", []), strict=False)
                found.setdefault(result["Id"], []).extend(pairs)
            token = answer.get("NextToken")
            if not token:
                break
    return found


def read_metrics(
    client: Any, table: str, indexes: list[str], window: timedelta, now: datetime | None = None
) -> TableMetrics:
    period = _period(window)
    end = (now or datetime.now(UTC)).replace(microsecond=0)
    end = end - timedelta(seconds=end.timestamp() % period) + timedelta(seconds=period)
    points = -(-int(window.total_seconds()) // period)
    start = end - timedelta(seconds=points * period)
    found = _fetch(client, _queries(table, indexes, period), start, end)
    resources = []
    for r, index in enumerate([None, *indexes]):
        resource = ResourceMetrics(table if index is None else f"{table} / {index}")
        for m, (label, _, stat) in enumerate(METRICS):
            values = [0.0] * points
            for stamp, value in found.get(f"r{r}m{m}", []):
                slot = int((stamp.astimezone(UTC) - start).total_seconds() // period)
                if 0 <= slot < points:
                    values[slot] += value / period if stat == "Sum" and m < 2 else value
            resource.series[label] = values
        resources.append(resource)
    return TableMetrics(table, start, end, period, resources)
