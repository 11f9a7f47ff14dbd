"""A lean DynamoDB client for the bulk path.

botocore's model-driven serializer and parser cost more CPU per item than DynamoDB Local's own
work, so the bulk path builds request JSON itself (orjson) and reads responses itself. Everything
else is botocore's: the credential chain, the SigV4 signer, the endpoint, the error shape
(``ClientError`` with the same ``Error.Code``), and the retry decisions and delays
(``botocore.retries.standard``), so errors and retries behave as with a botocore client.

An endpoint that stops answering (connection refused or reset, timeouts) is given ``patience``
seconds, counted from the first failing attempt: after that the client stops retrying, and
``call_patiently`` raises ``EndpointUnreachableError`` so a bulk run stops within seconds instead of
retrying for minutes.
"""

from __future__ import annotations

import threading
import time
import zlib
from typing import Any
from urllib.parse import urlsplit

import orjson
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    ReadTimeoutError,
)
from botocore.exceptions import ConnectionError as BotocoreConnectionError
from botocore.retries.standard import ExponentialBackoff, RetryContext, StandardRetryConditions
from botocore.utils import get_environ_proxies

from dynaform.aws.client import DynamoDBClient, credentials_for
from dynaform.data import http
from dynaform.data.errors import EndpointUnreachableError
from dynaform.settings import Settings

TARGET = "DynamoDB_20120810."
# Connection refused or reset, timeouts: the endpoint did not answer at all.
CONNECTION_ERRORS = (BotocoreConnectionError, HTTPClientError)


class _HttpResponse:
    """What botocore's retry checkers read from a response."""

    def __init__(self, status: int, headers: dict[str, str], content: bytes) -> None:
        self.status_code = status
        self.headers = headers
        self.content = content


def _botocore_transport(client: DynamoDBClient) -> tuple[str | None, Any]:
    """The certificates botocore checks against, and botocore's own HTTP session when the lean
    pool cannot stand in for it: a proxy applies to the endpoint (configured or from
    HTTPS_PROXY/NO_PROXY) or certificate checks are off. Its errors are botocore's already."""
    session = getattr(getattr(client, "_endpoint", None), "http_session", None)
    verify = getattr(session, "_verify", True)
    proxies = client.meta.config.proxies or get_environ_proxies(client.meta.endpoint_url)
    if session is not None and (proxies or verify is False):
        return None, session
    return (verify if isinstance(verify, str) else None), None


