"""Running plan steps against DynamoDB, waiting between them, reporting progress.

Before each step on an existing table the runner waits until the table and all its indexes are
ACTIVE and backfilled. That is what makes an interrupted apply resumable: run it again, the
plan is recomputed from the live state, and the runner picks up where DynamoDB is.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dynaform.aws.client import DynamoDBClient, translate_error
from dynaform.core.live import READY
from dynaform.core.operations import Step
from dynaform.errors import DynaformError

Report = Callable[[str], None]


class ApplyTimeoutError(DynaformError):
    default_hint = (
        "DynamoDB keeps working on it; run `dynaform apply` again to resume, or raise --timeout"
    )


@dataclass
class ApplyResult:
    done: int
    total: int
    pending: str = ""  # why it stopped early (--no-wait)
    seconds: float = 0.0


def _method(operation: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()


def describe_progress(table: dict[str, Any]) -> str:
    """One line: table status and every index that is not ready yet (pure)."""
    parts = [f"table {table.get('TableStatus', '?')}"]
    for index in table.get("GlobalSecondaryIndexes", []):
        status = index.get("IndexStatus", READY)
        if status != READY or index.get("Backfilling"):
            backfill = ""
            if index.get("Backfilling"):
                table_items = table.get("ItemCount") or 0
                index_items = index.get("ItemCount") or 0
                share = f" {min(100, 100 * index_items // table_items)}%" if table_items else ""
                backfill = f", backfilling{share}"
            parts.append(f"index {index['IndexName']} {status}{backfill}")
    return ", ".join(parts)


def _ready(table: dict[str, Any]) -> bool:
    return table.get("TableStatus") == READY and all(
        i.get("IndexStatus") == READY and not i.get("Backfilling")
        for i in table.get("GlobalSecondaryIndexes", [])
    )


class Runner:
    def __init__(
        self,
        client: DynamoDBClient,
        target: str,
        *,
        timeout: float = 1800.0,
        poll: float = 1.0,
        report: Report | None = None,
    ) -> None:
        self.client = client
        self.target = target
        self.timeout = timeout
        self.poll = poll
        self.report = report or (lambda _message: None)

    def _describe(self, name: str) -> dict[str, Any] | None:
        try:
            return dict(self.client.describe_table(TableName=name)["Table"])
        except self.client.exceptions.ResourceNotFoundException:
            return None
        except Exception as exc:
            raise translate_error(exc, self.target) from exc

    def wait_ready(self, name: str, deadline: float) -> None:
        began = time.monotonic()
        while True:
            table = self._describe(name)
            if table is None:
                raise DynaformError(f"table {name} disappeared while waiting for it")
            if _ready(table):
                return
            line = describe_progress(table)
            self.report(f"{name}: {line} ({time.monotonic() - began:.0f}s)")
            if time.monotonic() > deadline:
                raise ApplyTimeoutError(f"timed out waiting for {name} ({line})")
            time.sleep(self.poll)

    def wait_gone(self, name: str, deadline: float) -> None:
        while self._describe(name) is not None:
            self.report(f"{name}: deleting")
            if time.monotonic() > deadline:
                raise ApplyTimeoutError(f"timed out waiting for {name} to be deleted")
            time.sleep(self.poll)

    def is_ready(self, name: str) -> bool:
        table = self._describe(name)
        return table is None or _ready(table)

    def call(self, step: Step) -> None:
        params = dict(step.params)
        if step.needs_arn:
            table = self._describe(step.table)
            if table is None:
                raise DynaformError(f"table {step.table} does not exist; cannot tag it")
            params["ResourceArn"] = table["TableArn"]
        try:
            getattr(self.client, _method(step.operation))(**params)
        except Exception as exc:
            error = translate_error(exc, self.target)
            raise DynaformError(
                f"{step.table}: {step.action} failed: {error.message}",
                hint="fix the cause and run `dynaform apply` again; completed steps are kept",
            ) from exc

    def run(self, steps: list[Step] | tuple[Step, ...], *, wait: bool = True) -> ApplyResult:
        began = time.monotonic()
        deadline = began + self.timeout
        for number, step in enumerate(steps, 1):
            if step.operation != "CreateTable":
                if not wait and not self.is_ready(step.table):
                    return ApplyResult(number - 1, len(steps),
                                       f"{step.table} is still busy; run apply again to continue",
                                       time.monotonic() - began)  # fmt: skip
                self.wait_ready(step.table, deadline)
            self.report(f"[{number}/{len(steps)}] {step.table}: {step.action}")
            self.call(step)
            if wait and step.wait == "ready":
                self.wait_ready(step.table, deadline)
            elif wait and step.wait == "gone":
                self.wait_gone(step.table, deadline)
        return ApplyResult(len(steps), len(steps), "", time.monotonic() - began)
