"""Scripts can rely on every command: the CLI as a subprocess, as a user or a CI job runs it."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from dynaform.local import engine
from tests.helpers import Result, run_process

PROJECT = """\
project: {name}
environments:
  dev: {{target: aws, endpoint: "{endpoint}"}}
tables:
  items: {{partition_key: id}}
  copy: {{partition_key: id}}
"""


@pytest.fixture
def project(tmp_path: Path, ddb_endpoint: str, table_name: Any) -> Path:
    path = tmp_path / "dynaform.yaml"
    path.write_text(PROJECT.format(name=table_name("sc"), endpoint=ddb_endpoint))
    return path


def dyn(project: Path, *args: str, stdin: str | None = None, **env: str) -> Result:
    environ = {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", **env}
    return run_process(*args, cwd=project.parent, env=environ, stdin=stdin)


def test_json_errors_are_an_object_on_stdout_with_the_exit_code(project: Path) -> None:
    missing = dyn(project, "--json", "-f", "nowhere.yaml", "plan")
    assert missing.code == 1 and "error:" in missing.stderr
    assert json.loads(missing.stdout)["exit"] == 1
    usage = dyn(project, "--json", "plan", "--no-such-flag")
    error = json.loads(usage.stdout)
    assert usage.code == 2 and error["exit"] == 2 and "--no-such-flag" in error["error"]


def test_status_detailed_exitcode(project: Path) -> None:
    missing = dyn(project, "status", "--detailed-exitcode")
    assert missing.code == 2 and "missing" in missing.stdout
    assert dyn(project, "apply", "--yes").code == 0
    assert dyn(project, "status", "--detailed-exitcode").code == 0


def test_help_shows_plain_flags_without_a_value() -> None:
    shown = run_process("--help", cwd=Path.cwd())
    assert shown.code == 0 and "--local " in shown.stdout and "<bool>" not in shown.stdout


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--endpoint-url", "http://localhost:99999", "status"], {}),
        (["--local", "status"], {"DYNAFORM_LOCAL_PORT": "-5"}),
        (["status"], {"AWS_ENDPOINT_URL": "http://localhost:70000"}),
        (["local", "start", "--port", "99999"], {}),
    ],
)
def test_ports_are_validated_where_they_enter(
    tmp_path: Path, args: list[str], env: dict[str, str]
) -> None:
    result = run_process(*args, cwd=tmp_path, env=env)
    assert result.code == 2, result.stderr
    assert "port" in result.stderr and "Traceback" not in result.stderr


def test_a_bad_csv_number_names_the_column_the_value_and_what_was_expected(
    project: Path,
) -> None:
    assert dyn(project, "apply", "--yes").code == 0
    csv = project.parent / "c.csv"
    csv.write_text("id,createdAt\na,2024-13-99\n")
    result = dyn(project, "data", "import", "items", str(csv), "--types", "createdAt=N")
    assert result.code == 1
    assert "c.csv:2: createdAt: '2024-13-99' is not a number" in result.stderr


def test_stdin_stdout_logical_names_and_transforms_from_the_project_folder(
    project: Path,
) -> None:
    assert dyn(project, "apply", "--yes").code == 0
    lines = '{"id": "a", "n": 1}\n{"id": "b", "n": 12345678901234567890123456789012345678}\n'
    assert dyn(project, "data", "import", "items", "-", stdin=lines).code == 0
    (project.parent / "scrub.py").write_text("def run(item):\n    return {**item, 'ok': True}\n")
    copied = dyn(project, "data", "copy", "items", "copy", "--transform", "scrub:run")
    assert copied.code == 0, copied.stderr
    name = project.read_text().split()[1]
    assert f"copy {name}-dev-items" in copied.stderr and f"→ {name}-dev-copy" in copied.stderr
    exported = dyn(project, "data", "export", "copy", "--out", "-", "--format", "json")
    items = sorted((json.loads(line) for line in exported.stdout.splitlines()), key=str)
    assert [i["id"] for i in items] == ["a", "b"] and all(i["ok"] for i in items)
    assert 12345678901234567890123456789012345678 in [i["n"] for i in items]
    assert not (project.parent / "-").exists()


def test_apply_no_deletes_refuses_a_plan_that_removes_an_index(project: Path) -> None:
    project.write_text(
        project.read_text().replace(
            "items: {partition_key: id}",
            "items: {partition_key: id, indexes: {byN: {partition_key: n}}}",
        )
    )
    assert dyn(project, "apply", "--yes").code == 0
    project.write_text(project.read_text().replace(", indexes: {byN: {partition_key: n}}", ""))
    refused = dyn(project, "apply", "--yes", "--no-deletes")
    assert refused.code == 2 and "byN" in refused.stderr
    assert dyn(project, "plan", "--detailed-exitcode").code == 2  # still pending, untouched


def test_a_second_folder_uses_the_running_engine_and_says_whose_it_is(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    port = str(engine.free_port())
    (second / "dynaform.yaml").write_text(
        textwrap.dedent("""\
        project: second
        environments:
          dev: {target: local}
        tables:
          t: {partition_key: id}
        """)
    )
    started = run_process("local", "start", "--port", port, "--in-memory", cwd=first)
    assert started.code == 0, started.stderr
    try:
        planned = run_process("plan", cwd=second, env={"DYNAFORM_LOCAL_PORT": port})
        assert planned.code == 0, planned.stderr
        assert f"using the local engine of {first}" in planned.stderr
        taken = run_process("local", "start", cwd=second, env={"DYNAFORM_LOCAL_PORT": port})
        assert taken.code == 1 and f"dynaform's local engine for {first}" in taken.stderr
    finally:
        run_process("local", "stop", cwd=first)
    alone = run_process("--local", "status", cwd=second, env={"DYNAFORM_LOCAL_PORT": port})
    try:
        assert alone.code == 0 and "keeps running" in alone.stderr
        assert "dynaform local stop" in alone.stderr
    finally:
        run_process("local", "stop", cwd=second)


@pytest.mark.parametrize(
    ("name", "text", "where"),
    [
        ("bad.tf", 'resource "aws_dynamodb_table" "t" {\n  name = "x"\n  hash_key =\n', "bad.tf:"),
        ("bad.yaml", "Resources:\n  T:\n    Properties: {TableName: x\n", "bad.yaml:"),
    ],
)
def test_malformed_input_is_one_sentence_with_file_and_line(
    tmp_path: Path, name: str, text: str, where: str
) -> None:
    (tmp_path / name).write_text(text)
    result = run_process("import", name, "--out", "out", cwd=tmp_path)
    assert result.code == 1
    [line] = [text for text in result.stderr.splitlines() if text.startswith("error:")]
    assert line.startswith(f"error: {where}") and "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) <= 2  # the error and its hint, no parser dump
