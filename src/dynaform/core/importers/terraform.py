"""Terraform ``aws_dynamodb_table`` resources (HCL, read by python-hcl2). ``var.x`` and
``${var.x}`` come from variable defaults or ``--param``; ``terraform.workspace`` is Terraform's
own stage ("default" unless ``--param workspace=…``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dynaform.core.importers.common import (
    STAGE_NAMES,
    Imported,
    Place,
    SourceFormatError,
    placeholder,
    to_bool,
)
from dynaform.core.importers.create_table import from_create_table
from dynaform.core.importers.shapes import (
    ATTRIBUTE_TYPE,
    BILLING_MODE,
    FLAG,
    MAPPING,
    NUMBER,
    STREAM_VIEW,
    TABLE_CLASS,
    TEXT,
    Fields,
    ListOf,
    OneOf,
    Shape,
)
from dynaform.core.model import TableSpec
from dynaform.core.source import MAX_DEPTH, Located, decode, too_deep_at

RESOURCE = "aws_dynamodb_table"
_PROJECTION = OneOf(("ALL", "KEYS_ONLY", "INCLUDE"))


def _blocks(item: Shape = MAPPING) -> ListOf:
    return ListOf(item, what="a block")


TERRAFORM_TABLE = Fields(
    {
        "name": TEXT,
        "billing_mode": BILLING_MODE,
        "hash_key": TEXT,
        "range_key": TEXT,
        "read_capacity": NUMBER,
        "write_capacity": NUMBER,
        "attribute": _blocks(
            Fields({"name": TEXT, "type": ATTRIBUTE_TYPE}, required=("name", "type"))
        ),
        "global_secondary_index": _blocks(
            Fields(
                {
                    "name": TEXT,
                    "hash_key": TEXT,
                    "range_key": TEXT,
                    "projection_type": _PROJECTION,
                    "non_key_attributes": ListOf(TEXT),
                    "read_capacity": NUMBER,
                    "write_capacity": NUMBER,
                },
                required=("name", "hash_key"),
            )
        ),
        "local_secondary_index": _blocks(
            Fields(
                {
                    "name": TEXT,
                    "range_key": TEXT,
                    "projection_type": _PROJECTION,
                    "non_key_attributes": ListOf(TEXT),
                },
                required=("name", "range_key"),
            )
        ),
        "ttl": _blocks(Fields({"attribute_name": TEXT, "enabled": FLAG})),
        "point_in_time_recovery": _blocks(Fields({"enabled": FLAG})),
        "server_side_encryption": _blocks(Fields({"enabled": FLAG, "kms_key_arn": TEXT})),
        "stream_enabled": FLAG,
        "stream_view_type": STREAM_VIEW,
        "deletion_protection_enabled": FLAG,
        "table_class": TABLE_CLASS,
        "tags": MAPPING,
    },
    required=("hash_key",),
)
TERRAFORM_KNOWN = {*TERRAFORM_TABLE.fields, "lifecycle", "tags_all"}
_RESOLVED = set(TERRAFORM_TABLE.fields)  # variables are resolved in these only


def _unquote(value: Any) -> Any:
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    if isinstance(value, list):
        return [_unquote(v) for v in value]
    if isinstance(value, dict):
        return {_unquote(k): _unquote(v) for k, v in value.items() if k != "__is_block__"}
    return value


def _parse(text: str | bytes, source: str) -> Any:
    import hcl2  # only `dynaform import` of a .tf file pays for the parser

    content = decode(Path(source), text) if isinstance(text, bytes) else text
    deep_at = too_deep_at(content)
    if deep_at is not None:
        line = content.count("\n", 0, deep_at) + 1
        raise SourceFormatError(f"{source}:{line}: nested more than {MAX_DEPTH} levels deep")
    try:
        return _unquote(hcl2.loads(content))
    except RecursionError:
        raise SourceFormatError(f"{source}: nested more than {MAX_DEPTH} levels deep") from None
    except Exception as exc:  # the parser raises lark errors of several kinds
        raise SourceFormatError(_hcl_error(source, exc)) from exc


def _hcl_error(source: str, exc: Exception) -> str:
    """One sentence with the file and line, not the parser's multi-line list of tokens."""
    line, column = getattr(exc, "line", None), getattr(exc, "column", None)
    where = f"{source}:{line}" if isinstance(line, int) and line > 0 else source
    token = getattr(exc, "token", None)
    found = (
        f"unexpected {str(token).strip()!r}"
        if token is not None and str(token).strip()
        else ("unexpected end of text" if token is not None else str(exc).splitlines()[0])
    )
    at = f" at column {column}" if isinstance(column, int) and column > 0 else ""
    return f"{where}: not valid HCL: {found}{at}"


