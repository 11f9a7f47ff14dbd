"""Foreign table definitions -> TableSpecs (pure: text and parameters in, specs and warnings out).

Every format is first brought to the shape of a CreateTable request (CloudFormation's
``AWS::DynamoDB::Table`` properties nearly are one), then to a DescribeTable-shaped record that
``aws.live.normalize`` turns into a TableSpec — the same path live tables take, so an import
plans exactly like the table it describes.

Formats: CloudFormation / SAM (YAML with ``!Ref``/``!Sub``/``!GetAtt``/``!If`` short forms, or
JSON), Serverless Framework ``serverless.yml``, Terraform ``aws_dynamodb_table`` blocks, NoSQL
Workbench models (v1 ``TableFacets``, v3 ``TableData``), ``aws dynamodb create-table
--cli-input-json`` files and saved ``describe-table`` output. Anything not understood is
reported as a warning, never silently dropped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from dynaform.core.live import normalize
from dynaform.core.model import TableSpec
from dynaform.errors import DynaformError

FORMATS = (
    "cloudformation",
    "serverless",
    "terraform",
    "workbench",
    "create-table-json",
    "describe-table-json",
)
STAGE_NAMES = {"stage", "env", "environment", "envname", "stagename"}


class SourceFormatError(DynaformError):
    pass


@dataclass
class Imported:
    tables: list[TableSpec] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seed_items: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    env: str | None = None  # the stage the names were resolved for, when one was found
    patterns: dict[str, str] = field(default_factory=dict)  # logical -> physical_name pattern


# --- the common path --------------------------------------------------------------------

KNOWN_PROPERTIES = {
    "TableName",
    "AttributeDefinitions",
    "KeySchema",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "BillingMode",
    "ProvisionedThroughput",
    "StreamSpecification",
    "SSESpecification",
    "TimeToLiveSpecification",
    "PointInTimeRecoverySpecification",
    "DeletionProtectionEnabled",
    "TableClass",
    "Tags",
    "OnDemandThroughput",
}


def from_create_table(params: Mapping[str, Any], logical: str, warnings: list[str]) -> TableSpec:
    """CreateTable request (or CloudFormation properties) -> TableSpec."""
    where = f"{logical}"
    for key in sorted(set(params) - KNOWN_PROPERTIES):
        warnings.append(f"{where}: {key} is not supported and was left out")
    if "KeySchema" not in params or "AttributeDefinitions" not in params:
        raise SourceFormatError(f"{where}: a table needs KeySchema and AttributeDefinitions")
    billing = params.get("BillingMode", "PROVISIONED")
    table: dict[str, Any] = {
        "TableName": params.get("TableName") or logical,
        "AttributeDefinitions": params["AttributeDefinitions"],
        "KeySchema": params["KeySchema"],
        "BillingModeSummary": {"BillingMode": billing},
        "ProvisionedThroughput": params.get("ProvisionedThroughput", {}),
        "GlobalSecondaryIndexes": [dict(g) for g in params.get("GlobalSecondaryIndexes", [])],
        "LocalSecondaryIndexes": params.get("LocalSecondaryIndexes", []),
        "DeletionProtectionEnabled": _bool(params.get("DeletionProtectionEnabled", False)),
    }
    if billing == "PROVISIONED" and not table["ProvisionedThroughput"]:
        warnings.append(f"{where}: provisioned without ProvisionedThroughput; using 5/5")
        table["ProvisionedThroughput"] = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    if billing == "PROVISIONED":
        for gsi in table["GlobalSecondaryIndexes"]:
            if not gsi.get("ProvisionedThroughput"):
                warnings.append(
                    f"{where}: index {gsi.get('IndexName')} has no capacity; it gets the table's"
                )
                gsi["ProvisionedThroughput"] = dict(table["ProvisionedThroughput"])
    if "OnDemandThroughput" in params:
        table["OnDemandThroughput"] = params["OnDemandThroughput"]
    if "TableClass" in params:
        table["TableClassSummary"] = {"TableClass": params["TableClass"]}
    stream = params.get("StreamSpecification")
    if stream:
        enabled = _bool(stream.get("StreamEnabled", True))
        table["StreamSpecification"] = {
            "StreamEnabled": enabled,
            "StreamViewType": stream.get("StreamViewType"),
        }
    sse = params.get("SSESpecification")
    if sse and _bool(sse.get("SSEEnabled", sse.get("Enabled", False))):
        key = sse.get("KMSMasterKeyId")
        table["SSEDescription"] = {
            "Status": "ENABLED",
            "SSEType": "KMS",
            **({"KMSMasterKeyArn": key} if key else {}),
        }
    ttl_spec = params.get("TimeToLiveSpecification") or {}
    ttl = None
    if _bool(ttl_spec.get("Enabled", False)) and ttl_spec.get("AttributeName"):
        ttl = {
            "TimeToLiveDescription": {
                "TimeToLiveStatus": "ENABLED",
                "AttributeName": ttl_spec["AttributeName"],
            }
        }
    pitr = params.get("PointInTimeRecoverySpecification") or {}
    backups = {
        "ContinuousBackupsDescription": {
            "PointInTimeRecoveryDescription": {
                "PointInTimeRecoveryStatus": "ENABLED"
                if _bool(pitr.get("PointInTimeRecoveryEnabled", False))
                else "DISABLED"
            }
        }
    }
    tags = [
        {"Key": str(t["Key"]), "Value": str(t["Value"])}
        for t in params.get("Tags", [])
        if isinstance(t, Mapping) and "Key" in t and "Value" in t
    ]
    try:
        spec = normalize(table, ttl, backups, tags).spec
    except (KeyError, StopIteration, TypeError, ValueError) as exc:
        raise SourceFormatError(f"{where}: cannot read its keys or indexes ({exc})") from exc
    return spec.model_copy(update={"logical_name": logical})


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


# --- CloudFormation / SAM / Serverless --------------------------------------------------


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short forms: !Ref X -> {"Ref": X}, !Sub -> {"Fn::Sub": …}."""


