"""Malformed foreign files: every wrong shape is one DynaformError that names the file, the
place in it (``template.yaml:7: Resources.Orders.Properties: expected a mapping, found a
string``) and what was expected — never an AttributeError, TypeError or KeyError.
CloudFormation and Serverless here; Terraform, Workbench and AWS CLI JSON in
test_import_malformed_other_formats."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
import yaml

from dynaform.core.importers import SourceFormatError, import_text

_DELETE = object()
Edit = tuple[tuple[str | int, ...], Any]


def edited(document: Any, edits: list[Edit]) -> Any:
    document = copy.deepcopy(document)
    for path, value in edits:
        if not path:
            document = value
            continue
        parent = document
        for part in path[:-1]:
            parent = parent[part]
        if value is _DELETE:
            del parent[path[-1]]
        else:
            parent[path[-1]] = value
    return document


def assert_clear_error(text: str, filename: str, fmt: str, place: str, phrase: str) -> str:
    with pytest.raises(SourceFormatError) as caught:
        import_text(text, filename, fmt, {})
    message = str(caught.value)
    where = rf"{re.escape(filename)}(:\d+)?: " + (rf"{re.escape(place)}: " if place else "")
    assert re.match(where, message), message
    assert phrase in message, message
    return message


# --- CloudFormation ---------------------------------------------------------------------

PROPS = ("Resources", "Orders", "Properties")
KEY = {"AttributeName": "pk", "KeyType": "HASH"}
CFN: dict[str, Any] = {
    "Parameters": {"Stage": {"Type": "String", "Default": "dev"}},
    "Conditions": {"Prod": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}},
    "Resources": {
        "Orders": {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "TableName": {"Fn::Sub": "orders-${Stage}"},
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [
                    {"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "sk", "AttributeType": "S"},
                ],
                "KeySchema": [KEY],
                "GlobalSecondaryIndexes": [
                    {
                        "IndexName": "bySk",
                        "KeySchema": [{"AttributeName": "sk", "KeyType": "HASH"}],
                        "Projection": {"ProjectionType": "ALL"},
                    }
                ],
                "StreamSpecification": {"StreamViewType": "NEW_IMAGE"},
                "TimeToLiveSpecification": {"AttributeName": "expires", "Enabled": True},
                "Tags": [{"Key": "team", "Value": "core"}],
            },
        }
    },
}
P = "Resources.Orders.Properties"
CFN_CASES: list[tuple[str, list[Edit], str, str]] = [
    ("template a list", [((), ["x"])], "", "expected a mapping, found a list"),
    (
        "Resources a list",
        [(("Resources",), ["Orders"])],
        "Resources",
        "expected a mapping, found a list",
    ),
    (
        "Resources a string",
        [(("Resources",), "x")],
        "Resources",
        "expected a mapping, found a string",
    ),
    (
        "resource a string",
        [(("Resources", "Orders"), "x")],
        "Resources.Orders",
        "expected a mapping, found a string",
    ),
    ("Properties a string", [(PROPS, "x")], P, "expected a mapping, found a string"),
    ("Properties a list", [(PROPS, [1])], P, "expected a mapping, found a list"),
    ("Properties missing", [(PROPS, _DELETE)], P, "needs KeySchema and AttributeDefinitions"),
    (
        "KeySchema a mapping",
        [((*PROPS, "KeySchema"), {"pk": "HASH"})],
        f"{P}.KeySchema",
        "expected a list, found a mapping",
    ),
    (
        "KeySchema a string",
        [((*PROPS, "KeySchema"), "pk")],
        f"{P}.KeySchema",
        "expected a list, found a string",
    ),
    ("KeySchema empty", [((*PROPS, "KeySchema"), [])], f"{P}.KeySchema", "one HASH key"),
    ("KeySchema two HASH", [((*PROPS, "KeySchema"), [KEY, KEY])], f"{P}.KeySchema", "one HASH key"),
    (
        "key a string",
        [((*PROPS, "KeySchema", 0), "pk")],
        f"{P}.KeySchema[0]",
        "expected a mapping, found a string",
    ),
    (
        "key without name",
        [((*PROPS, "KeySchema", 0), {"KeyType": "HASH"})],
        f"{P}.KeySchema[0]",
        "missing AttributeName",
    ),
    (
        "KeyType unknown",
        [((*PROPS, "KeySchema", 0, "KeyType"), "SIDEWAYS")],
        f"{P}.KeySchema[0].KeyType",
        "'SIDEWAYS' is not one of HASH, RANGE",
    ),
    (
        "attributes a mapping",
        [((*PROPS, "AttributeDefinitions"), {"pk": "S"})],
        f"{P}.AttributeDefinitions",
        "expected a list, found a mapping",
    ),
    (
        "attribute type a list",
        [((*PROPS, "AttributeDefinitions", 0, "AttributeType"), ["S"])],
        f"{P}.AttributeDefinitions[0].AttributeType",
        "expected one of S, N, B, found a list",
    ),
    (
        "GSIs a mapping",
        [((*PROPS, "GlobalSecondaryIndexes"), {"bySk": {}})],
        f"{P}.GlobalSecondaryIndexes",
        "expected a list, found a mapping",
    ),
    (
        "GSI a string",
        [((*PROPS, "GlobalSecondaryIndexes", 0), "bySk")],
        f"{P}.GlobalSecondaryIndexes[0]",
        "expected a mapping, found a string",
    ),
    (
        "GSI without name",
        [((*PROPS, "GlobalSecondaryIndexes", 0, "IndexName"), _DELETE)],
        f"{P}.GlobalSecondaryIndexes[0]",
        "missing IndexName",
    ),
    (
        "projection a string",
        [((*PROPS, "GlobalSecondaryIndexes", 0, "Projection"), "ALL")],
        f"{P}.GlobalSecondaryIndexes[0].Projection",
        "expected a mapping, found a string",
    ),
    (
        "include a string",
        [
            (
                (*PROPS, "GlobalSecondaryIndexes", 0, "Projection"),
                {"ProjectionType": "INCLUDE", "NonKeyAttributes": "a"},
            )
        ],
        f"{P}.GlobalSecondaryIndexes[0].Projection.NonKeyAttributes",
        "expected a list, found a string",
    ),
    (
        "LSI without RANGE",
        [
            (
                (*PROPS, "LocalSecondaryIndexes"),
                [{"IndexName": "l", "KeySchema": [KEY], "Projection": {"ProjectionType": "ALL"}}],
            )
        ],
        f"{P}.LocalSecondaryIndexes[0].KeySchema",
        "RANGE",
    ),
    (
        "throughput a string",
        [((*PROPS, "BillingMode"), "PROVISIONED"), ((*PROPS, "ProvisionedThroughput"), "5")],
        f"{P}.ProvisionedThroughput",
        "expected a mapping, found a string",
    ),
    (
        "capacity not a number",
        [
            ((*PROPS, "BillingMode"), "PROVISIONED"),
            (
                (*PROPS, "ProvisionedThroughput"),
                {"ReadCapacityUnits": "lots", "WriteCapacityUnits": 1},
            ),
        ],
        f"{P}.ProvisionedThroughput.ReadCapacityUnits",
        "expected a number, found 'lots'",
    ),
    (
        "BillingMode a list",
        [((*PROPS, "BillingMode"), ["PAY_PER_REQUEST"])],
        f"{P}.BillingMode",
        "expected one of PROVISIONED, PAY_PER_REQUEST, found a list",
    ),
    (
        "stream a string",
        [((*PROPS, "StreamSpecification"), "NEW_IMAGE")],
        f"{P}.StreamSpecification",
        "expected a mapping, found a string",
    ),
    (
        "TTL a list",
        [((*PROPS, "TimeToLiveSpecification"), ["expires"])],
        f"{P}.TimeToLiveSpecification",
        "expected a mapping, found a list",
    ),
    (
        "SSE a boolean",
        [((*PROPS, "SSESpecification"), True)],
        f"{P}.SSESpecification",
        "expected a mapping, found true/false",
    ),
    (
        "PITR a string",
        [((*PROPS, "PointInTimeRecoverySpecification"), "yes")],
        f"{P}.PointInTimeRecoverySpecification",
        "expected a mapping, found a string",
    ),
    (
        "Tags a mapping",
        [((*PROPS, "Tags"), {"team": "core"})],
        f"{P}.Tags",
        "expected a list, found a mapping",
    ),
    (
        "tag a string",
        [((*PROPS, "Tags", 0), "team=core")],
        f"{P}.Tags[0]",
        "expected a mapping, found a string",
    ),
    (
        "TableName a number",
        [((*PROPS, "TableName"), 5)],
        f"{P}.TableName",
        "expected text, found a number",
    ),
    (
        "Parameters a list",
        [(("Parameters",), ["Stage"])],
        "Parameters",
        "expected a mapping, found a list",
    ),
    (
        "parameter a string",
        [(("Parameters", "Stage"), "dev")],
        "Parameters.Stage",
        "expected a mapping, found a string",
    ),
    (
        "Conditions a string",
        [(("Conditions",), "x")],
        "Conditions",
        "expected a mapping, found a string",
    ),
    (
        "Fn::If of two",
        [((*PROPS, "TableName"), {"Fn::If": ["Prod", "a"]})],
        f"{P}.TableName",
        "Fn::If takes [condition, value if true, value if false]",
    ),
    (
        "Fn::Join a string",
        [((*PROPS, "TableName"), {"Fn::Join": "x"})],
        f"{P}.TableName",
        "Fn::Join takes [separator, [values]]",
    ),
    (
        "Fn::Sub of three",
        [((*PROPS, "TableName"), {"Fn::Sub": ["a", {}, "c"]})],
        f"{P}.TableName",
        "Fn::Sub takes",
    ),
    (
        "Fn::Sub variables a list",
        [((*PROPS, "TableName"), {"Fn::Sub": ["${x}", ["x"]]})],
        f"{P}.TableName",
        "Fn::Sub takes",
    ),
    (
        "Ref of a list",
        [((*PROPS, "TableName"), {"Ref": ["Stage"]})],
        f"{P}.TableName",
        "Ref takes a name",
    ),
    (
        "condition cycle",
        [
            (("Conditions",), {"A": {"Condition": "B"}, "B": {"Condition": "A"}}),
            ((*PROPS, "TableName"), {"Fn::If": ["A", "x", "y"]}),
        ],
        "Conditions.A",
        "depends on itself",
    ),
    (
        "Fn::Equals of one",
        [
            (("Conditions", "Prod"), {"Fn::Equals": ["a"]}),
            ((*PROPS, "TableName"), {"Fn::If": ["Prod", "x", "y"]}),
        ],
        "Conditions.Prod",
        "Fn::Equals takes [value, value]",
    ),
    (
        "Fn::Not of a string",
        [
            (("Conditions", "Prod"), {"Fn::Not": "x"}),
            ((*PROPS, "TableName"), {"Fn::If": ["Prod", "x", "y"]}),
        ],
        "Conditions.Prod",
        "Fn::Not takes [condition]",
    ),
]


@pytest.mark.parametrize(
    ("what", "edits", "place", "phrase"), CFN_CASES, ids=[c[0] for c in CFN_CASES]
)
def test_malformed_cloudformation(what: str, edits: list[Edit], place: str, phrase: str) -> None:
    document = edited(CFN, edits)
    message = assert_clear_error(
        yaml.safe_dump(document), "template.yaml", "cloudformation", place, phrase
    )
    assert re.match(r"template\.yaml:\d+: ", message), message
    assert_clear_error(
        json.dumps(document, indent="\t"), "template.json", "cloudformation", place, phrase
    )


def test_the_cloudformation_base_imports() -> None:
    [spec] = import_text(yaml.safe_dump(CFN), "template.yaml", "auto", {}).tables
    assert spec.name == "orders-dev" and spec.gsis[0].name == "bySk"


# --- Serverless -------------------------------------------------------------------------

SLS_PROPS = ("resources", "Resources", "T", "Properties")
SLS: dict[str, Any] = {
    "service": "shop",
    "provider": {"name": "aws", "stage": "dev"},
    "custom": {"table": "${self:service}-${sls:stage}-orders"},
    "resources": {
        "Resources": {
            "T": {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {
                    "TableName": "${self:custom.table}",
                    "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                    "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                    "BillingMode": "PAY_PER_REQUEST",
                },
            }
        }
    },
}
S = "resources.Resources.T.Properties"
# each level repeats the next one 40 times: 40**5 * 100 characters unless refused
WIDE = {f"l{i}": f"${{self:custom.l{i + 1}}}" * 40 for i in range(5)} | {"l5": "x" * 100}
SLS_CASES: list[tuple[str, list[Edit], str, str]] = [
    ("file a list", [((), ["x"])], "", "expected a mapping, found a list"),
    (
        "provider a string",
        [(("provider",), "aws")],
        "provider",
        "expected a mapping, found a string",
    ),
    (
        "stage a list",
        [(("provider", "stage"), ["dev"])],
        "provider.stage",
        "expected text, found a list",
    ),
    (
        "resources a string",
        [(("resources",), "x")],
        "resources",
        "expected a mapping, found a string",
    ),
    (
        "Resources a list",
        [(("resources", "Resources"), ["T"])],
        "resources.Resources",
        "expected a mapping, found a list",
    ),
    (
        "resource a string",
        [(("resources", "Resources", "T"), "x")],
        "resources.Resources.T",
        "expected a mapping, found a string",
    ),
    ("Properties a string", [(SLS_PROPS, "x")], S, "expected a mapping, found a string"),
    (
        "KeySchema a string",
        [((*SLS_PROPS, "KeySchema"), "id")],
        f"{S}.KeySchema",
        "expected a list, found a string",
    ),
    ("variable cycle", [(("custom", "table"), "${self:custom.table}")], f"{S}.TableName", "cycle"),
    (
        "variable bomb",
        [(("custom",), WIDE), ((*SLS_PROPS, "TableName"), "${self:custom.l0}")],
        f"{S}.TableName",
        "longer than",
    ),
]


@pytest.mark.parametrize(
    ("what", "edits", "place", "phrase"), SLS_CASES, ids=[c[0] for c in SLS_CASES]
)
def test_malformed_serverless(what: str, edits: list[Edit], place: str, phrase: str) -> None:
    text = yaml.safe_dump(edited(SLS, edits))
    message = assert_clear_error(text, "serverless.yml", "auto", place, phrase)
    assert re.match(r"serverless\.yml:\d+: ", message), message


def test_the_serverless_base_imports() -> None:
    [spec] = import_text(yaml.safe_dump(SLS), "serverless.yml", "auto", {}).tables
    assert spec.name == "shop-dev-orders"
