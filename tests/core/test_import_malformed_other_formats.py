"""Malformed Terraform, NoSQL Workbench and AWS CLI JSON files: one DynaformError naming the
file and the place (helpers and CloudFormation/Serverless cases in test_import_malformed)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from dynaform.core.importers import SourceFormatError, import_text
from tests.core.test_import_malformed import _DELETE, KEY, Edit, assert_clear_error, edited

# --- Terraform --------------------------------------------------------------------------

TF = """\
variable "stage" {
  default = "dev"
}
resource "aws_dynamodb_table" "orders" {
  name         = "orders-${var.stage}"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "pk"
  range_key    = "sk"
  attribute {
    name = "pk"
    type = "S"
  }
  attribute {
    name = "sk"
    type = "S"
  }
  global_secondary_index {
    name            = "bySk"
    hash_key        = "sk"
    projection_type = "ALL"
  }
  ttl {
    attribute_name = "expires"
    enabled        = true
  }
  tags = {
    team = "core"
  }
}
"""
T = "aws_dynamodb_table.orders"
TF_CASES: list[tuple[str, str, str, str, str]] = [
    (
        "attribute without type",
        '    name = "pk"\n    type = "S"\n',
        '    name = "pk"\n',
        f"{T}.attribute[0]",
        "missing type",
    ),
    (
        "attribute type unknown",
        '    name = "pk"\n    type = "S"\n',
        '    name = "pk"\n    type = "X"\n',
        f"{T}.attribute[0].type",
        "'X' is not one of S, N, B",
    ),
    (
        "hash_key a list",
        'hash_key     = "pk"',
        'hash_key     = ["pk"]',
        f"{T}.hash_key",
        "expected text, found a list",
    ),
    ("hash_key missing", '  hash_key     = "pk"\n', "", T, "missing hash_key"),
    (
        "index without name",
        '    name            = "bySk"\n',
        "",
        f"{T}.global_secondary_index[0]",
        "missing name",
    ),
    (
        "projection unknown",
        '"ALL"',
        '"SOME"',
        f"{T}.global_secondary_index[0].projection_type",
        "'SOME' is not one of ALL, KEYS_ONLY, INCLUDE",
    ),
    (
        "ttl an attribute",
        '  ttl {\n    attribute_name = "expires"\n    enabled        = true\n  }\n',
        '  ttl = "expires"\n',
        f"{T}.ttl",
        "expected a block, found a string",
    ),
    (
        "tags a string",
        '  tags = {\n    team = "core"\n  }\n',
        '  tags = "core"\n',
        f"{T}.tags",
        "expected a mapping, found a string",
    ),
    (
        "capacity not a number",
        'billing_mode = "PAY_PER_REQUEST"',
        'billing_mode = "PROVISIONED"\n  read_capacity = "lots"',
        f"{T}.read_capacity",
        "expected a number, found 'lots'",
    ),
    ("name a number", '"orders-${var.stage}"', "5", f"{T}.name", "expected text, found a number"),
    (
        "variable an attribute",
        'variable "stage" {\n  default = "dev"\n}\n',
        "variable = 3\n",
        "variable",
        "expected a block, found a number",
    ),
    (
        "resource an attribute",
        TF,
        'resource = "aws_dynamodb_table"\n',
        "resource",
        "expected a block, found a string",
    ),
]


@pytest.mark.parametrize(
    ("what", "old", "new", "place", "phrase"), TF_CASES, ids=[c[0] for c in TF_CASES]
)
def test_malformed_terraform(what: str, old: str, new: str, place: str, phrase: str) -> None:
    assert old in TF, what
    assert_clear_error(TF.replace(old, new, 1), "main.tf", "auto", place, phrase)


def test_the_terraform_base_imports() -> None:
    [spec] = import_text(TF, "main.tf", "auto", {}).tables
    assert spec.name == "orders-dev" and spec.ttl == "expires"


# --- NoSQL Workbench --------------------------------------------------------------------

NAME = {"AttributeName": "name", "AttributeType": "S"}
WB: dict[str, Any] = {
    "ModelName": "m",
    "DataModel": [
        {
            "TableName": "Products",
            "KeyAttributes": {
                "PartitionKey": {"AttributeName": "PK", "AttributeType": "S"},
                "SortKey": {"AttributeName": "SK", "AttributeType": "S"},
            },
            "NonKeyAttributes": [NAME],
            "GlobalSecondaryIndexes": [
                {
                    "IndexName": "byName",
                    "KeyAttributes": {"PartitionKey": NAME},
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            "TableData": [{"PK": {"S": "a"}, "SK": {"S": "b"}}],
            "BillingMode": "PAY_PER_REQUEST",
        }
    ],
}
M = ("DataModel", 0)
WB_CASES: list[tuple[str, list[Edit], str, str]] = [
    (
        "DataModel a mapping",
        [(("DataModel",), {"Products": {}})],
        "DataModel",
        "expected a list, found a mapping",
    ),
    ("table a string", [(M, "Products")], "DataModel[0]", "expected a mapping, found a string"),
    ("table without name", [((*M, "TableName"), _DELETE)], "DataModel[0]", "missing TableName"),
    (
        "keys a list",
        [((*M, "KeyAttributes"), ["PK"])],
        "DataModel[0].KeyAttributes",
        "expected a mapping, found a list",
    ),
    (
        "partition key a string",
        [((*M, "KeyAttributes", "PartitionKey"), "PK")],
        "DataModel[0].KeyAttributes.PartitionKey",
        "expected a mapping, found a string",
    ),
    (
        "partition key missing",
        [((*M, "KeyAttributes", "PartitionKey"), _DELETE)],
        "DataModel[0].KeyAttributes",
        "missing PartitionKey",
    ),
    (
        "attributes a mapping",
        [((*M, "NonKeyAttributes"), {"name": "S"})],
        "DataModel[0].NonKeyAttributes",
        "expected a list, found a mapping",
    ),
    (
        "attribute without type",
        [((*M, "NonKeyAttributes", 0), {"AttributeName": "name"})],
        "DataModel[0].NonKeyAttributes[0]",
        "missing AttributeType",
    ),
    (
        "index a string",
        [((*M, "GlobalSecondaryIndexes", 0), "byName")],
        "DataModel[0].GlobalSecondaryIndexes[0]",
        "expected a mapping, found a string",
    ),
    (
        "index without name",
        [((*M, "GlobalSecondaryIndexes", 0, "IndexName"), _DELETE)],
        "DataModel[0].GlobalSecondaryIndexes[0]",
        "missing IndexName",
    ),
    (
        "data a mapping",
        [((*M, "TableData"), {"PK": "a"})],
        "DataModel[0].TableData",
        "expected a list, found a mapping",
    ),
    (
        "item a string",
        [((*M, "TableData", 0), "a")],
        "DataModel[0].TableData[0]",
        "expected a mapping, found a string",
    ),
    (
        "facet a string",
        [((*M, "TableFacets"), ["f"])],
        "DataModel[0].TableFacets[0]",
        "expected a mapping, found a string",
    ),
    (
        "capacity a string",
        [((*M, "BillingMode"), "PROVISIONED"), ((*M, "ProvisionedCapacitySettings"), "5")],
        "DataModel[0].ProvisionedCapacitySettings",
        "expected a mapping, found a string",
    ),
]


@pytest.mark.parametrize(
    ("what", "edits", "place", "phrase"), WB_CASES, ids=[c[0] for c in WB_CASES]
)
def test_malformed_workbench(what: str, edits: list[Edit], place: str, phrase: str) -> None:
    text = json.dumps(edited(WB, edits), indent=2)
    message = assert_clear_error(text, "model.json", "workbench", place, phrase)
    assert re.match(r"model\.json:\d+: ", message), message


def test_the_workbench_base_imports() -> None:
    result = import_text(json.dumps(WB), "model.json", "auto", {})
    assert result.tables[0].name == "Products" and len(result.seed_items["Products"]) == 1


# --- AWS CLI JSON -----------------------------------------------------------------------

CREATE: dict[str, Any] = {
    "TableName": "tbl",
    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
    "KeySchema": [KEY],
    "BillingMode": "PAY_PER_REQUEST",
}
DESCRIBE: dict[str, Any] = {
    "Table": {
        **{k: v for k, v in CREATE.items() if k != "BillingMode"},
        "TableStatus": "ACTIVE",
        "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
    }
}
CLI_CASES: list[tuple[str, dict[str, Any], str, list[Edit], str, str]] = [
    (
        "create KeySchema a string",
        CREATE,
        "create-table-json",
        [(("KeySchema",), "pk")],
        "KeySchema",
        "expected a list, found a string",
    ),
    (
        "create no attributes",
        CREATE,
        "create-table-json",
        [(("AttributeDefinitions",), _DELETE)],
        "",
        "needs KeySchema and AttributeDefinitions",
    ),
    (
        "create GSI a number",
        CREATE,
        "create-table-json",
        [(("GlobalSecondaryIndexes",), [1])],
        "GlobalSecondaryIndexes[0]",
        "expected a mapping, found a number",
    ),
    (
        "describe Table a string",
        DESCRIBE,
        "describe-table-json",
        [(("Table",), "t")],
        "Table",
        "expected a mapping, found a string",
    ),
    (
        "describe KeySchema a string",
        DESCRIBE,
        "describe-table-json",
        [(("Table", "KeySchema"), "pk")],
        "Table.KeySchema",
        "expected a list, found a string",
    ),
    (
        "describe without name",
        DESCRIBE,
        "describe-table-json",
        [(("Table", "TableName"), _DELETE)],
        "Table",
        "missing TableName",
    ),
    (
        "describe GSI a string",
        DESCRIBE,
        "describe-table-json",
        [(("Table", "GlobalSecondaryIndexes"), ["g"])],
        "Table.GlobalSecondaryIndexes[0]",
        "expected a mapping, found a string",
    ),
    (
        "describe billing a string",
        DESCRIBE,
        "describe-table-json",
        [(("Table", "BillingModeSummary"), "x")],
        "Table.BillingModeSummary",
        "expected a mapping, found a string",
    ),
    (
        "describe capacity a string",
        DESCRIBE,
        "describe-table-json",
        [(("Table", "ProvisionedThroughput"), {"ReadCapacityUnits": "x"})],
        "Table.ProvisionedThroughput.ReadCapacityUnits",
        "expected a number, found 'x'",
    ),
]


@pytest.mark.parametrize(
    ("what", "base", "fmt", "edits", "place", "phrase"), CLI_CASES, ids=[c[0] for c in CLI_CASES]
)
def test_malformed_aws_cli_json(
    what: str, base: dict[str, Any], fmt: str, edits: list[Edit], place: str, phrase: str
) -> None:
    text = json.dumps(edited(base, edits), indent=2)
    assert_clear_error(text, "table.json", fmt, place, phrase)


def test_the_aws_cli_json_bases_import() -> None:
    assert import_text(json.dumps(CREATE), "t.json", "auto", {}).tables[0].name == "tbl"
    assert import_text(json.dumps(DESCRIBE), "d.json", "auto", {}).tables[0].name == "tbl"


def test_a_table_name_dynamodb_refuses_is_an_error_at_its_place() -> None:
    short = {**CREATE, "TableName": "t"}
    with pytest.raises(SourceFormatError, match=r"t.json:1: TableName: table name 't' has 1"):
        import_text(json.dumps(short), "t.json", "auto", {})
