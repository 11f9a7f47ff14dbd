"""The project file: valid files resolve per environment; each kind of invalid file gives a
file:line error (these tests need no engine: loading never talks to DynamoDB)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from dynaform.core.load import load_project
from dynaform.core.problems import SchemaError
from dynaform.errors import ConfigError

BASE = """\
project: shop
environments:
  dev: {target: local}
  prod: {target: aws, region: eu-west-1, naming: "{project}-{table}", protected: true,
         defaults: {point_in_time_recovery: true, deletion_protection: true}}
default_env: dev
tags: {team: core}
tables:
  orders:
    partition_key: {name: PK, type: S}
    sort_key: SK
    indexes:
      byCustomer: {partition_key: customer, sort_key: {name: placed, type: N}}
"""


def write(tmp_path: Path, text: str, name: str = "dynaform.yaml") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def test_resolves_names_defaults_and_tags_per_environment(tmp_path: Path) -> None:
    project = load_project(write(tmp_path, BASE))
    [dev] = project.resolve("dev")
    [prod] = project.resolve("prod")
    assert dev.name == "shop-dev-orders" and prod.name == "shop-orders"
    assert not dev.pitr and prod.pitr and prod.deletion_protection
    assert dev.tags == {"team": "core", "environment": "dev"}
    assert dev.attribute_types() == {"PK": "S", "SK": "S", "customer": "S", "placed": "N"}
    assert project.target("prod").region == "eu-west-1"
    assert project.target("dev").kind == "local"


def test_table_value_beats_environment_default_and_override_beats_both(tmp_path: Path) -> None:
    text = """\
    project: shop
    environments:
      dev:
        target: local
        tables:
          orders: {billing: on_demand}
      prod:
        target: aws
        defaults: {point_in_time_recovery: true, deletion_protection: true}
    default_env: dev
    tables:
      orders:
        partition_key: PK
        point_in_time_recovery: false
        billing: {provisioned: {read: 1, write: 1}}
        indexes:
          byCustomer: {partition_key: customer, read: 1, write: 1}
    """
    project = load_project(write(tmp_path, text))
    [prod] = project.resolve("prod")
    [dev] = project.resolve("dev")
    assert prod.pitr is False  # the table says false; the environment default does not win
    assert prod.deletion_protection is True  # the table is silent; the default applies
    assert prod.billing.mode == "PROVISIONED"
    assert dev.billing.mode == "PAY_PER_REQUEST"  # the override wins
    assert [g.throughput for g in dev.gsis] == [None]  # capacities dropped with the switch


def test_includes_add_tables_with_their_own_lines(tmp_path: Path) -> None:
    write(tmp_path, BASE + "include: [tables/*.yaml]\n")
    write(tmp_path, "payments:\n  partition_key: id\n  ttl: expires\n", "tables/pay.yaml")
    project = load_project(tmp_path / "dynaform.yaml")
    assert [s.logical_name for s in project.resolve("dev")] == ["orders", "payments"]


def test_environment_selection(tmp_path: Path) -> None:
    project = load_project(write(tmp_path, BASE))
    assert project.select_environment(None, {}) == "dev"
    assert project.select_environment(None, {"DYNAFORM_ENV": "prod"}) == "prod"
    assert project.select_environment("prod", {"DYNAFORM_ENV": "dev"}) == "prod"
    with pytest.raises(ConfigError) as caught:
        project.select_environment("prd", {})
    assert "dev, prod" in caught.value.message and "did you mean 'prod'" in caught.value.hint
    several = load_project(write(tmp_path, BASE.replace("default_env: dev\n", "")))
    with pytest.raises(ConfigError, match="none was chosen"):
        several.select_environment(None, {})


INVALID = [
    # (what, edit of BASE (old, new), expected line, expected text)
    (
        "unknown table key",
        ("    sort_key: SK\n", "    sort_key: SK\n    sortkey: x\n"),
        12,
        "unknown key 'sortkey' — did you mean 'sort_key'?",
    ),
    ("unknown top-level key", ("tags:", "tagz: {}\ntags:"), 7, "unknown key 'tagz'"),
    ("bad attribute type", ("type: N}", "type: X}"), 13, "'X' is not allowed"),
    (
        "misspelt billing",
        ("    sort_key: SK\n", "    sort_key: SK\n    billing: ondemand\n"),
        12,
        "'ondemand' is not allowed — did you mean 'on_demand'?",
    ),
    (
        "bad billing form",
        ("    sort_key: SK\n", "    sort_key: SK\n    billing: {reserved: 5}\n"),
        12,
        "is not a valid billing — write `on_demand`",
    ),
    (
        "misspelt capacity",
        (
            "    sort_key: SK\n",
            "    sort_key: SK\n    billing: {provisioned: {read: 1, writ: 1}}\n",
        ),
        12,
        "unknown key 'writ' — did you mean 'write'",
    ),
    (
        "zero capacity",
        (
            "    sort_key: SK\n",
            "    sort_key: SK\n    billing: {provisioned: {read: 0, write: 1}}\n",
        ),
        12,
        "greater than or equal to 1",
    ),
    (
        "bad stream",
        ("    sort_key: SK\n", "    sort_key: SK\n    stream: new_and_old\n"),
        12,
        "did you mean 'new_and_old_images'",
    ),
    (
        "bad projection",
        (
            "sort_key: {name: placed, type: N}}",
            "sort_key: {name: placed, type: N}, projection: everything}",
        ),
        13,
        "'everything' is not allowed",
    ),
    (
        "missing partition key",
        ("    partition_key: {name: PK, type: S}\n", ""),
        9,
        "missing required key 'partition_key'",
    ),
    (
        "physical name too short",
        ("    sort_key: SK\n", "    sort_key: SK\n    physical_name: ab\n"),
        12,
        "has 2 characters; DynamoDB allows 3 to 255",
    ),
    ("bad name characters", ("  orders:", "  ord ers:"), 9, "may only contain"),
    (
        "lsi without table sort key",
        ("    sort_key: SK\n", "    local_indexes:\n      bySku: {sort_key: sku}\n"),
        11,
        "local indexes need the table to have a sort key",
    ),
    (
        "one type per attribute",
        ("partition_key: customer,", "partition_key: {name: SK, type: N},"),
        13,
        "attribute 'SK' is type N here but S",
    ),
    (
        "capacity on on-demand index",
        ("type: N}}", "type: N}, read: 5, write: 5}"),
        13,
        "only for provisioned tables",
    ),
    (
        "provisioned index without capacity",
        (
            "    sort_key: SK\n",
            "    sort_key: SK\n    billing: {provisioned: {read: 1, write: 1}}\n",
        ),
        14,
        "this index needs capacity",
    ),
    (
        "duplicate key",
        ("    sort_key: SK\n", "    sort_key: SK\n    sort_key: SK2\n"),
        12,
        "duplicate key 'sort_key'",
    ),
    (
        "naming without {table}",
        ('naming: "{project}-{table}"', 'naming: "{project}-x"'),
        4,
        "lacks {table}",
    ),
    (
        "unknown placeholder",
        ('naming: "{project}-{table}"', 'naming: "{proj}-{table}"'),
        4,
        "unknown placeholder {proj}",
    ),
    (
        "override of an undeclared table",
        ("  dev: {target: local}", "  dev:\n    target: local\n    tables: {order: {ttl: x}}"),
        5,
        "overrides table 'order', which is not declared — did you mean 'orders'?",
    ),
    ("default_env unknown", ("default_env: dev", "default_env: stage"), 6, "'stage' is not an"),
    ("broken YAML", ("tables:\n", "tables: [\n"), 10, "not valid YAML"),
    (
        "reserved tag prefix",
        ("tags: {team: core}", "tags: {'aws:team': core}"),
        7,
        "reserved prefix aws:",
    ),
    (
        "too many local indexes",
        (
            "    sort_key: SK\n",
            "    sort_key: SK\n    local_indexes:\n"
            + "".join(f"      lsi{i}x: {{sort_key: s{i}}}\n" for i in range(6)),
        ),
        12,
        "6 local indexes; DynamoDB allows 5",
    ),
]


@pytest.mark.parametrize(("what", "edit", "line", "text"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_files_name_file_line_and_fix(
    tmp_path: Path, what: str, edit: tuple[str, str], line: int, text: str
) -> None:
    old, new = edit
    assert old in BASE, what
    path = write(tmp_path, BASE.replace(old, new, 1))
    with pytest.raises(SchemaError) as caught:
        load_project(path).resolve("dev")
    rendered = caught.value.message
    assert text in rendered, rendered
    assert f"dynaform.yaml:{line}:" in rendered, rendered
    assert "nothing was sent to DynamoDB" in caught.value.hint
