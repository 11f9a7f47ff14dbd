"""`dynaform import` of real-world files (tests/fixtures/imports, origins in its README), and
`dynaform export` of every example, against the session's DynamoDB Local."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from dynaform.core.importers import SourceFormatError, import_text
from tests.helpers import run_cli

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "imports"

# fixture, physical name, (hash, range), {index: (hash, range, projection)}, ttl
CASES: list[tuple[str, str, tuple[str, str | None], dict[str, Any], str | None]] = [
    ("tf-workspace-name.tf", "dev-sessions", ("hk", "rk"), {}, "expires"),
    ("tf-variable-declared-elsewhere.tf", "findings_table", ("Resource", "Title"), {}, None),
    (
        "create-table-provisioned-gsi.json",
        "graph_edges",
        ("node", "edge"),
        {"by_edge": ("edge", None, "ALL")},
        None,
    ),
    ("create-table-minimal.json", "Songs", ("Artist", "SongTitle"), {}, None),
    ("serverless-self-custom.serverless.yml", "notes-api-table", ("id", None), {}, None),
    ("serverless-self-service.serverless.yml", "rewards-cards", ("id", None), {}, None),
    ("sam-no-table-name.template.yaml", "EventsTable", ("id", None), {}, None),
    ("sam-short-forms.template.yaml", "Skills", ("PK", "SK"), {}, None),
    ("sam-table-name-parameter.template.yaml", "Tasks", ("id", None), {}, None),
    (
        "workbench-include-gsis-samples.json",
        "Bookstore",
        ("PK", "SK"),
        {"GSI1": ("GSI1PK", "GSI1SK", "INCLUDE"), "GSI2": ("GSI2PK", "GSI2SK", "INCLUDE")},
        None,
    ),
    (
        "workbench-include-lists-keys.json",
        "Orders",
        ("PK", "SK"),
        {"GSI1": ("GSI1PK", "GSI1SK", "INCLUDE")},
        None,
    ),
    ("cfn-json-tabs.template", "TabOrders", ("orderId", None), {}, None),
    ("cfn-json-no-extension", "noext-users", ("id", None), {}, None),
    ("serverless-patterns/template.yaml", "pattern-items", ("pk", None), {}, None),
    (
        "cfn-parameters-without-defaults.yaml",
        "AppPrefix-accounts-dev",
        ("accountId", None),
        {},
        None,
    ),
    ("cfn-penvironment-json.json", "audit-dev", ("pk", "ts"), {}, "expiresAt"),
    ("cfn-conditions-on-stage.yaml", "ledger-dev", ("pk", "sk"), {}, None),
    (
        "cfn-include-lists-keys.yaml",
        "catalog-include-keys",
        ("PK", "SK"),
        {"byCategory": ("category", None, "INCLUDE")},
        None,
    ),
    ("cfn-foreach.yaml", "LoopInvoices-dev", ("id", None), {}, None),
    ("serverless-opt-stage-provider.serverless.yml", "bookings-dev", ("bookingId", None), {}, None),
    ("tf-011-syntax.tf", "legacy-items", ("itemId", None), {}, None),
    ("tf-locals-name.tf", "shop-dev-carts", ("cartId", None), {}, None),
]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], clean_env: pytest.MonkeyPatch, ddb_endpoint: str):  # type: ignore[no-untyped-def]
    def run(*args: str) -> Any:
        return run_cli(capsys, "--endpoint-url", ddb_endpoint, *args)

    return run


def keys_of(schema: list[dict[str, str]]) -> tuple[str, str | None]:
    hash_key = next(k["AttributeName"] for k in schema if k["KeyType"] == "HASH")
    range_key = next((k["AttributeName"] for k in schema if k["KeyType"] == "RANGE"), None)
    return hash_key, range_key


@pytest.mark.parametrize(
    ("fixture", "name", "keys", "indexes", "ttl"), CASES, ids=[c[0] for c in CASES]
)
def test_real_world_patterns_import_apply_and_replan_to_nothing(
    cli: Any,
    ddb: Any,
    tmp_path: Path,
    fixture: str,
    name: str,
    keys: tuple[str, str | None],
    indexes: dict[str, Any],
    ttl: str | None,
) -> None:
    out = tmp_path / "project"
    imported = cli("import", str(FIXTURES / fixture), "--out", str(out))  # never a --param
    assert imported.code == 0, imported.stderr
    assert "Traceback" not in imported.stderr
    applied = cli("-f", str(out / "dynaform.yaml"), "apply", "--yes")
    assert applied.code == 0, applied.stderr
    table = ddb.describe_table(TableName=name)["Table"]
    assert keys_of(table["KeySchema"]) == keys
    found = {
        g["IndexName"]: (*keys_of(g["KeySchema"]), g["Projection"]["ProjectionType"])
        for g in table.get("GlobalSecondaryIndexes", [])
    }
    assert found == indexes
    described = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert described.get("AttributeName") == ttl
    replan = cli("-f", str(out / "dynaform.yaml"), "plan", "--detailed-exitcode")
    assert replan.code == 0, replan.stdout


def imported_project(cli: Any, tmp_path: Path, fixture: str) -> tuple[Path, dict[str, Any], str]:
    out = tmp_path / fixture.replace("/", "_")
    result = cli("import", str(FIXTURES / fixture), "--out", str(out))
    assert result.code == 0, result.stderr
    file = out / "dynaform.yaml"
    return file, yaml.safe_load(file.read_text()), result.stderr


def test_workbench_samples_become_a_seed_file(cli: Any, ddb: Any, tmp_path: Path) -> None:
    file, project, _ = imported_project(cli, tmp_path, "workbench-include-gsis-samples.json")
    assert project["environments"]["dev"]["seeds"] == ["seeds/Bookstore.yaml"]
    include = project["tables"]["Bookstore"]["indexes"]["GSI1"]["projection"]["include"]
    assert sorted(include) == ["copies", "isbn", "summary", "title", "type"]
    assert cli("-f", str(file), "apply", "--yes").code == 0
    seeded = cli("-f", str(file), "seed", "--clear", "--yes")
    assert seeded.code == 0, seeded.stderr
    assert ddb.scan(TableName="Bookstore", Select="COUNT")["Count"] == 9


def test_included_key_attributes_are_left_out_with_a_note(cli: Any, tmp_path: Path) -> None:
    _, project, stderr = imported_project(cli, tmp_path, "workbench-include-lists-keys.json")
    assert project["tables"]["Orders"]["indexes"]["GSI1"]["projection"] == {"include": ["title"]}
    assert "includes key attribute(s) GSI1PK, GSI1SK, PK, SK, always projected" in stderr


def test_parameters_without_defaults_become_env_and_project_variables(
    cli: Any, ddb: Any, tmp_path: Path
) -> None:
    file, project, stderr = imported_project(cli, tmp_path, "cfn-parameters-without-defaults.yaml")
    table = project["tables"]["AccountsTable"]
    assert table["physical_name"] == "{AppPrefix}-accounts-{env}"
    assert table["encryption"] == {"kms_key": "${KmsKeyId}"}
    assert project["vars"] == {"AppPrefix": "AppPrefix", "KmsKeyId": "KmsKeyId"}
    assert "ReadUnits has no default; 5 assumed" in stderr
    assert "AppPrefix has no value; it is the project variable `AppPrefix`" in stderr
    applied = cli("-f", str(file), "--var", "AppPrefix=bank", "apply", "--yes")
    assert applied.code == 0, applied.stderr
    assert ddb.describe_table(TableName="bank-accounts-dev")["Table"]["TableStatus"] == "ACTIVE"
    _, tf, _ = imported_project(cli, tmp_path, "tf-locals-name.tf")
    assert tf["tables"]["carts"]["physical_name"] == "shop-{env}-carts"
    _, sls, _ = imported_project(cli, tmp_path, "serverless-opt-stage-provider.serverless.yml")
    assert sls["tables"]["BookingsTable"]["physical_name"] == "bookings-{env}"


def test_conditions_on_the_stage_become_one_table_with_overrides(
    cli: Any, ddb: Any, tmp_path: Path
) -> None:
    file, project, stderr = imported_project(cli, tmp_path, "cfn-conditions-on-stage.yaml")
    assert list(project["tables"]) == ["LedgerTable"]
    assert "LedgerTableProd: left out, its Condition IsProd is false here" in stderr
    assert list(project["environments"]) == ["dev", "staging", "prod"]
    override = project["environments"]["prod"]["tables"]["LedgerTable"]
    assert override == {
        "billing": {"provisioned": {"read": 20, "write": 10}},
        "point_in_time_recovery": True,
    }
    applied = cli("-f", str(file), "-e", "prod", "apply", "--yes")
    assert applied.code == 0, applied.stderr
    described = ddb.describe_table(TableName="ledger-prod")["Table"]
    assert described["ProvisionedThroughput"]["ReadCapacityUnits"] == 20
    replan = cli("-f", str(file), "-e", "prod", "plan", "--detailed-exitcode")
    assert replan.code == 0, replan.stdout


def test_sam_simple_tables_import_apply_and_replan_to_nothing(
    cli: Any, ddb: Any, tmp_path: Path
) -> None:
    """A bare SimpleTable is keyed `id` (String) and on-demand; PrimaryKey, capacity, name,
    tags (a mapping) and SSE carry over (see the README row for its origin)."""
    file, project, stderr = imported_project(cli, tmp_path, "sam-simple-table.template.yaml")
    assert sorted(project["tables"]) == ["Bookmarks", "ThumbsTable", "VisitsTable"]
    assert "not supported" not in stderr
    applied = cli("-f", str(file), "apply", "--yes")
    assert applied.code == 0, applied.stderr
    bare = ddb.describe_table(TableName="Bookmarks")["Table"]
    assert bare["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert bare["AttributeDefinitions"] == [{"AttributeName": "id", "AttributeType": "S"}]
    assert bare["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    visits = ddb.describe_table(TableName="simple-visits")["Table"]
    assert visits["AttributeDefinitions"] == [{"AttributeName": "visitNo", "AttributeType": "N"}]
    throughput = visits["ProvisionedThroughput"]
    assert (throughput["ReadCapacityUnits"], throughput["WriteCapacityUnits"]) == (3, 2)
    written = project["tables"]["VisitsTable"]  # DynamoDB Local keeps no tags: read the file
    assert written["tags"] == {"team": "reading", "cost-centre": "42"}
    assert written["encryption"] == "aws_managed"
    thumbs = ddb.describe_table(TableName="stack-thumbs")["Table"]
    assert thumbs["AttributeDefinitions"] == [{"AttributeName": "digest", "AttributeType": "B"}]
    replan = cli("-f", str(file), "plan", "--detailed-exitcode")
    assert replan.code == 0, replan.stdout


def test_a_simple_table_with_a_wrong_key_type_is_one_sentence() -> None:
    template = textwrap.dedent("""\
        Transform: AWS::Serverless-2016-10-31
        Resources:
          T:
            Type: AWS::Serverless::SimpleTable
            Properties:
              PrimaryKey: {Name: id, Type: S}
        """)
    where = r"t\.yaml:6: Resources\.T\.Properties\.PrimaryKey\.Type: 'S' is not one of String"
    with pytest.raises(SourceFormatError, match=where):
        import_text(template, "t.yaml", "auto", {})


def test_broken_or_unreadable_sources_are_one_sentence(cli: Any, tmp_path: Path) -> None:
    missing = cli(
        "import",
        str(FIXTURES / "sam-missing-attribute-definitions.template.yaml"),
        "--out",
        str(tmp_path / "a"),
    )
    assert missing.code == 1 and "needs KeySchema and AttributeDefinitions" in missing.stderr
    dynamic = cli("import", str(FIXTURES / "tf-dynamic-module.tf"), "--out", str(tmp_path / "b"))
    assert dynamic.code == 1, dynamic.stderr
    assert "tf-dynamic-module.tf:7: aws_dynamodb_table.this: its attribute blocks are" in (
        dynamic.stderr
    )
    assert "readable here: billing_mode" in dynamic.stderr
    assert "Traceback" not in missing.stderr + dynamic.stderr


def test_cloudformation_short_forms_conditions_and_stage_names() -> None:
    template = textwrap.dedent("""\
        Parameters:
          Stage: {Type: String, Default: dev}
          UseStreams: {Type: String, Default: "yes"}
        Conditions:
          Streams: !Equals [!Ref UseStreams, "yes"]
        Resources:
          Orders:
            Type: AWS::DynamoDB::Table
            Properties:
              TableName: !Sub "${AWS::StackName}-${Stage}-orders"
              BillingMode: PAY_PER_REQUEST
              AttributeDefinitions: [{AttributeName: pk, AttributeType: S},
                                     {AttributeName: gpk, AttributeType: N}]
              KeySchema: [{AttributeName: pk, KeyType: HASH}]
              GlobalSecondaryIndexes:
                - IndexName: byG
                  KeySchema: [{AttributeName: gpk, KeyType: HASH}]
                  Projection: {ProjectionType: KEYS_ONLY}
              StreamSpecification: !If [Streams, {StreamViewType: NEW_IMAGE}, !Ref AWS::NoValue]
              TimeToLiveSpecification: {AttributeName: expires, Enabled: true}
              PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: true}
              ContributorInsightsSpecification: {Enabled: true}
          Global:
            Type: AWS::DynamoDB::GlobalTable
        """)
    result = import_text(template, "t.yaml", "auto", {"AWS::StackName": "shop", "Stage": "prod"})
    [spec] = result.tables
    assert spec.name == "shop-prod-orders" and result.env == "prod"
    assert result.patterns == {"Orders": "{project}-{env}-orders"}
    assert spec.stream == "NEW_IMAGE" and spec.ttl == "expires" and spec.pitr
    assert spec.gsis[0].partition_key.type == "N" and spec.gsis[0].projection.type == "KEYS_ONLY"
    assert any("ContributorInsightsSpecification is not supported" in w for w in result.warnings)
    assert any("global tables" in w for w in result.warnings)
    off = import_text(template, "t.yaml", "auto", {"UseStreams": "no"})
    assert off.tables[0].stream is None


def test_serverless_variables_and_unresolved_ones() -> None:
    text = textwrap.dedent("""\
        service: shop
        provider: {name: aws, stage: "${opt:stage, 'dev'}"}
        custom: {table: "${self:service}-${sls:stage}-orders"}
        resources:
          Resources:
            T:
              Type: AWS::DynamoDB::Table
              Properties:
                TableName: ${self:custom.table}
                AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
                KeySchema: [{AttributeName: id, KeyType: HASH}]
                BillingMode: PAY_PER_REQUEST
                Tags: [{Key: owner, Value: "${env:OWNER}"}]
        """)
    result = import_text(text, "serverless.yml", "auto", {"stage": "qa"})
    assert result.tables[0].name == "shop-qa-orders"
    assert any("${env:OWNER} could not be resolved" in w for w in result.warnings)


def test_unknown_format_is_refused() -> None:
    with pytest.raises(SourceFormatError, match="cannot tell its format"):
        import_text("hello: world\n", "x.yaml", "auto", {})


@pytest.mark.parametrize("example", ["calendar", "expenses", "vishmaker", "items"])
def test_every_example_exports_to_a_project_that_plans_to_nothing(
    cli: Any, tmp_path: Path, example: str
) -> None:
    source = ROOT / "examples" / example / "dynaform.yaml"
    assert cli("-f", str(source), "apply", "--yes").code == 0
    prefix = {
        "calendar": "calendsync-dev-",
        "expenses": "construction-expenses-dev-",
        "vishmaker": "dev-vishmaker-",
        "items": "items-dev",
    }[example]
    out = tmp_path / "exported"
    exported = cli("export", "--tables", prefix + "*", "--out", str(out))
    assert exported.code == 0, exported.stderr
    assert "read-only" in exported.stderr
    summary = (out / "table-summary.md").read_text()
    assert prefix in summary and "| keys |" in summary
    replan = cli("-f", str(out / "dynaform.yaml"), "plan", "--detailed-exitcode")
    assert replan.code == 0, replan.stdout
    for fmt in ("json", "cloudformation", "create-table-json"):
        other = tmp_path / fmt
        assert (
            cli("export", "--tables", prefix + "*", "--out", str(other), "--format", fmt).code == 0
        )
    template = yaml.safe_load((tmp_path / "cloudformation" / "template.yaml").read_text())
    assert all(r["Type"] == "AWS::DynamoDB::Table" for r in template["Resources"].values())
    again = import_text(json.dumps(template), "template.json", "cloudformation", {})
    assert len(again.tables) == len(template["Resources"])


def test_merge_keys_nested_short_forms_and_refused_functions() -> None:
    """Templates share settings with `<<: *anchor` (a project file refuses that); `!Condition`
    works inside `!Not`; a function that needs a deployed stack names its place."""
    template = textwrap.dedent("""\
        Parameters:
          Stage: {Type: String, Default: dev}
        Conditions:
          IsProd: !Equals [!Ref Stage, prod]
          NotProd: !Not [!Condition IsProd]
        Metadata:
          Shared: &shared
            BillingMode: PAY_PER_REQUEST
            AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
        Resources:
          T:
            Type: AWS::DynamoDB::Table
            Properties:
              <<: *shared
              TableName: !If [NotProd, !Join ["-", [t, !Ref Stage]], prod-t]
              KeySchema: [{AttributeName: pk, KeyType: HASH}]
        """)
    [spec] = import_text(template, "t.yaml", "auto", {}).tables
    assert spec.name == "t-dev" and spec.billing.mode == "PAY_PER_REQUEST"
    assert import_text(template, "t.yaml", "auto", {"Stage": "prod"}).tables[0].name == "prod-t"
    with pytest.raises(SourceFormatError, match=r"t\.yaml:15: .*TableName.*Fn::GetAtt cannot"):
        import_text(template.replace("!Ref Stage]]", "!GetAtt X.Arn]]"), "t.yaml", "auto", {})


def test_foreach_over_a_list_parameter_and_nested_loops() -> None:
    template = textwrap.dedent("""\
        Transform: AWS::LanguageExtensions
        Parameters:
          Names: {Type: CommaDelimitedList, Default: "a1, b2"}
        Resources:
          Fn::ForEach::Outer:
            - Name
            - !Ref Names
            - Fn::ForEach::Inner:
                - Kind
                - [x, y]
                - T${Name}${Kind}:
                    Type: AWS::DynamoDB::Table
                    Properties:
                      TableName: !Sub "t-${Name}-&{Kind}"
                      BillingMode: PAY_PER_REQUEST
                      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
                      KeySchema: [{AttributeName: id, KeyType: HASH}]
        """)
    result = import_text(template, "t.yaml", "auto", {})
    assert [s.name for s in result.tables] == ["t-a1-x", "t-a1-y", "t-b2-x", "t-b2-y"]
    looped = template.replace("[x, y]", "[x, x]")
    with pytest.raises(SourceFormatError, match="makes the resource 'Ta1x' twice"):
        import_text(looped, "t.yaml", "auto", {})


def test_a_key_from_a_variable_without_a_value_is_one_sentence() -> None:
    text = textwrap.dedent("""\
        variable "pk" {}
        resource "aws_dynamodb_table" "t" {
          name = "tbl"
          hash_key = var.pk
          billing_mode = "PAY_PER_REQUEST"
          attribute {
            name = var.pk
            type = "S"
          }
        }
        """)
    where = r"t\.tf:2: aws_dynamodb_table\.t: its key attribute"
    with pytest.raises(SourceFormatError, match=where):
        import_text(text, "t.tf", "auto", {})
    [spec] = import_text(text, "t.tf", "auto", {"pk": "id"}).tables
    assert spec.partition_key.name == "id"
