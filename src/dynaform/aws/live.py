"""Reading live tables: DescribeTable + DescribeTimeToLive + DescribeContinuousBackups +
ListTagsOfResource, normalized by ``dynaform.core.live.normalize``."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from dynaform.aws.client import DynamoDBClient, translate_error
from dynaform.core.capabilities import Capabilities
from dynaform.core.live import LiveTable, normalize


def _all_tags(client: DynamoDBClient, arn: str) -> list[dict[str, str]]:
    tags: list[dict[str, str]] = []
    token = None
    while True:
        page = client.list_tags_of_resource(
            ResourceArn=arn, **({"NextToken": token} if token else {})
        )
        tags += page.get("Tags", [])
        token = page.get("NextToken")
        if not token:
            return tags


def read_table(client: DynamoDBClient, name: str, caps: Capabilities) -> LiveTable | None:
    """One table's live state, or None when it does not exist."""
    try:
        table = client.describe_table(TableName=name)["Table"]
    except client.exceptions.ResourceNotFoundException:
        return None
    if table.get("TableStatus") == "DELETING":
        return None
    try:
        ttl = client.describe_time_to_live(TableName=name)
    except client.exceptions.ResourceNotFoundException:
        return None
    backups = client.describe_continuous_backups(TableName=name) if caps.pitr else None
    tags = _all_tags(client, table["TableArn"]) if caps.tags else None
    return normalize(table, ttl, backups, tags)


def read_tables(
    client: DynamoDBClient, names: list[str], caps: Capabilities, target: str
) -> dict[str, LiveTable | None]:
    """Several tables at once (describe calls in parallel)."""

    def one(name: str) -> LiveTable | None:
        try:
            return read_table(client, name, caps)
        except Exception as exc:
            raise translate_error(exc, target) from exc

    with ThreadPoolExecutor(max_workers=8) as pool:
        return dict(zip(names, pool.map(one, names), strict=True))
