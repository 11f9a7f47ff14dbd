"""botocore clients built from Settings, and botocore errors turned into dynaform errors."""

from __future__ import annotations

from typing import Any

import botocore.session
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
)

from dynaform.errors import (
    AwsError,
    ConfigError,
    ConnectionFailedError,
    CredentialsError,
    DynaformError,
)
from dynaform.settings import Settings, is_loopback_url

# DynamoDB Local accepts any key made of letters and digits only (it rejects "-" and "_"),
# and with -sharedDb every key sees the same tables: a fresh laptop needs no AWS set-up.
LOCAL_ACCESS_KEY = "dynaformlocal"
LOCAL_SECRET_KEY = "dynaformlocal"

CREDENTIAL_ERROR_CODES = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "ExpiredTokenException",
        "MissingAuthenticationTokenException",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "AccessDeniedException",
    }
)

DynamoDBClient = Any  # botocore builds client classes at run time


def client_config(
    *,
    attempts: int = 3,
    connect_timeout: float = 2.0,
    read_timeout: float = 30.0,
    max_pool_connections: int = 10,
) -> Config:
    """Retries kept short so a dead endpoint fails in seconds, not after a minute."""
    return Config(
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries={"mode": "standard", "total_max_attempts": attempts},
        max_pool_connections=max_pool_connections,
    )


def make_session(settings: Settings) -> botocore.session.Session:
    try:
        session = botocore.session.Session(profile=settings.profile)
        # Off EC2 the instance-metadata lookup would otherwise add seconds to a missing-key error.
        session.set_config_variable("metadata_service_timeout", 1)
        session.set_config_variable("metadata_service_num_attempts", 1)
        if settings.profile:
            session.get_scoped_config()  # raises ProfileNotFound now, not on the first call
    except ProfileNotFound as exc:
        raise ConfigError(
            f"AWS profile {settings.profile!r} is not defined",
            hint="list profiles with `aws configure list-profiles`, or drop --profile/AWS_PROFILE",
        ) from exc
    return session


def dynamodb_client(
    settings: Settings,
    endpoint_url: str | None = None,
    *,
    config: Config | None = None,
) -> DynamoDBClient:
    """A DynamoDB client for ``settings``; ``endpoint_url`` overrides (the local engine's URL)."""
    endpoint = endpoint_url or settings.endpoint_url
    session = make_session(settings)
    kwargs: dict[str, Any] = {
        "region_name": settings.region,
        "endpoint_url": endpoint,
        "config": config or client_config(),
    }
    if needs_placeholder_credentials(settings, endpoint):
        kwargs["aws_access_key_id"] = LOCAL_ACCESS_KEY
        kwargs["aws_secret_access_key"] = LOCAL_SECRET_KEY
    try:
        return session.create_client("dynamodb", **kwargs)
    except NoRegionError as exc:  # pragma: no cover - we always pass a region
        raise ConfigError("no AWS region configured", hint="pass --region") from exc
    except ValueError as exc:
        raise ConfigError(f"cannot build a DynamoDB client: {exc}") from exc


def needs_placeholder_credentials(settings: Settings, endpoint_url: str | None) -> bool:
    """A local engine and no credentials configured: use the placeholder key."""
    local = settings.use_local_engine or settings.is_loopback or is_loopback_url(endpoint_url)
    return local and not settings.access_key_id and not settings.profile


def credentials_for(settings: Settings, endpoint_url: str | None = None) -> Credentials:
    """The credentials a client for these settings signs with (botocore's chain)."""
    if needs_placeholder_credentials(settings, endpoint_url):
        return Credentials(LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY)
    found = make_session(settings).get_credentials()
    if found is None:
        raise translate_error(NoCredentialsError(), where(settings, endpoint_url))
    return found


def where(settings: Settings, endpoint_url: str | None = None) -> str:
    endpoint = endpoint_url or settings.endpoint_url
    return endpoint or f"DynamoDB in {settings.region}"


def translate_error(exc: Exception, target: str) -> DynaformError:
    """Turn a botocore exception into one readable sentence with a hint."""
    if isinstance(exc, DynaformError):
        return exc
    if isinstance(exc, EndpointConnectionError | ConnectionClosedError):
        if is_loopback_url(target):
            hint = (
                "start the local engine with `dynaform local start` (then use --local), or "
                "check the port in --endpoint-url / AWS_ENDPOINT_URL"
            )
        else:
            hint = "check --endpoint-url / AWS_ENDPOINT_URL, --region, your network, VPN or proxy"
        return ConnectionFailedError(f"cannot connect to {target}: nothing answered", hint=hint)
    if isinstance(exc, ConnectTimeoutError | ReadTimeoutError):
        return ConnectionFailedError(
            f"{target} did not answer in time",
            hint="check the endpoint address, your network or VPN, and any proxy settings",
        )
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return CredentialsError(
            f"no usable AWS credentials for {target}",
            hint="set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, run `aws configure`, or pass "
            "--profile; for DynamoDB Local use --local or a localhost --endpoint-url",
        )
    if isinstance(exc, ProfileNotFound):
        return ConfigError(str(exc), hint="list profiles with `aws configure list-profiles`")
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        message = str(error.get("Message", "")).strip()
        if code.isdigit():
            return AwsError(
                f"{target} answered HTTP {code}: it does not look like a DynamoDB endpoint",
                hint="check --endpoint-url / AWS_ENDPOINT_URL",
                code=code,
            )
        if code in CREDENTIAL_ERROR_CODES:
            return CredentialsError(
                f"{target} refused the credentials ({code}: {message})",
                hint="check the access key, secret and session token, or the profile you chose",
            )
        return AwsError(f"{target} answered {code}: {message}", code=code)
    return AwsError(f"unexpected error talking to {target}: {exc}")
