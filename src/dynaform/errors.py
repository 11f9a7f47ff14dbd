"""User-facing errors: one hierarchy, each with a one-line cause and a hint.

The CLI prints ``error: <message>`` and ``hint: <hint>`` and exits with ``exit_code``;
it shows a traceback only with ``-v``. Library callers can catch ``DynaformError``.
"""

from __future__ import annotations


class DynaformError(Exception):
    """Base of every error dynaform reports to a user."""

    exit_code: int = 1
    default_hint: str = ""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = self.default_hint if hint is None else hint

    def __str__(self) -> str:
        return self.message


class UsageError(DynaformError):
    """The command line itself is wrong (bad flag combination, bad value)."""

    exit_code = 2


class ConfigError(DynaformError):
    """Settings, environment variables or the project file are wrong."""


# --- the local engine -------------------------------------------------------------------


class LocalEngineError(DynaformError):
    """DynamoDB Local (or moto's server) could not be installed, started or stopped."""


class JavaMissingError(LocalEngineError):
    default_hint = (
        "install a Java runtime 11 or newer: `sudo apt-get install -y openjdk-17-jre-headless` "
        "(Debian/Ubuntu), `brew install openjdk@17` (macOS), or run without Java: "
        "`dynaform local start --engine moto` (lower fidelity)"
    )


class InstallError(LocalEngineError):
    """No source could provide DynamoDB Local."""


class PortInUseError(LocalEngineError):
    pass


class EngineNotRunningError(LocalEngineError):
    exit_code = 3
    default_hint = "start it with `dynaform local start`"


# --- talking to DynamoDB ----------------------------------------------------------------


class ConnectionFailedError(DynaformError):
    """The endpoint could not be reached at all."""


class CredentialsError(DynaformError):
    """No credentials, or credentials the endpoint refuses."""


class AwsError(DynaformError):
    """DynamoDB answered with an error we do not handle more specifically."""

    def __init__(self, message: str, hint: str | None = None, code: str = "") -> None:
        super().__init__(message, hint)
        self.code = code
