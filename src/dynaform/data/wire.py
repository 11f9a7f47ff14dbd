"""A lean DynamoDB client for the bulk path.

botocore's model-driven serializer and parser cost more CPU per item than DynamoDB Local's own
work, so the bulk path builds request JSON itself (orjson) and reads responses itself. Everything
else is botocore's: the credential chain, the SigV4 signer, the endpoint, the error shape
(``ClientError`` with the same ``Error.Code``), and the retry decisions and delays
(``botocore.retries.standard``), so errors and retries behave as with a botocore client.
"""

from __future__ import annotations

import time
import zlib
from typing import Any

import orjson
import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from botocore.retries.standard import ExponentialBackoff, RetryContext, StandardRetryConditions

from dynaform.aws.client import DynamoDBClient, credentials_for
from dynaform.settings import Settings

TARGET = "DynamoDB_20120810."


class _HttpResponse:
    """What botocore's retry checkers read from a response."""

    def __init__(self, status: int, headers: dict[str, str], content: bytes) -> None:
        self.status_code = status
        self.headers = headers
        self.content = content


class WireClient:
    def __init__(
        self,
        settings: Settings,
        endpoint_url: str | None = None,
        *,
        max_connections: int = 16,
        max_attempts: int = 3,
        connect_timeout: float = 2.0,
        read_timeout: float = 60.0,
        client: DynamoDBClient | None = None,
    ) -> None:
        from dynaform.aws.client import dynamodb_client

        # A botocore client resolves the endpoint and region exactly as everywhere else.
        botocore_client = client or dynamodb_client(settings, endpoint_url)
        self.endpoint_url: str = botocore_client.meta.endpoint_url
        self.region: str = botocore_client.meta.region_name
        self._service_model = botocore_client.meta.service_model
        self._credentials = credentials_for(settings, endpoint_url)
        self._pool = urllib3.PoolManager(
            maxsize=max_connections,
            block=False,
            retries=False,
            timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
        )
        self._conditions = StandardRetryConditions(max_attempts=max_attempts)
        self._backoff = ExponentialBackoff(service_name="dynamodb")
        self.requests = 0
        self.retries = 0

    def close(self) -> None:
        self._pool.clear()

    def _headers(self, operation: str, body: bytes) -> dict[str, str]:
        request = AWSRequest(
            method="POST",
            url=self.endpoint_url + "/",
            data=body,
            headers={
                "Content-Type": "application/x-amz-json-1.0",
                "X-Amz-Target": TARGET + operation,
            },
        )
        frozen = self._credentials.get_frozen_credentials()
        SigV4Auth(frozen, "dynamodb", self.region).add_auth(request)
        return dict(request.headers.items())

    def _send(self, operation: str, body: bytes) -> _HttpResponse:
        headers = self._headers(operation, body)
        self.requests += 1
        try:
            response = self._pool.urlopen(
                "POST", self.endpoint_url + "/", body=body, headers=headers, redirect=False
            )
        except urllib3.exceptions.NewConnectionError as exc:
            raise EndpointConnectionError(endpoint_url=self.endpoint_url, error=exc) from exc
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise ReadTimeoutError(endpoint_url=self.endpoint_url, error=exc) from exc
        except (urllib3.exceptions.ProtocolError, urllib3.exceptions.MaxRetryError) as exc:
            raise ConnectionClosedError(endpoint_url=self.endpoint_url, error=exc) from exc
        return _HttpResponse(response.status, dict(response.headers.items()), response.data)

    def _parse(self, operation: str, response: _HttpResponse) -> dict[str, Any]:
        try:
            data = orjson.loads(response.content) if response.content else {}
        except orjson.JSONDecodeError:
            data = {}
        if response.status_code < 300 and isinstance(data, dict):
            checksum = response.headers.get("x-amz-crc32")
            if checksum is None or zlib.crc32(response.content) & 0xFFFFFFFF == int(checksum):
                return data
            code, message = "CRC32CheckFailed", "response checksum does not match"
        else:
            raw_type = str(data.get("__type", "")) if isinstance(data, dict) else ""
            code = raw_type.rsplit("#", 1)[-1] or str(response.status_code)
            message = (
                str(data.get("message") or data.get("Message") or "")
                if isinstance(data, dict)
                else ""
            )
        raise ClientError(
            {
                "Error": {"Code": code, "Message": message},
                "ResponseMetadata": {
                    "HTTPStatusCode": response.status_code,
                    "HTTPHeaders": response.headers,
                },
            },
            operation,
        )

    def call(self, operation: str, payload: bytes | dict[str, Any]) -> dict[str, Any]:
        """One operation, with botocore's standard retries; raises ClientError like botocore."""
        body = payload if isinstance(payload, bytes) else orjson.dumps(payload)
        operation_model = self._service_model.operation_model(operation)
        attempt = 1
        while True:
            response: _HttpResponse | None = None
            parsed: dict[str, Any] | None = None
            caught: Exception | None = None
            try:
                response = self._send(operation, body)
                return self._parse(operation, response)
            except ClientError as exc:
                caught = exc
                parsed = exc.response
            except (EndpointConnectionError, ConnectionClosedError, ReadTimeoutError) as exc:
                caught = exc
            context = RetryContext(
                attempt_number=attempt,
                operation_model=operation_model,
                parsed_response=parsed,
                http_response=response,
                caught_exception=None if parsed is not None else caught,
            )
            if not self._conditions.is_retryable(context):
                assert caught is not None
                raise caught
            time.sleep(self._backoff.delay_amount(context))
            attempt += 1
            self.retries += 1
