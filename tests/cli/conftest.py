"""Fixtures of the CLI tests: the real CLI against the session's DynamoDB Local."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import Result, run_cli


@pytest.fixture
def df(capsys: pytest.CaptureFixture[str], clean_env: pytest.MonkeyPatch, ddb_endpoint: str):  # type: ignore[no-untyped-def]
    """``df(project_file, *args)``: the CLI on the session engine, confirmations answered."""

    def run(project: Path, *args: str) -> Result:
        return run_cli(capsys, "-f", str(project), "--endpoint-url", ddb_endpoint, *args)

    return run
