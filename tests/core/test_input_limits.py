"""Hostile or broken input files (alias bombs, deep nesting, wrong encodings, unreadable paths,
tab-indented JSON) end in one DynaformError naming the file — never a traceback, never
unbounded memory. No engine needed: reading never talks to DynamoDB."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from dynaform.core import source, yamltree
from dynaform.core.importers import import_text
from dynaform.core.load import find_project_file, load_project
from dynaform.errors import ConfigError, DynaformError

ROOT = Path(__file__).resolve().parents[2]
ENVIRONMENTS = "environments: {dev: {target: local}}\n"

# Nine levels of nine aliases: 9**9 (387 million) values once expanded — gigabytes.
BOMB = "".join(
    f"b{level}: &b{level} [" + ", ".join([f"*b{level - 1}"] * 9 if level else ['"lol"'] * 9) + "]\n"
    for level in range(10)
)
DEEP = 3000


def _load_in_child(code: str) -> tuple[str, float]:
    """Run ``code`` in a fresh interpreter capped at 1 GiB of address space (so a regression
    fails with MemoryError instead of eating the machine); return its output and its peak
    resident memory in MiB."""
    runner = "\n".join(
        [
            "import resource, sys",
            "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))",
            "from pathlib import Path",
            "try:",
            textwrap.indent(code, "    "),
            "except Exception as exc:",
            "    print(type(exc).__name__, exc)",
            # VmHWM, not ru_maxrss: Linux carries the parent's (pytest's) peak into a child.
            "status = Path('/proc/self/status').read_text().split('VmHWM:')[1]",
            "print(int(status.split()[0]) / 1024)",
        ]
    )
    done = subprocess.run(
        [sys.executable, "-c", runner],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    *lines, peak = done.stdout.strip().splitlines()
    return "\n".join(lines), float(peak)


def test_alias_bomb_in_the_project_file_is_one_error_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "dynaform.yaml"
    path.write_text("project: shop\n" + BOMB)
    output, peak = _load_in_child(
        f"from dynaform.core.load import load_project\nload_project(Path({str(path)!r}))\n"
    )
    assert output.startswith("SchemaError"), output
    assert "dynaform.yaml:" in output and "alias" in output, output
    assert peak < 100, f"peak RSS {peak:.0f} MiB"


@pytest.mark.parametrize(
    ("name", "document"),
    [
        (
            "serverless.yml",
            "service: s\ncustom:\n"
            + textwrap.indent(BOMB, "  ")
            + "resources: {Resources: {T: {Type: AWS::DynamoDB::Table, Properties: {X: *b9}}}}\n",
        ),
        (
            "template.yaml",
            "Metadata:\n"
            + textwrap.indent(BOMB, "  ")
            + "Resources: {T: {Type: AWS::DynamoDB::Table, Properties: {X: *b9}}}\n",
        ),
    ],
)
def test_alias_bomb_in_an_imported_file_is_one_error(
    tmp_path: Path, name: str, document: str
) -> None:
    output, peak = _load_in_child(
        "from dynaform.core.importers import import_text\n"
        f"import_text({document!r}, {name!r}, 'auto', {{}})\n"
    )
    assert output.startswith("SourceFormatError"), output
    assert f"{name}:" in output and "alias" in output, output
    assert peak < 100, f"peak RSS {peak:.0f} MiB"


def test_an_alias_inside_its_own_anchor_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "dynaform.yaml"
    path.write_text("project: shop\nloop: &a [1, *a]\n")
    with pytest.raises(DynaformError, match=r"dynaform\.yaml:2: .*contains it"):
        load_project(path)


def test_aliases_cannot_build_depth_the_nesting_limit_would_refuse(tmp_path: Path) -> None:
    chain = "a0: &a0 " + "[" * 60 + "]" * 60 + "\n"
    chain += "".join(
        f"a{i}: &a{i} " + "[" * 60 + f"*a{i - 1}" + "]" * 60 + "\n" for i in range(1, 40)
    )
    path = tmp_path / "dynaform.yaml"
    path.write_text("project: shop\n" + chain)
    with pytest.raises(DynaformError, match=r"dynaform\.yaml:\d+: .*nested more than"):
        load_project(path)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("dynaform.yaml", "project: shop\ntags: " + "[" * DEEP + "]" * DEEP + "\n"),
        ("dynaform.json", '{"project": "shop", "tags": ' + "[" * DEEP + "]" * DEEP + "}"),
        (
            "dynaform.json",
            '{"project": "shop", "tags": ' + '{"a": ' * DEEP + "1" + "}" * DEEP + "}",
        ),
        ("dynaform.yaml", "project: shop\ntags:\n" + "".join(f"{' ' * i}- \n" for i in range(200))),
    ],
    ids=["yaml-flow", "json-lists", "json-objects", "yaml-block"],
)
def test_deep_nesting_in_the_project_file_is_one_error(
    tmp_path: Path, name: str, text: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(DynaformError, match=rf"{name}(:\d+)?: .*nested more than \d+ levels"):
        load_project(path)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("template.yaml", "Resources:\n  T: " + "[" * DEEP + "]" * DEEP + "\n"),
        ("template.json", '{"Resources": {"T": ' + "[" * DEEP + "]" * DEEP + "}}"),
        ("table.json", '{"KeySchema": ' + "[" * DEEP + "]" * DEEP + "}"),
        ("model.json", '{"ModelName": "m", "DataModel": ' + "[" * DEEP + "]" * DEEP + "}"),
        ("serverless.yml", "service: s\ncustom: " + "{a: " * DEEP + "1" + "}" * DEEP + "\n"),
        ("main.tf", 'variable "x" {\n  default = ' + "[" * DEEP + "]" * DEEP + "\n}\n"),
    ],
)
def test_deep_nesting_in_an_imported_file_is_one_error(name: str, text: str) -> None:
    fmt = "auto" if not name.startswith("table") else "create-table-json"
    fmt = "workbench" if name.startswith("model") else fmt
    fmt = "cloudformation" if name.startswith("template") else fmt
    with pytest.raises(DynaformError, match=rf"{name}(:\d+)?: .*nested more than \d+ levels"):
        import_text(text, name, fmt, {})


def test_bytes_that_are_not_utf8_name_the_file_line_and_byte(tmp_path: Path) -> None:
    path = tmp_path / "dynaform.yaml"
    path.write_bytes(b"project: shop\ntags: {team: caf\xe9}\n")
    with pytest.raises(DynaformError) as caught:
        load_project(path)
    assert "dynaform.yaml:2: " in str(caught.value) and "byte offset 30" in str(caught.value)
    assert "UTF-8" in str(caught.value)
    include = tmp_path / "tables" / "t.yaml"
    include.parent.mkdir()
    include.write_bytes(b"orders:\n  partition_key: \xff\xfe\n")
    path.write_text("project: shop\ninclude: [tables/*.yaml]\n" + ENVIRONMENTS)
    with pytest.raises(DynaformError, match=r"t\.yaml:2: .*byte offset 25"):
        load_project(path)
    with pytest.raises(DynaformError, match=r"template\.yaml:3: .*byte"):
        import_text(b"Resources:\n  T:\n    Type: \x93AWS\x94\n", "template.yaml", "auto", {})


def test_control_characters_are_one_error_with_the_line(tmp_path: Path) -> None:
    path = tmp_path / "dynaform.yaml"
    path.write_text("project: shop\ntags: {team: a\x07b}\n")
    with pytest.raises(DynaformError, match=r"dynaform\.yaml:2: .*#x0007"):
        load_project(path)


def test_utf16_and_bom_files_are_read(tmp_path: Path) -> None:
    """PowerShell's `>` writes UTF-16 with a byte order mark; Notepad adds a UTF-8 one."""
    path = tmp_path / "dynaform.yaml"
    path.write_bytes(("project: shop\n" + ENVIRONMENTS).encode("utf-16"))
    assert load_project(path).name == "shop"
    path.write_bytes(
        b"\xef\xbb\xbf" + b'{"project": "shop", "environments": {"dev": {"target": "local"}}}'
    )
    assert load_project(path).name == "shop"


