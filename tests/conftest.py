"""The real-engine test harness.

One DynamoDB Local per test session, started through dynaform's own code path
(``dynaform.local.engine.start``), in memory on a free port, and stopped at the end.
Tests never mock DynamoDB for anything DynamoDB Local supports.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dynaform.aws.client import dynamodb_client
from dynaform.local import engine
from dynaform.settings import Settings


@pytest.fixture(scope="session")
def ddb_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    state_dir = tmp_path_factory.mktemp("engine") / ".dynaform" / "local"
    started = engine.start(state_dir, port=engine.free_port(), in_memory=True)
    try:
        yield started.record.endpoint_url
    finally:
        engine.stop(state_dir)


@pytest.fixture(scope="module")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """moto's server, one per test module, for what DynamoDB Local lacks (tags, PITR, S3,
    exports/imports, CloudWatch): each module using it says what it needs moto for."""
    state_dir = tmp_path_factory.mktemp("moto") / "state"
    started = engine.start(state_dir, port=engine.free_port(), engine="moto")
    try:
        yield started.record.endpoint_url
    finally:
        engine.stop(state_dir)


def local_settings(endpoint_url: str) -> Settings:
    return Settings(
        endpoint_url=endpoint_url, region="us-east-1", profile=None, use_local_engine=False
    )


@pytest.fixture(scope="session")
def ddb(ddb_endpoint: str) -> Any:
    """A botocore DynamoDB client on the session's engine."""
    return dynamodb_client(local_settings(ddb_endpoint))


_counter = itertools.count()
_run = uuid.uuid4().hex[:6]


@pytest.fixture
def table_name(request: pytest.FixtureRequest) -> Callable[[str], str]:
    """``table_name("orders")`` -> a name no other test (or run) uses."""

    def make(base: str = "t") -> str:
        return f"{base}-{_run}-{next(_counter)}"

    return make


def create_simple_table(ddb: Any, name: str) -> None:
    ddb.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.get_waiter("table_exists").wait(TableName=name)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No AWS settings from the developer's shell leak into a test."""
    for key in list(os.environ):
        if key.startswith("AWS_") or key in {"DYNAFORM_LOCAL_PORT"}:
            monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(Path(os.devnull)))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(Path(os.devnull)))
    return monkeypatch