class WireClient:
    def __init__(
        self,
        settings: Settings,
        endpoint_url: str | None = None,
        *,
        max_connections: int = 16,
        max_attempts: int = 3,
        connect_timeout: float = 2.0,
        read_timeout: float = 15.0,
        patience: float = 10.0,
        client: DynamoDBClient | None = None,
    ) -> None:
        from dynaform.aws.client import dynamodb_client

        # A botocore client resolves the endpoint and region exactly as everywhere else.
        botocore_client = client or dynamodb_client(settings, endpoint_url)
        self.endpoint_url: str = botocore_client.meta.endpoint_url
        self.region: str = botocore_client.meta.region_name
        self._service_model = botocore_client.meta.service_model
        self._credentials = credentials_for(settings, endpoint_url)
        verify, self._session = _botocore_transport(botocore_client)
        self._pool = http.Connections(
            self.endpoint_url,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            maxsize=max_connections,
            cafile=verify,
        )
        self._path = urlsplit(self.endpoint_url).path or "/"
        self._url = self.endpoint_url.rstrip("/") + self._path
        self._conditions = StandardRetryConditions(max_attempts=max_attempts)
        self._backoff = ExponentialBackoff(service_name="dynamodb")
        self.requests = 0
        self.retries = 0
        self.patience = patience
        self._down_since: float | None = None  # the first failing attempt since a success
        self._health = threading.Lock()

    def close(self) -> None:
        self._pool.clear()

    def _headers(self, operation: str, body: bytes) -> dict[str, str]:
        request = AWSRequest(
            method="POST",
            url=self._url,
            data=body,
            headers={
                "Host": self._pool.host,  # signed as sent
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
        if self._session is not None:  # a proxy or no certificate checks: botocore's own HTTP
            sent = self._session.send(AWSRequest("POST", self._url, headers, body).prepare())
            answer = {name.lower(): value for name, value in sent.headers.items()}  # as the pool's
            return _HttpResponse(sent.status_code, answer, sent.content)
        try:
            status, answer, content = self._pool.post(self._path, headers, body)
        except http.ConnectFailedError as exc:
            raise EndpointConnectionError(endpoint_url=self.endpoint_url, error=exc) from exc
        except http.ConnectTimedOutError as exc:
            raise ConnectTimeoutError(endpoint_url=self.endpoint_url, error=exc) from exc
        except (http.ReadTimedOutError, TimeoutError) as exc:
            raise ReadTimeoutError(endpoint_url=self.endpoint_url, error=exc) from exc
        except OSError as exc:  # reset, closed, not HTTP …
            raise ConnectionClosedError(endpoint_url=self.endpoint_url, error=exc) from exc
        return _HttpResponse(status, answer, content)

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

    # --- health: how long the endpoint has not answered -----------------------------------

    def _answered(self) -> None:
        if self._down_since is not None:
            with self._health:
                self._down_since = None

    def _failed(self, started: float) -> None:
        with self._health:
            if self._down_since is None or started < self._down_since:
                self._down_since = started

    def unreachable_for(self) -> float:
        """Seconds since the first failing attempt with no answer since (0: answering)."""
        since = self._down_since
        return 0.0 if since is None else time.monotonic() - since

    def unreachable(self) -> bool:
        return self._down_since is not None and self.unreachable_for() >= self.patience

    # --- calls ---------------------------------------------------------------------------

    def call(self, operation: str, payload: bytes | dict[str, Any]) -> dict[str, Any]:
        """One operation, with botocore's standard retries; raises ClientError like botocore.
        Connection failures are not retried once the endpoint is past its patience."""
        body = payload if isinstance(payload, bytes) else orjson.dumps(payload)
        operation_model = self._service_model.operation_model(operation)
        attempt = 1
        while True:
            response: _HttpResponse | None = None
            parsed: dict[str, Any] | None = None
            caught: Exception | None = None
            started = time.monotonic()
            try:
                response = self._send(operation, body)
                self._answered()
                return self._parse(operation, response)
            except ClientError as exc:
                caught = exc
                parsed = exc.response
            except CONNECTION_ERRORS as exc:
                # A refusal is seen at once; a timeout only after the wait: count from its start.
                self._failed(started if isinstance(exc, ReadTimeoutError) else time.monotonic())
                caught = exc
            context = RetryContext(
                attempt_number=attempt,
                operation_model=operation_model,
                parsed_response=parsed,
                http_response=response,
                caught_exception=None if parsed is not None else caught,
            )
            if (parsed is None and self.unreachable()) or not self._conditions.is_retryable(
                context
            ):
                assert caught is not None
                raise caught
            time.sleep(self._backoff.delay_amount(context))
            attempt += 1
            self.retries += 1

    def call_patiently(self, operation: str, payload: bytes | dict[str, Any]) -> dict[str, Any]:
        """``call``, retrying connection failures until the endpoint is past its patience,
        then ``EndpointUnreachableError`` (one sentence). DynamoDB's errors raise as in ``call``."""
        while True:
            try:
                return self.call(operation, payload)
            except CONNECTION_ERRORS as exc:
                if self.unreachable():
                    raise self.gave_up(exc) from exc
                time.sleep(min(1.0, max(0.05, self.patience - self.unreachable_for())))

    def gave_up(self, exc: Exception) -> EndpointUnreachableError:
        timed_out = isinstance(exc, ReadTimeoutError | ConnectTimeoutError)
        what = "did not answer in time" if timed_out else "refused or dropped every connection"
        return EndpointUnreachableError(
            f"{self.endpoint_url} {what} for {self.unreachable_for():.0f}s, so the run stopped",
            hint="check that the endpoint runs (DynamoDB Local: `dynaform local status`) and "
            "that --endpoint-url is right",
        )