def _header_lines(text: str) -> dict[tuple[str | int, ...], int]:
    """The line of each ``resource "aws_dynamodb_table" "name"`` (hcl2 gives no lines)."""
    header = re.compile(rf'^\s*resource\s+"{RESOURCE}"\s+"([^"]+)"', re.MULTILINE)
    return {
        (RESOURCE, match.group(1)): text.count("\n", 0, match.start()) + 1
        for match in header.finditer(text)
    }


_REFERENCE = re.compile(r"\$\{(var|local)\.([A-Za-z0-9_]+)\}")
_EXPRESSION = re.compile(r"\$\{([^}]*)\}")


class _Variables:
    """``var.x`` (default or --param), ``local.x`` (evaluated: locals are expressions over
    variables and other locals) and ``terraform.workspace``; a variable without a value, or an
    expression that cannot be evaluated, stands as a placeholder that becomes ``{env}`` or a
    project variable."""

    def __init__(self, document: Mapping[str, Any], root: Place, params: Mapping[str, str]) -> None:
        self.values: dict[str, Any] = {}
        self.locals: dict[str, Any] = {}
        self.unresolved: set[str] = set()
        self.expressions: dict[str, str] = {}  # expression -> its variable's name
        self._evaluating: set[str] = set()
        _blocks().check(document.get("variable", []), root.at("variable"))
        for block in document.get("variable", []):
            for name, body in block.items():
                MAPPING.check(body, root.at("variable", name))
                self.values[name] = body.get("default")
        _blocks().check(document.get("locals", []), root.at("locals"))
        for block in document.get("locals", []):
            self.locals.update(block)
        self.values.update(params)
        self.values["terraform.workspace"] = params.get("workspace", "default")
        self.stage = next((v for v in self.values if v.lower() in STAGE_NAMES), None)

    def _reference(self, kind: str, name: str, place: Place) -> Any:
        if kind == "var":
            if self.values.get(name) is None:
                self.unresolved.add(name)
                return placeholder(name)
            return self.values[name]
        if name not in self.locals or name in self._evaluating:
            return self._expression(f"local.{name}")
        self._evaluating.add(name)
        try:
            return self.resolve(self.locals[name], place)
        finally:
            self._evaluating.discard(name)

    def _expression(self, text: str) -> str:
        """An expression dynaform cannot evaluate: a project variable of its own."""
        name = self.expressions.setdefault(
            text, re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")[:40] or "expression"
        )
        self.unresolved.add(name)
        return placeholder(name)

    def resolve(self, value: Any, place: Place) -> Any:
        if isinstance(value, list):
            items: list[Any] = []
            for i, v in enumerate(value):
                item = self.resolve(v, place.at(i))
                # Terraform 0.11 wrote a list as ["${local.list}"]
                single = isinstance(v, str) and _REFERENCE.fullmatch(v)
                items += item if single and isinstance(item, list) else [item]
            return items
        if isinstance(value, dict):
            return {k: self.resolve(v, place.at(k)) for k, v in value.items()}
        if not isinstance(value, str):
            return value
        whole = _REFERENCE.fullmatch(value) or re.fullmatch(r"(var|local)\.([A-Za-z0-9_]+)", value)
        if whole:
            return self._reference(whole.group(1), whole.group(2), place)
        workspace = str(self.values["terraform.workspace"])
        resolved = value.replace("${terraform.workspace}", workspace)
        resolved = _REFERENCE.sub(
            lambda m: str(self._reference(m.group(1), m.group(2), place)), resolved
        )
        return _EXPRESSION.sub(lambda m: self._expression(m.group(1)), resolved)

    def env_pattern(self, name: Any) -> tuple[str, str] | None:
        """A name like "orders-${var.stage}" -> ("orders-{env}", the stage's value)."""
        if not isinstance(name, str):
            return None
        markers = [f"${{var.{self.stage}}}"] if self.stage else []
        for marker in [*markers, "${terraform.workspace}"]:
            if marker in name and "${" not in name.replace(marker, ""):
                key = marker[6:-1] if marker.startswith("${var.") else "terraform.workspace"
                return name.replace(marker, "{env}"), str(self.values.get(key))
        return None