def _short_form(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _short_form)


class Resolver:
    """CloudFormation intrinsic functions, as far as names and properties need them."""

    def __init__(
        self,
        parameters: Mapping[str, Any],
        conditions: Mapping[str, Any],
        stack: str,
        warnings: list[str],
    ) -> None:
        self.parameters = dict(parameters)
        self.conditions = conditions
        self.stack = stack
        self.warnings = warnings

    def value(self, node: Any, where: str) -> Any:
        if isinstance(node, list):
            return [self.value(v, where) for v in node]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            [(key, arg)] = node.items()
            if key == "Ref":
                return self.ref(str(arg), where)
            if key == "Fn::Sub":
                return self.sub(arg, where)
            if key == "Fn::If":
                condition, yes, no = arg
                return self.value(yes if self.condition(condition) else no, where)
            if key == "Fn::Join":
                separator, parts = arg
                return str(separator).join(str(self.value(p, where)) for p in parts)
            if key in {"Fn::GetAtt", "Fn::ImportValue", "Fn::FindInMap", "Fn::Select"}:
                raise SourceFormatError(
                    f"{where}: {key} cannot be resolved without deploying",
                    hint="replace it with a literal or a parameter",
                )
        return {k: self.value(v, f"{where}.{k}") for k, v in node.items()}

    def ref(self, name: str, where: str) -> Any:
        if name == "AWS::StackName":
            return self.stack
        if name in {"AWS::Region"}:
            return "us-east-1"
        if name == "AWS::NoValue":
            return None
        if name in self.parameters:
            return self.parameters[name]
        raise SourceFormatError(
            f"{where}: parameter {name!r} has no default and no --param",
            hint=f"pass --param {name}=VALUE",
        )

    def sub(self, arg: Any, where: str) -> str:
        text, names = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
        extra = {k: self.value(v, where) for k, v in names.items()}
        return re.sub(
            r"\$\{([^}!]+)\}",
            lambda m: str(
                extra[m.group(1)] if m.group(1) in extra else self.ref(m.group(1), where)
            ),
            text,
        )

    def condition(self, name: Any) -> bool:
        node = self.conditions.get(str(name))
        if node is None:
            self.warnings.append(f"condition {name!r} is not defined; taken as false")
            return False
        return bool(self._truth(node))

    def _truth(self, node: Any) -> Any:
        if isinstance(node, dict) and len(node) == 1:
            [(key, arg)] = node.items()
            if key == "Fn::Equals":
                return str(self.value(arg[0], "condition")) == str(self.value(arg[1], "condition"))
            if key == "Fn::Not":
                return not self._truth(arg[0])
            if key == "Fn::And":
                return all(self._truth(a) for a in arg)
            if key == "Fn::Or":
                return any(self._truth(a) for a in arg)
            if key == "Condition":
                return self.condition(arg)
        return bool(self.value(node, "condition"))


