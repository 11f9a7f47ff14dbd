"""Reading what an endpoint holds: reachability, table summaries, one table's report, the
project's status, and live tables for ``export``."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any

from dynaform.api.binding import Binding, translated
from dynaform.api.tables import list_tables, plan, read_live
from dynaform.core.live import LiveTable
from dynaform.errors import DynaformError


@dataclass(frozen=True)
class Overview:
    latency: float
    tables: list[Any]  # dynaform.aws.overview.TableSummary


def overview(binding: Binding) -> Overview:
    """One quick probe (a dead endpoint fails within seconds), then every table's summary."""
    from dynaform.aws.client import client_config, dynamodb_client, where
    from dynaform.aws.overview import check_connection, describe_tables

    endpoint = binding.endpoint_url
    target = where(binding.settings, endpoint)
    probe = dynamodb_client(
        binding.settings,
        endpoint,
        config=client_config(attempts=1, connect_timeout=2, read_timeout=3),
    )
    latency = check_connection(probe, target)
    conn = binding.connection()
    return Overview(latency, describe_tables(conn.client, list_tables(conn), conn.target))


def project_status(binding: Binding) -> dict[str, Any]:
    """Which declared tables exist, are missing, or drifted from the file (reads only)."""
    result = plan(binding)
    states = {name: "in sync" for name in result.diff.unchanged}
    for change in result.changes:
        if change.resuming:
            states[change.table] = change.ops[0].reason
            continue
        states[change.table] = {
            "create": "missing",
            "table-rebuild": "drifted: keys differ (rebuild needed)",
        }.get(change.kind, f"drifted: {', '.join(sorted(change.field_names()))}")
    assert binding.project is not None
    return {"project": binding.project.name, "env": binding.env, "tables": states}


@dataclass(frozen=True)
class TableReport:
    live: LiveTable
    progress: str  # table and index status, backfill percentage


def describe(binding: Binding, name: str) -> TableReport:
    """One table's live state; ``name`` is logical (with a project) or physical."""
    from dynaform.aws.execute import describe_progress

    physical = binding.physical(name)
    conn = binding.connection()
    live = read_live(conn, [physical]).get(physical)
    if live is None:
        raise DynaformError(
            f"table {physical} does not exist on {conn.target}",
            hint="see `dynaform status` for the tables there",
        )
    with translated(conn.target):
        raw = conn.client.describe_table(TableName=physical)["Table"]
    return TableReport(live, describe_progress(raw))


def live_tables(binding: Binding, pattern: str = "*") -> list[LiveTable]:
    """Every live table whose name matches the glob (for ``export``)."""
    conn = binding.connection()
    names = [n for n in list_tables(conn) if fnmatch.fnmatch(n, pattern)]
    if not names:
        raise DynaformError(
            f"no table on {conn.target} matches {pattern!r}",
            hint="see `dynaform status` for the tables there",
        )
    return [t for t in read_live(conn, names).values() if t is not None]


def table_metrics(binding: Binding, name: str, since: str = "24h") -> Any:
    """The table's CloudWatch metrics (per table and per GSI) over ``since`` ('24h', '7d'),
    as ``dynaform.aws.metrics.TableMetrics``; a sentence instead where CloudWatch is absent
    (DynamoDB Local has no metrics)."""
    from dynaform.aws.metrics import cloudwatch_client, parse_since, read_metrics

    window = parse_since(since)
    report = describe(binding, name)
    conn = binding.connection()
    if conn.caps.engine == "dynamodb-local":
        return "metrics are not available on DynamoDB Local (CloudWatch exists on AWS only)"
    client = cloudwatch_client(conn.settings, conn.endpoint_url)
    indexes = [gsi.name for gsi in report.live.spec.gsis]
    with translated(conn.target):
        return read_metrics(client, report.live.spec.name, indexes, window)
