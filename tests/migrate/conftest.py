"""Projects with a migrations folder on the session's DynamoDB Local, and the CLI on them
(in this process, or as real processes for kills and concurrency)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import Result, run_cli

ADD_OWNER = '''"""Give every item an owner."""


def up(m):
    def fill(item):
        if "owner" in item:
            return None
        return {**item, "owner": item.get("createdBy", "app")}

    m.backfill("items", fill)
'''


class Project:
    def __init__(self, root: Path, name: str, endpoint: str) -> None:
        self.root = root
        self.name = name
        self.endpoint = endpoint
        self.file = root / "dynaform.yaml"
        self.migrations = root / "migrations"
        self.migrations.mkdir(parents=True, exist_ok=True)

    @property
    def items(self) -> str:
        return f"{self.name}-dev-items"

    @property
    def control(self) -> str:
        return f"{self.name}-dev-dynaform"

    def write(self, filename: str, text: str) -> Path:
        path = self.migrations / filename
        path.write_text(text)
        return path

    def popen(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        """``dynaform -f PROJECT --endpoint-url E ARGS`` as a separate process."""
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dynaform",
                "-f",
                str(self.file),
                "--endpoint-url",
                self.endpoint,
                *args,
            ],
            cwd=self.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={
                **os.environ,
                "AWS_ACCESS_KEY_ID": "x",
                "AWS_SECRET_ACCESS_KEY": "x",
                **(env or {}),
            },
        )


def make_project(root: Path, name: str, endpoint: str, extra: str = "") -> Project:
    project = Project(root, name, endpoint)
    project.file.write_text(
        f"project: {name}\ndefault_env: dev\nenvironments:\n  dev: {{target: local}}\n"
        f"  prod: {{target: local, protected: true}}\n{extra}"
        "tables:\n  items: {partition_key: id}\n"
    )
    return project


@pytest.fixture
def project(tmp_path: Path, table_name: Callable[[str], str], ddb_endpoint: str) -> Project:
    return make_project(tmp_path, table_name("mig"), ddb_endpoint)


@pytest.fixture
def df(capsys: pytest.CaptureFixture[str], clean_env: pytest.MonkeyPatch, project: Project) -> Any:
    """``df(*args)``: the CLI in this process on the test's project."""

    def run(*args: str) -> Result:
        return run_cli(capsys, "-f", str(project.file), "--endpoint-url", project.endpoint, *args)

    return run


def put_items(ddb: Any, table: str, count: int, **extra: Any) -> None:
    for start in range(0, count, 25):
        requests = []
        for i in range(start, min(start + 25, count)):
            item = {"id": {"S": f"i{i:05d}"}, "createdBy": {"S": f"u{i % 7}"}, **extra}
            requests.append({"PutRequest": {"Item": item}})
        pending: dict[str, Any] = {table: requests}
        while pending:
            pending = ddb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}


def scan_all(ddb: Any, table: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for page in ddb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        for item in page["Items"]:
            found[item["id"]["S"]] = item
    return found


def table_names(ddb: Any) -> set[str]:
    names: set[str] = set()
    for page in ddb.get_paginator("list_tables").paginate():
        names.update(page["TableNames"])
    return names