def test_files_too_large_are_refused_before_reading_them_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(source, "MAX_FILE_BYTES", 1000)
    path = tmp_path / "dynaform.yaml"
    path.write_text("project: shop\n" + "# padding\n" * 200)
    with pytest.raises(DynaformError, match=r"dynaform\.yaml: .*larger than"):
        load_project(path)


def test_yaml_with_too_many_values_is_refused_while_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PyYAML needs ~800 bytes a value, so a 30 MB list of numbers would take gigabytes."""
    monkeypatch.setattr(yamltree, "MAX_VALUES", 1000)
    path = tmp_path / "dynaform.yaml"
    path.write_text("project: shop\ntags:\n" + "".join(f"  t{i}: v\n" for i in range(600)))
    with pytest.raises(DynaformError, match=r"dynaform\.yaml:\d+: .*more than 1,000 values"):
        load_project(path)
    with pytest.raises(DynaformError, match=r"t\.yaml:\d+: .*more than 1,000 values"):
        import_text("Resources: [" + "1, " * 2000 + "]\n", "t.yaml", "cloudformation", {})


def test_tab_indented_json_cloudformation_is_read_as_json() -> None:
    template = {
        "Resources": {
            "Orders": {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {
                    "TableName": "orders",
                    "BillingMode": "PAY_PER_REQUEST",
                    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                    "ProvisionedThroughput": {"ReadCapacityUnits": 1e1, "WriteCapacityUnits": 1},
                },
            }
        }
    }
    text = json.dumps(template, indent="\t")
    [spec] = import_text(text, "template.json", "auto", {}).tables
    assert spec.name == "orders" and spec.partition_key.name == "pk"
    [spec] = import_text(text.encode(), "template.txt", "cloudformation", {}).tables
    assert spec.name == "orders"


def test_tab_indented_json_project_file_loads_and_keeps_lines(tmp_path: Path) -> None:
    path = tmp_path / "dynaform.json"
    document: dict[str, Any] = {
        "project": "shop",
        "tables": {"orders": {"partition_key": "pk", "ttl": 5}},
        "environments": {"dev": {"target": "local"}},
    }
    path.write_text(json.dumps(document, indent="\t"))
    with pytest.raises(DynaformError, match=r"dynaform\.json:6: tables\.orders\.ttl"):
        load_project(path)
    document["tables"]["orders"]["ttl"] = "expires"
    path.write_text(json.dumps(document, indent="\t"))
    assert load_project(path).tables["orders"].ttl == "expires"


def test_broken_json_reports_the_json_error_with_line(tmp_path: Path) -> None:
    path = tmp_path / "dynaform.json"
    path.write_text('{\n\t"project": "shop",\n\t"tables": {,}\n}\n')
    with pytest.raises(DynaformError, match=r"dynaform\.json:3: not valid JSON"):
        load_project(path)


def test_duplicate_keys_in_json_are_refused_with_the_line(tmp_path: Path) -> None:
    path = tmp_path / "dynaform.json"
    path.write_text('{\n\t"project": "shop",\n\t"project": "other"\n}\n')
    with pytest.raises(DynaformError, match=r"dynaform\.json:3: duplicate key 'project'"):
        load_project(path)


def test_unreadable_paths_are_config_errors_naming_the_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a directory"):
        find_project_file(tmp_path, tmp_path)
    with pytest.raises(ConfigError, match="does not exist"):
        find_project_file(tmp_path, tmp_path / "nope.yaml")
    long_name = tmp_path / ("x" * 5000)
    with pytest.raises(ConfigError, match="x" * 20):
        find_project_file(tmp_path, long_name)
    with pytest.raises(DynaformError, match=r"nope\.yaml: cannot read"):
        load_project(tmp_path / "nope.yaml")
    with pytest.raises(DynaformError, match="cannot read"):
        load_project(tmp_path)


def test_include_patterns_that_glob_refuses_are_problems(tmp_path: Path) -> None:
    path = tmp_path / "dynaform.yaml"
    path.write_text("project: shop\ninclude: ['/abs/*.yaml', '']\n" + ENVIRONMENTS)
    with pytest.raises(DynaformError) as caught:
        load_project(path)
    assert "dynaform.yaml:2: include.0" in str(caught.value), caught.value
    assert "include.1" in str(caught.value)
