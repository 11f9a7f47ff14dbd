"""Probing what an endpoint supports (the model is ``dynaform.core.capabilities``)."""

from __future__ import annotations

from botocore.exceptions import ClientError

from dynaform.aws.client import DynamoDBClient, translate_error
from dynaform.core.capabilities import AWS, DYNAMODB_LOCAL, MOTO, Capabilities

PROBE_TABLE = "dynaform-capability-probe"


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