def _stage_pattern(node: Any, parameters: Mapping[str, Any]) -> tuple[str, str] | None:
    """A TableName like !Sub "${AWS::StackName}-${Stage}-users" -> ("{project}-{env}-users",
    stage parameter) — so the name maps onto environments."""
    text = node.get("Fn::Sub") if isinstance(node, dict) else None
    if not isinstance(text, str):
        return None
    stage = next(
        (
            p
            for p in re.findall(r"\$\{([^}]+)\}", text)
            if p.lower() in STAGE_NAMES and p in parameters
        ),
        None,
    )
    if stage is None:
        return None
    pattern = text.replace("${AWS::StackName}", "{project}").replace("${" + stage + "}", "{env}")
    if "${" in pattern:
        return None
    return pattern, stage


def import_cloudformation(
    text: str,
    params: Mapping[str, str],
    source: str,
    resources_key: tuple[str, ...] = ("Resources",),
) -> Imported:
    result = Imported()
    try:
        template = yaml.load(text, Loader=_CfnLoader)
    except yaml.YAMLError as exc:
        raise SourceFormatError(f"{source}: not YAML/JSON ({exc})") from exc
    if not isinstance(template, dict):
        raise SourceFormatError(f"{source}: not a template")
    declared = template.get("Parameters", {}) or {}
    parameters: dict[str, Any] = {
        k: v.get("Default") for k, v in declared.items() if isinstance(v, dict) and "Default" in v
    }
    parameters.update(params)
    resolver = Resolver(
        parameters,
        template.get("Conditions", {}) or {},
        str(params.get("AWS::StackName", "stack")),
        result.warnings,
    )
    resources: Any = template
    for key in resources_key:
        resources = (resources or {}).get(key, {})
    for logical, resource in (resources or {}).items():
        kind = resource.get("Type") if isinstance(resource, dict) else None
        if kind == "AWS::DynamoDB::GlobalTable":
            result.warnings.append(
                f"{logical}: global tables (replicas) are not supported; left out"
            )
            continue
        if kind != "AWS::DynamoDB::Table":
            continue
        raw_props = resource.get("Properties", {}) or {}
        stage = _stage_pattern(raw_props.get("TableName"), parameters)
        props = resolver.value(raw_props, logical)
        spec = from_create_table(props, logical, result.warnings)
        result.tables.append(spec)
        if stage is not None:
            result.patterns[logical] = stage[0]
            result.env = str(parameters[stage[1]])
    if not result.tables:
        raise SourceFormatError(f"{source}: no AWS::DynamoDB::Table resource found")
    return result


_SLS_VAR = re.compile(r"\$\{(self|opt|sls|env):([^,}]+)(?:,\s*([^}]+))?\}")


def import_serverless(text: str, params: Mapping[str, str], source: str) -> Imported:
    """serverless.yml: `resources.Resources` are CloudFormation; ${self:…}, ${opt:stage, 'dev'},
    ${sls:stage} are resolved from the file, --param, or their fallbacks."""
    try:
        document = yaml.load(text, Loader=_CfnLoader)
    except yaml.YAMLError as exc:
        raise SourceFormatError(f"{source}: not YAML ({exc})") from exc
    stage = params.get("stage") or str((document.get("provider") or {}).get("stage") or "dev")
    unresolved: list[str] = []

    def lookup(kind: str, path: str, fallback: str | None) -> str:
        path = path.strip()
        if kind == "self":
            node: Any = document
            for part in path.split("."):
                node = node.get(part) if isinstance(node, dict) else None
            if node is not None:
                return resolve_text(str(node))
        elif kind in {"opt", "sls"} and path in {"stage"}:
            return stage
        elif path in params:
            return params[path]
        if fallback is not None:
            return resolve_text(fallback.strip().strip("'\""))
        unresolved.append(f"${{{kind}:{path}}}")
        return f"{kind}-{path}"

    def resolve_text(value: str) -> str:
        for _ in range(10):
            new = _SLS_VAR.sub(lambda m: lookup(m.group(1), m.group(2), m.group(3)), value)
            if new == value:
                break
            value = new
        return value

    def walk(node: Any) -> Any:
        if isinstance(node, str):
            return resolve_text(node)
        if isinstance(node, list):
            return [walk(v) for v in node]
        if isinstance(node, dict):
            return {k: walk(v) for k, v in node.items()}
        return node

    resources = walk(document.get("resources") or {})
    template = {"Resources": resources.get("Resources", {}) if isinstance(resources, dict) else {}}
    result = import_cloudformation(json.dumps(template), params, source)
    result.warnings += [f"{source}: {v} could not be resolved" for v in sorted(set(unresolved))]
    result.env = stage
    return result


