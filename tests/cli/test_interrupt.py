"""Ctrl-C during a long data command prints one line: what was done and the exact command that
resumes; running that command ends with exactly the source."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.conftest import create_simple_table

ITEMS = 20000


def start(args: list[str], cwd: Path, endpoint: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "dynaform", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_ctrl_c_during_import_prints_the_resume_command_that_finishes_it(
    ddb: Any, ddb_endpoint: str, tmp_path: Path, table_name: Any
) -> None:
    table = table_name("sigint")
    create_simple_table(ddb, table)
    source = tmp_path / "items.jsonl"
    with source.open("w") as out:
        for i in range(ITEMS):
            out.write(json.dumps({"pk": f"k{i}", "pad": "x" * 300}) + "\n")
    running = start(
        ["data", "import", table, str(source), "--rate", "4000"], tmp_path, ddb_endpoint
    )
    time.sleep(2.5)
    running.send_signal(signal.SIGINT)
    _, stderr = running.communicate(timeout=60)
    assert running.returncode == 130, stderr
    [line] = [text for text in stderr.splitlines() if text.startswith("interrupted:")]
    assert "item(s) done" in line
    command = line.split(": ", 2)[-1]
    assert command.startswith("dynaform data import") and command.endswith("--resume")
    resumed = start(shlex.split(command)[1:], tmp_path, ddb_endpoint)
    _, stderr = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, stderr
    pages = ddb.get_paginator("scan").paginate(TableName=table, Select="COUNT")
    assert sum(page["Count"] for page in pages) == ITEMS
