"""What an endpoint supports. DynamoDB Local has no tags, PITR, SSE, table classes or on-demand
throughput limits: plans there mark those as skipped instead of failing or diffing forever."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Capabilities:
    engine: str  # "aws", "dynamodb-local", "moto" or "unknown"
    tags: bool = True
    pitr: bool = True
    sse: bool = True
    table_class: bool = True
    on_demand_limits: bool = True

    def lacks(self) -> list[str]:
        names = ("tags", "pitr", "sse", "table_class", "on_demand_limits")
        return [name for name in names if not getattr(self, name)]


AWS = Capabilities("aws")
DYNAMODB_LOCAL = Capabilities(
    "dynamodb-local", tags=False, pitr=False, sse=False, table_class=False, on_demand_limits=False
)


# moto accepts TableClass and OnDemandThroughput but does not report them back.
MOTO = Capabilities("moto", table_class=False, on_demand_limits=False)
