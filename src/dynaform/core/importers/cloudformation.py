"""CloudFormation and SAM templates (YAML with ``!Ref``/``!Sub``/``!GetAtt``/``!If`` short
forms, or JSON): each ``AWS::DynamoDB::Table`` and SAM ``AWS::Serverless::SimpleTable``
resource becomes a TableSpec."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from dynaform.core.importers.common import (
    STAGE_NAMES,
    Imported,
    Place,
    SourceFormatError,
    read_document,
)
from dynaform.core.importers.create_table import from_create_table
from dynaform.core.importers.foreach import expand_resources
from dynaform.core.importers.intrinsics import Resolver
from dynaform.core.importers.shapes import MAPPING, kind_of
from dynaform.core.importers.simple_table import SIMPLE_TABLE, table_properties
from dynaform.core.importers.stages import add_stage_overrides, stage_parameter
from dynaform.core.source import Located, Path_

TABLE = "AWS::DynamoDB::Table"
GLOBAL_TABLE = "AWS::DynamoDB::GlobalTable"


def import_cloudformation(
    text: str | bytes,
    params: Mapping[str, str],
    source: str,
    resources_key: tuple[str, ...] = ("Resources",),
) -> Imported:
    doc = read_document(text, source)
    base = resources_key[:-1]
    result = import_template(doc, params, base=base)
    if not result.tables:
        raise SourceFormatError(f"{source}: no {TABLE} or {SIMPLE_TABLE} resource found")
    template = doc.data if isinstance(doc.data, dict) else {}
    found = stage_parameter(template.get("Parameters"), params)
    if found is not None:
        stage, values = found
        current = result.env or str(template["Parameters"][stage].get("Default", values[0]))
        add_stage_overrides(
            result, stage, values, current, lambda v: import_template(doc, {**params, stage: v})
        )
    return result


def import_template(doc: Located, params: Mapping[str, str], base: Path_ = ()) -> Imported:
    """The tables of the template at ``base`` in ``doc`` (Serverless keeps one under
    ``resources``); places in errors are paths in ``doc``."""
    result = Imported()
    place = Place(doc, base)
    template: Any = doc.data
    for part in base:
        template = template[part]
    MAPPING.check(template, place)
    parameters, declared = _parameters(template.get("Parameters"), place.at("Parameters"))
    parameters.update(params)
    conditions = _optional_mapping(template.get("Conditions"), place.at("Conditions"))
    resolver = Resolver(
        parameters,
        conditions,
        str(params.get("AWS::StackName", "stack")),
        result.warnings,
        conditions_place=place.at("Conditions"),
        declared={k: v for k, v in declared.items() if k not in parameters},
    )
    resources = _optional_mapping(template.get("Resources"), place.at("Resources"))
    resources = expand_resources(resources, place.at("Resources"), resolver.value)
    for logical, resource in resources.items():
        _import_resource(str(logical), resource, place.at("Resources", logical), resolver, result)
    for name in sorted(resolver.unresolved):
        result.unresolved(name, name, str(place.at("Parameters", name)))
    return result


def _optional_mapping(value: Any, place: Place) -> dict[str, Any]:
    if value is None:
        return {}
    MAPPING.check(value, place)
    return dict(value)


def _parameters(declared: Any, place: Place) -> tuple[dict[str, Any], dict[str, str]]:
    """Each parameter's Default (``--param`` overrides them), and the Type of each one
    without a default."""
    parameters: dict[str, Any] = {}
    types: dict[str, str] = {}
    for name, body in _optional_mapping(declared, place).items():
        MAPPING.check(body, place.at(name))
        if "Default" in body:
            parameters[name] = body["Default"]
        else:
            types[name] = str(body.get("Type", "String"))
    return parameters, types


def _import_resource(
    logical: str, resource: Any, place: Place, resolver: Resolver, result: Imported
) -> None:
    MAPPING.check(resource, place)
    kind = resource.get("Type")
    if kind == GLOBAL_TABLE:
        result.warnings.append(f"{logical}: global tables (replicas) are not supported; left out")
        return
    if kind not in (TABLE, SIMPLE_TABLE):
        return
    condition = resource.get("Condition")
    if isinstance(condition, str) and not resolver.condition(condition, place):
        result.skipped.append(logical)
        result.warnings.append(f"{logical}: left out, its Condition {condition} is false here")
        return
    raw_props = resource.get("Properties")
    props_place = place.at("Properties")
    if raw_props is not None and not isinstance(raw_props, dict):
        raise props_place.error(f"expected a mapping, found {kind_of(raw_props)}")
    raw_props = raw_props or {}
    props = resolver.value(raw_props, props_place)
    if kind == SIMPLE_TABLE:
        props = table_properties(props, logical, props_place, result.warnings)
    result.tables.append(from_create_table(props, logical, result.warnings, props_place))
    stage = _stage_pattern(raw_props.get("TableName"), resolver.parameters)
    if stage is not None:
        result.patterns[logical] = stage[0]
        result.env = str(resolver.parameters[stage[1]])


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