def _tables(document: Mapping[str, Any], root: Place) -> list[tuple[str, Any, Place]]:
    _blocks().check(document.get("resource", []), root.at("resource"))
    found = []
    for block in document.get("resource", []):
        tables = block.get(RESOURCE)
        if tables is None:
            continue
        MAPPING.check(tables, root.at(RESOURCE))
        found += [(name, body, root.at(RESOURCE, name)) for name, body in tables.items()]
    return found


def import_terraform(text: str | bytes, params: Mapping[str, str], source: str) -> Imported:
    document = _parse(text, source)
    content = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    root = Place(Located(Path(source), document, {(): 0, **_header_lines(content)}))
    MAPPING.check(document, root)
    variables = _Variables(document, root, params)
    result = Imported()
    for logical, body, place in _tables(document, root):
        MAPPING.check(body, place)
        _refuse_dynamic(body, place)
        result.tables.append(_table(logical, body, place, variables, result.warnings))
        pattern = variables.env_pattern(body.get("name"))
        if pattern is not None:
            result.patterns[logical], result.env = pattern
    if not result.tables:
        raise SourceFormatError(f"{source}: no {RESOURCE} resource found")
    expressions = {name: text for text, name in variables.expressions.items()}
    for name in sorted(variables.unresolved):
        what = f"`${{{expressions[name]}}}`" if name in expressions else f"var.{name}"
        result.unresolved(name, name, f"{source}: {what}")
    return result


def _refuse_dynamic(body: Mapping[str, Any], place: Place) -> None:
    """A module whose blocks are ``dynamic`` (over variables) cannot be read from its source."""
    dynamic = body.get("dynamic")
    if not dynamic:
        return
    kinds = sorted({str(k) for block in dynamic if isinstance(block, dict) for k in block})
    literal = sorted(k for k in body if k != "dynamic" and "${" not in str(body[k]))
    raise place.error(
        f"its {', '.join(kinds) or ''} blocks are `dynamic` over variables, which "
        f"only a plan with values can expand; readable here: {', '.join(literal) or 'nothing'}",
        hint="import the table from `terraform show -json`, a live table (dynaform export) or "
        "write it in dynaform.yaml",
    )


def _table(
    logical: str, body: dict[str, Any], place: Place, variables: _Variables, warnings: list[str]
) -> TableSpec:
    for key in sorted(set(body) - TERRAFORM_KNOWN):
        warnings.append(f"{RESOURCE}.{logical}: {key} is not supported and was left out")
    tags = body.get("tags")
    if isinstance(tags, str) and "${" in tags:  # a function call (``merge(…)``, ``map(…)``)
        warnings.append(f"{RESOURCE}.{logical}: tags {body['tags']} is not evaluated; left out")
        body = {k: v for k, v in body.items() if k != "tags"}
    resolved = {
        k: variables.resolve(v, place.at(k)) if k in _RESOLVED else v for k, v in body.items()
    }
    TERRAFORM_TABLE.check(resolved, place)
    return from_create_table(_create_table(logical, resolved), logical, warnings, place)


