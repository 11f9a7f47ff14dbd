"""`dynaform docs` and `dynaform iam-policy` for every example (no engine needed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dynaform.core.documents import DEPLOY_ACTIONS, HOLDING_ACTIONS, design_document, iam_policy
from dynaform.core.load import load_project
from tests.helpers import run_cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ["calendar", "expenses", "vishmaker", "items"]


@pytest.mark.parametrize("example", EXAMPLES)
def test_docs_render_every_table_in_every_environment(example: str) -> None:
    project = load_project(ROOT / "examples" / example / "dynaform.yaml")
    text = design_document(project, project.environment_names)
    for env in project.environment_names:
        for spec in project.resolve(env):
            assert f"`{spec.name}`" in text
            for gsi in spec.gsis:
                assert f"| {gsi.name} | global |" in text
    assert text.count("## ") >= len(project.tables) + 1
    if any(project.tables[t].indexes for t in project.tables):
        assert "```mermaid" in text


PREFIX = "arn:aws:dynamodb:eu-west-1:123456789012:table/"
# Resource "*" only for the actions without a resource-level form, each in the role that calls it.
STARRED = {
    "deploy": {"dynamodb:ListTables"},
    "migrate": set(),
    "app": set(),
    "readonly": {"cloudwatch:GetMetricData"},
}
WRITES = {"Put", "Delete", "Update", "Create", "BatchWrite", "Tag", "Untag"}


def granted(policy: dict[str, Any]) -> tuple[set[str], dict[str, set[str]]]:
    """(actions on "*", {table name in an ARN: actions on it or its indexes/streams})."""
    starred: set[str] = set()
    by_table: dict[str, set[str]] = {}
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow" and statement["Sid"].isalnum()
        if statement["Resource"] == "*":
            assert len(statement["Action"]) == 1, statement  # a statement of its own
            starred |= set(statement["Action"])
            continue
        for arn in statement["Resource"]:
            assert arn.startswith(PREFIX), arn
            by_table.setdefault(arn[len(PREFIX) :].split("/")[0], set()).update(statement["Action"])
    return starred, by_table


@pytest.mark.parametrize("example", EXAMPLES)
@pytest.mark.parametrize("role", ["deploy", "migrate", "app", "readonly"])
def test_iam_policy_names_only_the_project_arns(example: str, role: str) -> None:
    project = load_project(ROOT / "examples" / example / "dynaform.yaml")
    env = project.environment_names[-1]
    specs = project.resolve(env)
    control = f"{project.name}-{env}-dynaform"
    policy = json.loads(json.dumps(iam_policy(specs, role, "eu-west-1", "123456789012", control)))
    assert policy["Version"] == "2012-10-17"
    starred, by_table = granted(policy)
    assert starred == STARRED[role]
    names = {s.name for s in specs}
    holding = {f"{name}.dynaform-rebuild" for name in names}
    expected = names | ({control} if role in {"deploy", "migrate"} else set())
    assert set(by_table) == expected | (holding if role == "deploy" else set())
    on_tables = set().union(*(by_table[n] for n in names))
    if role == "deploy":
        assert on_tables == set(DEPLOY_ACTIONS) | {"dynamodb:Scan", "dynamodb:BatchWriteItem"}
        assert all(by_table[h] == set(HOLDING_ACTIONS) for h in holding)
        assert {"dynamodb:CreateTable", "dynamodb:UpdateTimeToLive"} <= set(HOLDING_ACTIONS)
        assert by_table[control] == {"dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:Query"}
    elif role == "migrate":
        assert "dynamodb:PutItem" in on_tables and "dynamodb:DescribeTable" in on_tables
        assert not {"dynamodb:CreateTable", "dynamodb:DeleteTable"} & on_tables
        assert {"dynamodb:CreateTable", "dynamodb:PutItem"} <= by_table[control]
        assert "dynamodb:DeleteTable" not in by_table[control]
    elif role == "app":
        assert "dynamodb:PutItem" in on_tables and "dynamodb:CreateTable" not in on_tables
        assert "dynamodb:DeleteTable" not in on_tables
    else:
        every = starred.union(*by_table.values())
        assert not {a for a in every if any(a.split(":")[1].startswith(w) for w in WRITES)}


def test_cli_writes_docs_and_prints_a_policy(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    project = ROOT / "examples" / "calendar" / "dynaform.yaml"
    target = tmp_path / "docs" / "dynamodb.md"
    result = run_cli(capsys, "-f", str(project), "docs", "--out", str(target))
    assert result.code == 0 and "calendsync-main" in target.read_text()
    policy = run_cli(capsys, "-f", str(project), "-e", "prod", "iam-policy", "--role", "app")
    data = json.loads(policy.stdout)
    streams = [s for s in data["Statement"] if s["Sid"] == "ReadProjectStreams"]
    assert streams and streams[0]["Resource"] == [
        "arn:aws:dynamodb:us-east-1:*:table/calendsync-main/stream/*"
    ]
    deploy = run_cli(capsys, "-f", str(project), "-e", "prod", "iam-policy", "--role", "deploy")
    resources = {r for s in json.loads(deploy.stdout)["Statement"] for r in s["Resource"]}
    arn = "arn:aws:dynamodb:us-east-1:*:table/"
    assert arn + "calendsync-main.dynaform-rebuild" in resources
    assert arn + "calendsync-prod-dynaform" in resources
    bad = run_cli(capsys, "-f", str(project), "iam-policy", "--role", "admin")
    assert bad.code == 2 and "unknown role" in bad.stderr
