"""What the data plane needs to know about a table: that it exists, and its keys."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from dynaform.data.errors import DataError
from dynaform.data.wire import WireClient

KEY_TYPES = {"S", "N", "B"}


def describe(wire: WireClient, table: str) -> dict[str, Any]:
    try:
        answer = wire.call("DescribeTable", {"TableName": table})
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            raise DataError(
                f"table {table} does not exist on {wire.endpoint_url}",
                hint="create it with `dynaform apply`, or check the name, -e and --endpoint-url",
            ) from exc
        raise
    return dict(answer["Table"])


def key_schema(table: dict[str, Any]) -> tuple[tuple[str, ...], dict[str, str]]:
    """(key names, partition key first; {name: type})."""
    names = tuple(
        k["AttributeName"] for k in sorted(table["KeySchema"], key=lambda k: k["KeyType"])
    )
    types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
    return names, {n: types[n] for n in names}
