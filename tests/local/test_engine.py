"""The local engine's lifecycle against real processes: DynamoDB Local (Java) and moto."""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest

from dynaform.aws.client import dynamodb_client
from dynaform.errors import PortInUseError
from dynaform.local import engine
from tests.conftest import create_simple_table, local_settings
from tests.helpers import run_process


def client_for(port: int) -> Any:
    return dynamodb_client(local_settings(f"http://localhost:{port}"))


def test_data_survives_stop_and_start_and_reset_removes_it(tmp_path: Path) -> None:
    port = engine.free_port()
    started = run_process("local", "start", "--port", str(port), cwd=tmp_path)
    assert started.code == 0, started.stderr
    assert f"on http://localhost:{port}" in started.stdout
    assert (tmp_path / ".dynaform" / "local" / "data").is_dir()

    ddb = client_for(port)
    create_simple_table(ddb, "survivor")
    ddb.put_item(TableName="survivor", Item={"pk": {"S": "a"}, "n": {"N": "42"}})

    again = run_process("local", "start", "--port", str(port), cwd=tmp_path)
    assert again.code == 0
    assert "already running" in again.stdout

    stopped = run_process("local", "stop", cwd=tmp_path)
    assert stopped.code == 0 and "data kept" in stopped.stdout
    down = run_process("local", "status", cwd=tmp_path)
    assert down.code == 3
    assert "not running" in down.stderr

    assert run_process("local", "start", "--port", str(port), cwd=tmp_path).code == 0
    item = client_for(port).get_item(TableName="survivor", Key={"pk": {"S": "a"}})["Item"]
    assert item["n"] == {"N": "42"}

    up = run_process("--json", "local", "status", cwd=tmp_path)
    assert up.code == 0
    report = json.loads(up.stdout)
    assert report["running"] and report["table_count"] == 1
    assert report["engine"]["port"] == port and report["engine"]["version"] != "unknown"

    reset = run_process("local", "reset", "--yes", cwd=tmp_path)
    assert reset.code == 0 and "removed .dynaform/local" in reset.stdout
    assert not (tmp_path / ".dynaform" / "local").exists()
    assert run_process("local", "start", "--port", str(port), cwd=tmp_path).code == 0
    try:
        assert client_for(port).list_tables()["TableNames"] == []
    finally:
        run_process("local", "stop", cwd=tmp_path)


def test_reset_without_yes_asks_and_keeps_data_on_no(tmp_path: Path) -> None:
    state_dir = tmp_path / ".dynaform" / "local"
    (state_dir / "data").mkdir(parents=True)
    done = run_process("local", "reset", cwd=tmp_path, stdin="n\n")
    assert done.code == 1
    assert "Delete every local table" in done.stderr
    assert (state_dir / "data").is_dir()


def test_in_memory_engine_forgets_on_stop(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    port = engine.free_port()
    first = engine.start(state_dir, port=port, in_memory=True)
    assert first.record.in_memory and first.record.data_dir is None
    create_simple_table(client_for(port), "ephemeral")
    engine.stop(state_dir)
    engine.start(state_dir, port=port, in_memory=True)
    try:
        assert client_for(port).list_tables()["TableNames"] == []
    finally:
        engine.stop(state_dir)


def test_a_stale_record_is_replaced(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    gone = subprocess.Popen(["true"])
    gone.wait()
    stale = {
        "pid": gone.pid,
        "port": 1,
        "engine": "dynamodb-local",
        "version": "x",
        "in_memory": True,
        "data_dir": None,
        "started_at": "then",
        "command": [],
    }
    (state_dir / "engine.json").write_text(json.dumps(stale))
    assert engine.status(state_dir).stale_record

    messages: list[str] = []
    result = engine.start(
        state_dir, port=engine.free_port(), in_memory=True, report=messages.append
    )
    try:
        assert result.removed_stale_record and not result.already_running
        assert any(f"pid {gone.pid}" in m for m in messages)
        assert engine.status(state_dir).running
    finally:
        engine.stop(state_dir)
    assert engine.read_record(state_dir) is None


def test_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(PortInUseError) as caught:
            engine.start(tmp_path / "state", port=port, in_memory=True)
    assert f"port {port} is already in use" in caught.value.message
    assert "--port" in caught.value.hint
    assert engine.read_record(tmp_path / "state") is None


def test_logs_show_what_the_engine_printed(tmp_path: Path) -> None:
    port = engine.free_port()
    started = run_process("local", "start", "--in-memory", "-p", str(port), cwd=tmp_path)
    assert started.code == 0
    assert "listening on 127.0.0.1 only" in started.stdout
    assert "warning" not in started.stderr
    try:
        logs = run_process("local", "logs", "-n", "20", cwd=tmp_path)
        assert logs.code == 0
        assert "Initializing DynamoDB Local" in logs.stdout
        assert f"Port:\t{port}" in logs.stdout
    finally:
        run_process("local", "stop", cwd=tmp_path)


def test_moto_engine_runs_without_java(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    port = engine.free_port()
    result = engine.start(state_dir, port=port, engine="moto")
    try:
        assert result.record.engine == "moto" and result.record.in_memory
        assert result.record.version.startswith("moto ")
        ddb = client_for(port)
        create_simple_table(ddb, "on-moto")
        assert ddb.list_tables()["TableNames"] == ["on-moto"]
    finally:
        assert engine.stop(state_dir) is not None
    assert not engine.status(state_dir).running


def test_the_session_harness_engine_answers(ddb: Any, table_name: Any) -> None:
    name = table_name("harness")
    create_simple_table(ddb, name)
    assert name in ddb.list_tables()["TableNames"]
    assert table_name("harness") != name


def test_the_managed_endpoint_of_a_running_engine_costs_no_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Commands only need the URL: finding this folder's running engine sends it nothing (the
    table count of `local status` built a botocore client and listed tables on every command)."""
    from dynaform.local.managed import managed_endpoint
    from dynaform.local.paths import local_state_dir

    state_dir = local_state_dir(tmp_path)
    port = engine.free_port()
    started = engine.start(state_dir, port=port, in_memory=True).record
    try:
        assert engine.status(state_dir).table_count == 0  # `local status` still counts

        asked: list[object] = []
        monkeypatch.setattr(engine, "count_tables", lambda *args, **_: asked.append(args) or 0)
        assert managed_endpoint(tmp_path, port) == started.endpoint_url
        assert asked == []
    finally:
        engine.stop(state_dir)
