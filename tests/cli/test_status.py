"""`dynaform status` and the CLI's error contract, against the session's real engine."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from dynaform.local import engine
from tests.conftest import create_simple_table
from tests.helpers import run_cli, run_process


def test_status_lists_tables_with_counts(
    capsys: pytest.CaptureFixture[str],
    clean_env: pytest.MonkeyPatch,
    ddb: Any,
    ddb_endpoint: str,
    table_name: Any,
) -> None:
    name = table_name("status")
    create_simple_table(ddb, name)
    for key in ("a", "b", "c"):
        ddb.put_item(TableName=name, Item={"pk": {"S": key}, "data": {"S": "x" * 100}})

    result = run_cli(capsys, "status", "--endpoint-url", ddb_endpoint, "--json")
    assert result.code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["reachable"] and report["endpoint"] == ddb_endpoint
    mine = next(t for t in report["tables"] if t["name"] == name)
    assert mine["status"] == "ACTIVE"
    assert mine["item_count"] == 3
    assert mine["size_bytes"] > 300
    assert mine["billing"] == "on demand"

    human = run_cli(capsys, "--endpoint-url", ddb_endpoint, "status")
    assert human.code == 0
    assert "connected in" in human.stdout
    assert name in human.stdout
    assert "(--endpoint-url)" in human.stdout


def test_endpoint_from_environment_variable(
    capsys: pytest.CaptureFixture[str], clean_env: pytest.MonkeyPatch, ddb_endpoint: str
) -> None:
    clean_env.setenv("AWS_ENDPOINT_URL", ddb_endpoint)
    result = run_cli(capsys, "status")
    assert result.code == 0
    assert "(AWS_ENDPOINT_URL)" in result.stdout


def test_closed_port_fails_fast_with_one_sentence(tmp_path: Path) -> None:
    port = engine.free_port()  # nothing listens there
    began = time.monotonic()
    result = run_process(
        "status", "--endpoint-url", f"http://localhost:{port}", cwd=tmp_path, timeout=30
    )
    elapsed = time.monotonic() - began
    assert result.code == 1
    assert f"error: cannot connect to http://localhost:{port}" in result.stderr
    assert "hint: start the local engine" in result.stderr
    assert "Traceback" not in result.stderr
    print(f"status against a closed port answered in {elapsed:.2f}s")


def test_refused_credentials_are_named(
    capsys: pytest.CaptureFixture[str], clean_env: pytest.MonkeyPatch, ddb_endpoint: str
) -> None:
    # DynamoDB Local rejects access keys that are not purely alphanumeric, like AWS rejects
    # unknown ones: a real refusal, not a mock.
    clean_env.setenv("AWS_ACCESS_KEY_ID", "not-a-valid-key")
    clean_env.setenv("AWS_SECRET_ACCESS_KEY", "whatever")
    result = run_cli(capsys, "status", "--endpoint-url", ddb_endpoint)
    assert result.code == 1
    assert "refused the credentials (UnrecognizedClientException" in result.stderr
    assert "whatever" not in result.stderr + result.stdout


def test_unknown_profile_is_a_config_error(
    capsys: pytest.CaptureFixture[str], clean_env: pytest.MonkeyPatch, ddb_endpoint: str
) -> None:
    result = run_cli(capsys, "--profile", "nope", "status", "--endpoint-url", ddb_endpoint)
    assert result.code == 1
    assert "AWS profile 'nope' is not defined" in result.stderr


def test_traceback_only_with_verbose(
    capsys: pytest.CaptureFixture[str], clean_env: pytest.MonkeyPatch
) -> None:
    url = f"http://localhost:{engine.free_port()}"
    quiet = run_cli(capsys, "status", "--endpoint-url", url)
    loud = run_cli(capsys, "status", "--endpoint-url", url, "-v")
    assert quiet.code == loud.code == 1
    assert "Traceback" not in quiet.stderr
    assert "Traceback" in loud.stderr and "EndpointConnectionError" in loud.stderr


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], clean_env: Any) -> None:
    both = run_cli(capsys, "--local", "--endpoint-url", "http://localhost:1", "status")
    assert both.code == 2
    assert "--local and --endpoint-url" in both.stderr
    bad_url = run_cli(capsys, "status", "--endpoint-url", "localhost:8000")
    assert bad_url.code == 2
    assert "not an http(s) URL" in bad_url.stderr
    unknown = run_cli(capsys, "no-such-command")
    assert unknown.code == 2


def test_local_flag_starts_the_managed_engine(tmp_path: Path) -> None:
    port = engine.free_port()
    env = {"DYNAFORM_LOCAL_PORT": str(port)}
    try:
        first = run_process("--local", "status", cwd=tmp_path, env=env)
        assert first.code == 0, first.stderr
        assert "starting the local engine" in first.stderr
        assert f"http://localhost:{port}" in first.stdout
        second = run_process("status", "--local", cwd=tmp_path, env=env)
        assert second.code == 0
        assert "starting the local engine" not in second.stderr
    finally:
        run_process("local", "stop", cwd=tmp_path)


def test_version_and_every_help_shows_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    import typer

    from dynaform.cli.app import app

    version = run_cli(capsys, "--version")
    assert version.code == 0 and version.stdout.startswith("dynaform ")
    paths: list[list[str]] = [[]]

    def walk(command: Any, prefix: list[str]) -> None:
        for name, sub in getattr(command, "commands", {}).items():
            paths.append([*prefix, name])
            walk(sub, [*prefix, name])

    walk(typer.main.get_command(app), [])
    assert len(paths) > 20  # every command and group, found from the app itself
    for command in paths:
        shown = run_cli(capsys, *command, "--help")
        assert shown.code == 0, command
        assert "Example:" in shown.stdout, command
