"""Connection settings: where to send requests, in which region, with which credentials.

Precedence, highest first: command-line flags > environment variables > the environment's
target in dynaform.yaml > defaults. ``resolve_settings`` is pure: plain values in, a frozen
``Settings`` out, with the origin of every value so ``status`` can explain itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from dynaform.errors import UsageError

DEFAULT_REGION = "us-east-1"
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]", "0.0.0.0"})


@dataclass(frozen=True)
class Flags:
    """What the user typed on the command line (None = not given)."""

    endpoint_url: str | None = None
    region: str | None = None
    profile: str | None = None
    local: bool = False


@dataclass(frozen=True)
class Target:
    """An environment's target from the project file."""

    kind: Literal["local", "aws"] = "aws"
    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None


@dataclass(frozen=True)
class Settings:
    endpoint_url: str | None
    region: str
    profile: str | None
    # True when requests go to the managed local engine (started on demand).
    use_local_engine: bool
    # Credentials given explicitly through the environment; botocore's chain is used otherwise.
    access_key_id: str | None = field(default=None, repr=False)
    secret_access_key: str | None = field(default=None, repr=False)
    session_token: str | None = field(default=None, repr=False)
    origins: Mapping[str, str] = field(default_factory=dict, compare=False)

    @property
    def is_loopback(self) -> bool:
        return self.use_local_engine or is_loopback_url(self.endpoint_url)

    def describe(self) -> dict[str, str]:
        """A printable summary; never contains a secret."""
        key = self.access_key_id
        default_endpoint = "managed local engine" if self.use_local_engine else "AWS"
        return {
            "endpoint": self.endpoint_url or default_endpoint,
            "region": self.region,
            "profile": self.profile or "-",
            "access key": mask(key) if key else self._credential_source(),
        }

    def _credential_source(self) -> str:
        if self.profile:
            return f"from profile {self.profile}"
        if self.is_loopback:
            return "local placeholder (no AWS credentials needed)"
        return "from the AWS credential chain"


def mask(secret: str) -> str:
    """Show just enough of a key id to recognise it."""
    return secret[:4] + "…" + secret[-2:] if len(secret) > 8 else "****"


def is_loopback_url(url: str | None) -> bool:
    if not url:
        return False
    return (urlsplit(url).hostname or "") in LOOPBACK_HOSTS


def validate_endpoint_url(url: str, origin: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise UsageError(
            f"endpoint URL {url!r} (from {origin}) is not an http(s) URL",
            hint="write it like http://localhost:8000 or https://dynamodb.eu-west-1.amazonaws.com",
        )
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is not None and not 1 <= port <= 65535:
        raise UsageError(
            f"endpoint URL {url!r} (from {origin}) has no valid port",
            hint="a port is a number from 1 to 65535, like http://localhost:8000",
        )
    return url.rstrip("/")


def _first(*candidates: tuple[str | None, str]) -> tuple[str | None, str]:
    for value, origin in candidates:
        if value:
            return value, origin
    return None, "default"


def resolve_settings(
    flags: Flags,
    environ: Mapping[str, str],
    target: Target | None = None,
) -> Settings:
    target = target or Target()
    if flags.local and flags.endpoint_url:
        raise UsageError(
            "--local and --endpoint-url both choose the endpoint",
            hint="use one of them: --local for the managed engine, --endpoint-url for any other",
        )
    endpoint, endpoint_origin = _first(
        (flags.endpoint_url, "--endpoint-url"),
        (environ.get("AWS_ENDPOINT_URL_DYNAMODB"), "AWS_ENDPOINT_URL_DYNAMODB"),
        (environ.get("AWS_ENDPOINT_URL"), "AWS_ENDPOINT_URL"),
        (target.endpoint_url, "project target"),
    )
    use_local = flags.local or (endpoint is None and target.kind == "local")
    if use_local:
        endpoint, endpoint_origin = None, "--local" if flags.local else "project target (local)"
    elif endpoint is not None:
        endpoint = validate_endpoint_url(endpoint, endpoint_origin)

    region, region_origin = _first(
        (flags.region, "--region"),
        (environ.get("AWS_REGION"), "AWS_REGION"),
        (environ.get("AWS_DEFAULT_REGION"), "AWS_DEFAULT_REGION"),
        (target.region, "project target"),
    )
    profile, profile_origin = _first(
        (flags.profile, "--profile"),
        (environ.get("AWS_PROFILE"), "AWS_PROFILE"),
        (target.profile, "project target"),
    )
    return Settings(
        endpoint_url=endpoint,
        region=region or DEFAULT_REGION,
        profile=profile,
        use_local_engine=use_local,
        access_key_id=environ.get("AWS_ACCESS_KEY_ID") or None,
        secret_access_key=environ.get("AWS_SECRET_ACCESS_KEY") or None,
        session_token=environ.get("AWS_SESSION_TOKEN") or None,
        origins={"endpoint": endpoint_origin, "region": region_origin, "profile": profile_origin},
    )
