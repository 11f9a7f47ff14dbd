"""Where the local engine listens: checked ports and hosts, and who can reach them.

DynamoDB Local accepts any credentials and any signature, so whoever reaches its port owns
every table. It listens on the loopback address unless the user opts in to more.
"""

from __future__ import annotations

import ipaddress
import socket

from dynaform.errors import UsageError

LOOPBACK = "127.0.0.1"
ALL_INTERFACES = "0.0.0.0"


def check_port(port: int) -> int:
    """``port`` if it is a TCP port a server can listen on, else a UsageError (exit 2)."""
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise UsageError(
            f"port {port!r} is not a port number", hint="use a number from 1 to 65535, like 8000"
        )
    return port


def parse_host(host: str) -> str:
    """The address to listen on, as an IP literal (``localhost`` is 127.0.0.1)."""
    text = host.strip().strip("[]")
    if text.lower() == "localhost":
        return LOOPBACK
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise UsageError(
            f"--host {host!r} is not an IP address",
            hint="use 127.0.0.1 (the default, this machine only) or 0.0.0.0 (every interface)",
        ) from None


def is_loopback(host: str) -> bool:
    return ipaddress.ip_address(parse_host(host)).is_loopback


def is_wildcard(host: str) -> bool:
    return ipaddress.ip_address(parse_host(host)).is_unspecified


def url_host(host: str) -> str:
    """The host part of a URL that reaches an engine listening on ``host``."""
    address = ipaddress.ip_address(parse_host(host))
    if address.is_unspecified or str(address) == LOOPBACK:
        return "localhost"
    return f"[{address}]" if address.version == 6 else str(address)


def exposure_warning(host: str, port: int) -> str | None:
    """What to tell a user who listens beyond this machine; None on loopback."""
    if is_loopback(host):
        return None
    where = "every network interface" if is_wildcard(host) else f"{parse_host(host)}"
    return (
        f"warning: the local engine listens on {where} (port {port}): anyone who can reach "
        "this machine can read and change every table, with any credentials"
    )


def port_in_use(port: int, host: str = LOOPBACK) -> bool:
    """Does something accept connections on ``port`` where an engine on ``host`` would listen?"""
    target = LOOPBACK if is_wildcard(host) else parse_host(host)
    family = socket.AF_INET6 if ":" in target else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((target, check_port(port))) == 0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])