# --- Terraform --------------------------------------------------------------------------


def _unquote(value: Any) -> Any:
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    if isinstance(value, list):
        return [_unquote(v) for v in value]
    if isinstance(value, dict):
        return {_unquote(k): _unquote(v) for k, v in value.items() if k != "__is_block__"}
    return value


def import_terraform(text: str, params: Mapping[str, str], source: str) -> Imported:
    import hcl2

    result = Imported()
    try:
        document = _unquote(hcl2.loads(text))
    except Exception as exc:  # the parser raises lark errors of several kinds
        raise SourceFormatError(f"{source}: not valid HCL ({exc})") from exc
    variables = {
        name: body.get("default")
        for block in document.get("variable", [])
        for name, body in block.items()
    }
    variables.update(params)
    # `terraform.workspace` is Terraform's own stage: "default" unless --param workspace=…
    variables["terraform.workspace"] = params.get("workspace", "default")
    stage_var = next((v for v in variables if v.lower() in STAGE_NAMES), None)

    def resolve(value: Any, where: str) -> Any:
        if isinstance(value, list):
            return [resolve(v, where) for v in value]
        if not isinstance(value, str):
            return value

        def var(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in variables or variables[name] is None:
                raise SourceFormatError(
                    f"{where}: var.{name} has no default and no --param",
                    hint=f"pass --param {name}=VALUE",
                )
            return str(variables[name])

        resolved = re.sub(
            r"\$\{terraform\.workspace\}", lambda m: str(variables["terraform.workspace"]), value
        )
        resolved = re.sub(r"\$\{var\.([A-Za-z0-9_]+)\}", var, resolved)
        bare = re.fullmatch(r"var\.([A-Za-z0-9_]+)", resolved)
        return var(bare) if bare else resolved

    for block in document.get("resource", []):
        for logical, body in block.get("aws_dynamodb_table", {}).items():
            spec = _terraform_table(logical, body, resolve, result.warnings)
            result.tables.append(spec)
            name = body.get("name", "")
            stages = [f"${{var.{stage_var}}}"] if stage_var else []
            stages.append("${terraform.workspace}")
            for marker in stages:
                rest = name.replace(marker, "") if isinstance(name, str) else "${"
                if isinstance(name, str) and marker in name and "${" not in rest:
                    result.patterns[logical] = name.replace(marker, "{env}")
                    result.env = str(variables.get(marker[6:-1], variables["terraform.workspace"]))
                    break
    if not result.tables:
        raise SourceFormatError(f"{source}: no aws_dynamodb_table resource found")
    return result


TERRAFORM_KNOWN = {
    "name",
    "billing_mode",
    "hash_key",
    "range_key",
    "read_capacity",
    "write_capacity",
    "attribute",
    "global_secondary_index",
    "local_secondary_index",
    "ttl",
    "point_in_time_recovery",
    "server_side_encryption",
    "stream_enabled",
    "stream_view_type",
    "deletion_protection_enabled",
    "table_class",
    "tags",
    "lifecycle",
    "tags_all",
}


def _terraform_table(
    logical: str, body: dict[str, Any], resolve: Any, warnings: list[str]
) -> TableSpec:
    where = f"aws_dynamodb_table.{logical}"
    for key in sorted(set(body) - TERRAFORM_KNOWN):
        warnings.append(f"{where}: {key} is not supported and was left out")

    def first(name: str) -> dict[str, Any]:
        blocks = body.get(name) or [{}]
        return dict(blocks[0]) if isinstance(blocks, list) else dict(blocks)

    def keys(hash_key: Any, range_key: Any) -> list[dict[str, str]]:
        schema = [{"AttributeName": resolve(hash_key, where), "KeyType": "HASH"}]
        if range_key:
            schema.append({"AttributeName": resolve(range_key, where), "KeyType": "RANGE"})
        return schema

    def projection(index: dict[str, Any]) -> dict[str, Any]:
        kind = index.get("projection_type", "ALL")
        result: dict[str, Any] = {"ProjectionType": kind}
        if kind == "INCLUDE":
            result["NonKeyAttributes"] = index.get("non_key_attributes", [])
        return result

    billing = resolve(body.get("billing_mode", "PROVISIONED"), where)
    params: dict[str, Any] = {
        "TableName": resolve(body.get("name", logical), where),
        "AttributeDefinitions": [
            {"AttributeName": a["name"], "AttributeType": a["type"]}
            for a in body.get("attribute", [])
        ],
        "KeySchema": keys(body.get("hash_key"), body.get("range_key")),
        "BillingMode": billing,
        "GlobalSecondaryIndexes": [
            {
                "IndexName": g["name"],
                "KeySchema": keys(g.get("hash_key"), g.get("range_key")),
                "Projection": projection(g),
            }
            | (
                {
                    "ProvisionedThroughput": {
                        "ReadCapacityUnits": g.get("read_capacity", 1),
                        "WriteCapacityUnits": g.get("write_capacity", 1),
                    }
                }
                if billing == "PROVISIONED"
                else {}
            )
            for g in body.get("global_secondary_index", [])
        ],
        "LocalSecondaryIndexes": [
            {
                "IndexName": i["name"],
                "KeySchema": keys(body.get("hash_key"), i.get("range_key")),
                "Projection": projection(i),
            }
            for i in body.get("local_secondary_index", [])
        ],
    }
    if billing == "PROVISIONED":
        params["ProvisionedThroughput"] = {
            "ReadCapacityUnits": body.get("read_capacity", 1),
            "WriteCapacityUnits": body.get("write_capacity", 1),
        }
    ttl = first("ttl")
    if ttl:
        params["TimeToLiveSpecification"] = {
            "AttributeName": ttl.get("attribute_name"),
            "Enabled": ttl.get("enabled", False),
        }
    pitr = first("point_in_time_recovery")
    if pitr:
        params["PointInTimeRecoverySpecification"] = {
            "PointInTimeRecoveryEnabled": pitr.get("enabled", False)
        }
    sse = first("server_side_encryption")
    if sse:
        params["SSESpecification"] = {
            "SSEEnabled": sse.get("enabled", False),
            **({"KMSMasterKeyId": sse["kms_key_arn"]} if sse.get("kms_key_arn") else {}),
        }
    if _bool(body.get("stream_enabled", False)):
        params["StreamSpecification"] = {"StreamViewType": body.get("stream_view_type")}
    if "deletion_protection_enabled" in body:
        params["DeletionProtectionEnabled"] = body["deletion_protection_enabled"]
    if "table_class" in body:
        params["TableClass"] = body["table_class"]
    tags = body.get("tags") or {}
    if isinstance(tags, dict):
        params["Tags"] = [{"Key": k, "Value": str(resolve(v, where))} for k, v in tags.items()]
    return from_create_table(params, logical, warnings)


# --- NoSQL Workbench, AWS CLI JSON ------------------------------------------------------


def _json(text: str, source: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise SourceFormatError(f"{source}: not JSON ({exc})") from exc


def _workbench_keys(keys: Mapping[str, Any]) -> list[dict[str, str]]:
    """Workbench's {PartitionKey: {...}, SortKey: {...}} as a KeySchema."""
    schema = [{"AttributeName": keys["PartitionKey"]["AttributeName"], "KeyType": "HASH"}]
    if keys.get("SortKey"):
        schema.append({"AttributeName": keys["SortKey"]["AttributeName"], "KeyType": "RANGE"})
    return schema


def import_workbench(text: str, source: str) -> Imported:
    result = Imported()
    model = _json(text, source)
    for entry in model.get("DataModel", []):
        name = entry.get("TableName")
        attributes = {
            a["AttributeName"]: a["AttributeType"]
            for a in entry.get("KeyAttributes", {}).values()
            if isinstance(a, dict)
        }
        for extra in entry.get("NonKeyAttributes", []):
            attributes.setdefault(extra["AttributeName"], extra["AttributeType"])
        params: dict[str, Any] = {
            "TableName": name,
            "KeySchema": _workbench_keys(entry.get("KeyAttributes", {})),
            "BillingMode": entry.get("BillingMode", "PAY_PER_REQUEST"),
        }
        if params["BillingMode"] == "PROVISIONED":
            params["ProvisionedThroughput"] = entry.get("ProvisionedCapacitySettings", {}).get(
                "ProvisionedThroughput", {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
            )
        gsis = []
        for gsi in entry.get("GlobalSecondaryIndexes", []):
            gkeys = gsi.get("KeyAttributes", {})
            gsis.append(
                {
                    "IndexName": gsi["IndexName"],
                    "KeySchema": _workbench_keys(gkeys),
                    "Projection": gsi.get("Projection", {"ProjectionType": "ALL"}),
                }
            )
            for part in ("PartitionKey", "SortKey"):
                if gkeys.get(part):
                    attributes.setdefault(
                        gkeys[part]["AttributeName"], gkeys[part].get("AttributeType", "S")
                    )
        params["GlobalSecondaryIndexes"] = gsis
        used = {k["AttributeName"] for k in params["KeySchema"]} | {
            k["AttributeName"] for g in gsis for k in g["KeySchema"]
        }
        params["AttributeDefinitions"] = [
            {"AttributeName": n, "AttributeType": t} for n, t in attributes.items() if n in used
        ]
        result.tables.append(from_create_table(params, name, result.warnings))
        items = list(entry.get("TableData", []))
        for facet in entry.get("TableFacets", []):
            items.extend(facet.get("TableData", []))
        if items:
            result.seed_items[name] = items
    if not result.tables:
        raise SourceFormatError(f"{source}: no DataModel tables found")
    return result


def import_aws_json(text: str, source: str) -> Imported:
    """`create-table --cli-input-json` input, or saved `describe-table` output."""
    result = Imported()
    data = _json(text, source)
    if isinstance(data, dict) and "Table" in data:  # describe-table output
        table = data["Table"]
        spec = normalize(table).spec
        result.tables.append(spec.model_copy(update={"logical_name": table["TableName"]}))
        result.warnings.append(
            f"{source}: describe-table output carries no TTL, PITR or tags; "
            "add them to the project if the table uses them"
        )
        return result
    if isinstance(data, dict) and "KeySchema" in data:
        name = str(data.get("TableName") or source)
        result.tables.append(from_create_table(data, name, result.warnings))
        return result
    raise SourceFormatError(f"{source}: neither create-table input nor describe-table output")


def detect(text: str, filename: str) -> str:
    lowered = filename.lower()
    if lowered.endswith(".tf"):
        return "terraform"
    if "serverless" in lowered:
        return "serverless"
    if '"DataModel"' in text and '"ModelName"' in text:
        return "workbench"
    if "AWS::DynamoDB::" in text:
        return "cloudformation"
    stripped = text.lstrip()
    if stripped.startswith("{") and '"Table"' in text and '"TableStatus"' in text:
        return "describe-table-json"
    if stripped.startswith("{") and '"KeySchema"' in text:
        return "create-table-json"
    if "resource" in text and "aws_dynamodb_table" in text:
        return "terraform"
    raise SourceFormatError(
        f"{filename}: cannot tell its format", hint="pass --from " + "|".join(FORMATS)
    )


def import_text(text: str, filename: str, fmt: str, params: Mapping[str, str]) -> Imported:
    kind = detect(text, filename) if fmt == "auto" else fmt
    if kind == "cloudformation":
        return import_cloudformation(text, params, filename)
    if kind == "serverless":
        return import_serverless(text, params, filename)
    if kind == "terraform":
        return import_terraform(text, params, filename)
    if kind == "workbench":
        return import_workbench(text, filename)
    if kind in {"create-table-json", "describe-table-json"}:
        return import_aws_json(text, filename)
    raise SourceFormatError(f"unknown format {fmt!r}", hint="use auto or " + ", ".join(FORMATS))
