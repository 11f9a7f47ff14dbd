"""What an endpoint supports. DynamoDB Local has no tags, PITR, SSE, table classes or on-demand
throughput limits: plans there mark those as skipped instead of failing or diffing forever."""

from __future__ import annotations

from dataclasses import dataclass

from botocore.exceptions import ClientError

from dynaform.aws.client import DynamoDBClient, translate_error

PROBE_TABLE = "dynaform-capability-probe"


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


def detect(client: DynamoDBClient, endpoint_url: str | None) -> Capabilities:
    """AWS itself when no endpoint is set; otherwise ask the endpoint (two cheap calls)."""
    if endpoint_url is None:
        return AWS
    arn = f"arn:aws:dynamodb:us-east-1:000000000000:table/{PROBE_TABLE}"
    try:
        client.list_tags_of_resource(ResourceArn=arn)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        message = exc.response.get("Error", {}).get("Message", "")
        if code == "UnknownOperationException" and "DynamoDB Local" in message:
            return DYNAMODB_LOCAL
        if code == "UnknownOperationException":
            return Capabilities("unknown", tags=False, pitr=_has_pitr(client))
    except Exception as exc:
        raise translate_error(exc, endpoint_url) from exc
    server = _server_header(client)
    if "werkzeug" in server.lower():
        return MOTO
    return Capabilities("unknown", pitr=_has_pitr(client))


def _has_pitr(client: DynamoDBClient) -> bool:
    try:
        client.describe_continuous_backups(TableName=PROBE_TABLE)
    except ClientError as exc:
        return str(exc.response.get("Error", {}).get("Code", "")) != "UnknownOperationException"
    return True


def _server_header(client: DynamoDBClient) -> str:
    try:
        response = client.list_tables(Limit=1)
    except Exception:
        return ""
    headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    return str(headers.get("server", ""))
