"""`dynaform docs` and `dynaform iam-policy` for every example (no engine needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dynaform.core.documents import DEPLOY_ACTIONS, design_document, iam_policy
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


@pytest.mark.parametrize("example", EXAMPLES)
@pytest.mark.parametrize("role", ["deploy", "app", "readonly"])
def test_iam_policy_names_only_the_project_arns(example: str, role: str) -> None:
    project = load_project(ROOT / "examples" / example / "dynaform.yaml")
    env = project.environment_names[-1]
    specs = project.resolve(env)
    policy = json.loads(json.dumps(iam_policy(specs, role, "eu-west-1", "123456789012")))
    assert policy["Version"] == "2012-10-17"
    names = {s.name for s in specs}
    for statement in policy["Statement"]:
        resources = statement["Resource"]
        if resources == "*":
            assert statement["Action"] == ["dynamodb:ListTables"]  # no resource-level form
            continue
        for arn in resources:
            prefix = "arn:aws:dynamodb:eu-west-1:123456789012:table/"
            assert arn.startswith(prefix)
            assert arn[len(prefix) :].split("/")[0] in names
    actions = {a for s in policy["Statement"] for a in s["Action"]}
    if role == "deploy":
        assert set(DEPLOY_ACTIONS) <= actions and "dynamodb:PutItem" not in actions
    elif role == "app":
        assert "dynamodb:PutItem" in actions and "dynamodb:CreateTable" not in actions
        assert "dynamodb:DeleteTable" not in actions
    else:
        assert not {a for a in actions if "Put" in a or "Delete" in a or "Update" in a}


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
    bad = run_cli(capsys, "-f", str(project), "iam-policy", "--role", "admin")
    assert bad.code == 2 and "unknown role" in bad.stderr
