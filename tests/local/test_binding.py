"""Who can reach the local engine: this machine only, unless the user opts in to the network."""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path

import pytest

from dynaform.errors import PortInUseError, UsageError
from dynaform.local import engine
from dynaform.local.network import check_port, parse_host, url_host
from dynaform.local.record import read_record
from tests.conftest import create_simple_table
from tests.helpers import run_cli, run_process
from tests.local.test_engine import client_for

ENGINES = pytest.mark.parametrize("kind", ["dynamodb-local", "moto"])


def listening_addresses(port: int) -> set[str]:
    """Addresses with a listening TCP socket on ``port``, from /proc/net/tcp and tcp6
    (IPv4-mapped IPv6 addresses, as Java's dual-stack sockets show them, given as IPv4)."""
    found: set[str] = set()
    for name in ("tcp", "tcp6"):
        path = Path("/proc/net") / name
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            address_hex, port_hex = fields[1].split(":")
            if fields[3] != "0A" or int(port_hex, 16) != port:  # 0A: LISTEN
                continue
            raw = bytes.fromhex(address_hex)  # each 32-bit word in host (little-endian) order
            address = ipaddress.ip_address(
                b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
            )
            if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
                address = address.ipv4_mapped
            found.add(str(address))
    return found


def outside_address() -> str | None:
    """This machine's address on its default route (no packet is sent), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("203.0.113.1", 9))
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if ipaddress.ip_address(address).is_loopback else address


def accepts(address: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(2.0)
        return sock.connect_ex((address, port)) == 0


@ENGINES
def test_the_engine_listens_on_loopback_only_by_default(
    tmp_path: Path, kind: engine.EngineKind
) -> None:
    state_dir = tmp_path / "state"
    port = engine.free_port()
    messages: list[str] = []
    started = engine.start(
        state_dir, port=port, in_memory=True, engine=kind, report=messages.append
    )
    try:
        assert started.record.host == "127.0.0.1"
        if Path("/proc/net/tcp").exists():
            assert listening_addresses(port) == {"127.0.0.1"}
        outside = outside_address()
        if outside is not None:
            assert not accepts(outside, port), f"reachable from the network on {outside}"
        create_simple_table(client_for(port), "loopback")  # and it does answer on loopback
        assert not any("warning" in m for m in messages)
    finally:
        engine.stop(state_dir)


@ENGINES
def test_every_interface_is_an_opt_in_with_a_warning(
    tmp_path: Path, kind: engine.EngineKind
) -> None:
    state_dir = tmp_path / "state"
    port = engine.free_port()
    messages: list[str] = []
    started = engine.start(
        state_dir,
        port=port,
        host="0.0.0.0",
        in_memory=True,
        engine=kind,
        report=messages.append,
    )
    try:
        assert started.record.host == "0.0.0.0"
        assert started.record.endpoint_url == f"http://localhost:{port}"
        if Path("/proc/net/tcp").exists():
            assert listening_addresses(port) <= {"0.0.0.0", "::"}
        outside = outside_address()
        if outside is not None:
            assert accepts(outside, port)
        assert any("every network interface" in m and "any credentials" in m for m in messages)
    finally:
        engine.stop(state_dir)


def test_a_port_held_without_listening_fails_the_launcher_clearly(tmp_path: Path) -> None:
    """The pre-start probe only sees listeners; a bound socket makes DynamoDB Local's own bind
    fail inside dynaform's launcher, which must still read as "port in use"."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        port = holder.getsockname()[1]
        with pytest.raises(PortInUseError) as caught:
            engine.start(tmp_path / "state", port=port, in_memory=True, timeout=60)
    assert f"port {port} is already in use" in caught.value.message
    assert engine.read_record(tmp_path / "state") is None


@pytest.mark.parametrize("port", [0, -5, 65536, 99999])
def test_ports_out_of_range_are_refused_before_anything_starts(tmp_path: Path, port: int) -> None:
    with pytest.raises(UsageError) as caught:
        engine.start(tmp_path / "state", port=port, in_memory=True)
    assert caught.value.exit_code == 2 and "1 to 65535" in caught.value.hint
    assert not (tmp_path / "state").exists()


def test_hosts_are_ip_addresses() -> None:
    assert parse_host("localhost") == "127.0.0.1"
    assert parse_host("[::1]") == "::1"
    assert parse_host(" 0.0.0.0 ") == "0.0.0.0"
    with pytest.raises(UsageError) as caught:
        parse_host("example.com")
    assert caught.value.exit_code == 2
    assert check_port(8000) == 8000
    with pytest.raises(UsageError):
        check_port(True)


def test_endpoint_urls_reach_the_listening_address() -> None:
    assert url_host("127.0.0.1") == "localhost"
    assert url_host("0.0.0.0") == "localhost"
    assert url_host("::1") == "[::1]"
    assert url_host("192.0.2.7") == "192.0.2.7"


def test_a_record_from_before_host_existed_reads_as_every_interface(tmp_path: Path) -> None:
    (tmp_path / "engine.json").write_text(
        '{"pid": 1, "port": 8000, "engine": "dynamodb-local", "version": "1.25.1",'
        ' "in_memory": true, "data_dir": null, "started_at": "then", "command": []}'
    )
    record = read_record(tmp_path)
    assert record is not None and record.host == "0.0.0.0"
    assert record.endpoint_url == "http://localhost:8000"
    (tmp_path / "engine.json").write_text(
        '{"pid": 1, "port": 8000, "engine": "moto", "version": "x", "in_memory": true,'
        ' "data_dir": null, "started_at": "then", "host": "not an address"}'
    )
    assert read_record(tmp_path) is None


@pytest.mark.parametrize("port", ["99999", "-5", "0"])
def test_the_cli_refuses_a_port_out_of_range_as_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], port: str
) -> None:
    done = run_cli(capsys, "local", "start", "--port", port)
    assert done.code == 2
    assert f"{port} is not a port number" in done.stderr
    assert "OverflowError" not in done.stderr


def test_the_cli_refuses_a_host_that_is_no_address(capsys: pytest.CaptureFixture[str]) -> None:
    done = run_cli(capsys, "local", "start", "--host", "my-laptop")
    assert done.code == 2
    assert "--host 'my-laptop' is not an IP address" in done.stderr


def test_the_cli_warns_when_opening_the_engine_to_the_network(tmp_path: Path) -> None:
    port = str(engine.free_port())
    started = run_process(
        "local", "start", "--in-memory", "-p", port, "--host", "0.0.0.0", cwd=tmp_path
    )
    try:
        assert started.code == 0, started.stderr
        assert "warning: the local engine listens on every network interface" in started.stderr
        assert "listening on every interface" in started.stdout
        status = run_process("local", "status", cwd=tmp_path)
        assert "every interface" in status.stdout
    finally:
        run_process("local", "stop", cwd=tmp_path)