def _first(body: Mapping[str, Any], name: str) -> dict[str, Any]:
    blocks = body.get(name) or [{}]
    return dict(blocks[0])


def _keys(hash_key: Any, range_key: Any) -> list[dict[str, str]]:
    schema = [{"AttributeName": hash_key, "KeyType": "HASH"}]
    if range_key:
        schema.append({"AttributeName": range_key, "KeyType": "RANGE"})
    return schema


def _projection(index: Mapping[str, Any]) -> dict[str, Any]:
    kind = index.get("projection_type", "ALL")
    result: dict[str, Any] = {"ProjectionType": kind}
    if kind == "INCLUDE":
        result["NonKeyAttributes"] = index.get("non_key_attributes", [])
    return result


def _capacity(block: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "ReadCapacityUnits": block.get("read_capacity", 1),
        "WriteCapacityUnits": block.get("write_capacity", 1),
    }


def _indexes(body: Mapping[str, Any], provisioned: bool) -> dict[str, Any]:
    gsis = [
        {
            "IndexName": g["name"],
            "KeySchema": _keys(g["hash_key"], g.get("range_key")),
            "Projection": _projection(g),
        }
        | ({"ProvisionedThroughput": _capacity(g)} if provisioned else {})
        for g in body.get("global_secondary_index", [])
    ]
    lsis = [
        {
            "IndexName": i["name"],
            "KeySchema": _keys(body["hash_key"], i["range_key"]),
            "Projection": _projection(i),
        }
        for i in body.get("local_secondary_index", [])
    ]
    return {"GlobalSecondaryIndexes": gsis, "LocalSecondaryIndexes": lsis}


def _create_table(logical: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """A checked, resolved ``aws_dynamodb_table`` body as a CreateTable request."""
    billing = body.get("billing_mode", "PROVISIONED")
    params: dict[str, Any] = {
        "TableName": body.get("name", logical),
        "AttributeDefinitions": [
            {"AttributeName": a["name"], "AttributeType": a["type"]}
            for a in body.get("attribute", [])
        ],
        "KeySchema": _keys(body["hash_key"], body.get("range_key")),
        "BillingMode": billing,
        **_indexes(body, billing == "PROVISIONED"),
    }
    if billing == "PROVISIONED":
        params["ProvisionedThroughput"] = _capacity(body)
    params |= _settings(body)
    tags = body.get("tags") or {}
    params["Tags"] = [{"Key": k, "Value": str(v)} for k, v in tags.items()]
    return params


def _settings(body: Mapping[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    ttl = _first(body, "ttl")
    if ttl:
        params["TimeToLiveSpecification"] = {
            "AttributeName": ttl.get("attribute_name"),
            "Enabled": ttl.get("enabled", False),
        }
    pitr = _first(body, "point_in_time_recovery")
    if pitr:
        params["PointInTimeRecoverySpecification"] = {
            "PointInTimeRecoveryEnabled": pitr.get("enabled", False)
        }
    sse = _first(body, "server_side_encryption")
    if sse:
        params["SSESpecification"] = {
            "SSEEnabled": sse.get("enabled", False),
            **({"KMSMasterKeyId": sse["kms_key_arn"]} if sse.get("kms_key_arn") else {}),
        }
    if to_bool(body.get("stream_enabled", False)):
        params["StreamSpecification"] = {"StreamViewType": body.get("stream_view_type")}
    if "deletion_protection_enabled" in body:
        params["DeletionProtectionEnabled"] = body["deletion_protection_enabled"]
    if "table_class" in body:
        params["TableClass"] = body["table_class"]
    return params
