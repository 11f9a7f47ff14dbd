"""Live tables written out for people and other tools: a Markdown summary and a
CloudFormation template (pure)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from dynaform.core.capabilities import AWS
from dynaform.core.exporters import table_to_raw
from dynaform.core.importers.common import with_variables
from dynaform.core.live import LiveTable
from dynaform.core.model import TableSpec
from dynaform.core.operations import create_steps
from dynaform.core.ownership import ENV_TAG, OWNER_TAG
from dynaform.core.text import billing_text
from dynaform.errors import DynaformError


def summary_markdown(tables: list[LiveTable], source: str) -> str:
    lines = [
        f"# Table summary — {source}",
        "",
        "| table | keys | indexes | billing | TTL | PITR | stream | items | size (bytes) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for table in tables:
        spec = table.spec
        keys = spec.partition_key.name + (f" / {spec.sort_key.name}" if spec.sort_key else "")
        indexes = ", ".join([g.name for g in spec.gsis] + [f"{i.name} (local)" for i in spec.lsis])
        items = "?" if table.item_count is None else table.item_count
        size = "?" if table.size_bytes is None else table.size_bytes
        cells = [
            spec.name,
            keys,
            indexes or "-",
            billing_text(spec.billing),
            spec.ttl or "-",
            "on" if spec.pitr else "off",
            (spec.stream or "off").lower(),
            items,
            size,
        ]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def cloudformation(specs: list[TableSpec]) -> dict[str, Any]:
    """A CloudFormation template with one AWS::DynamoDB::Table per spec."""
    resources: dict[str, Any] = {}
    for spec in specs:
        params = create_steps(spec, AWS)[0].params
        props: dict[str, Any] = {
            k: v for k, v in params.items() if k not in {"SSESpecification", "StreamSpecification"}
        }
        if spec.stream:
            props["StreamSpecification"] = {"StreamViewType": spec.stream}
        if spec.sse.kind != "aws_owned":
            props["SSESpecification"] = {"SSEEnabled": True, "SSEType": "KMS"} | (
                {"KMSMasterKeyId": spec.sse.kms_key} if spec.sse.kms_key else {}
            )
        if spec.ttl:
            props["TimeToLiveSpecification"] = {"AttributeName": spec.ttl, "Enabled": True}
        if spec.pitr:
            props["PointInTimeRecoverySpecification"] = {"PointInTimeRecoveryEnabled": True}
        logical = (
            "".join(
                part.capitalize()
                for part in spec.name.replace(".", "-").replace("_", "-").split("-")
            )
            or "Table"
        )
        resources[logical] = {
            "Type": "AWS::DynamoDB::Table",
            "DeletionPolicy": "Retain",
            "Properties": props,
        }
    return {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}


def exported_specs(found: list[LiveTable]) -> tuple[str, list[TableSpec]]:
    """The environment name to declare (the tables' shared environment tag, else "live") and
    the tables as a project declares them: physical names kept, dynaform's own tags dropped."""
    env_tags = Counter(t.spec.tags.get(ENV_TAG) for t in found)
    only = next(iter(env_tags)) if len(env_tags) == 1 else None
    env_name: str = only if only else "live"
    specs = [
        t.spec.model_copy(
            update={
                "logical_name": t.spec.name,
                "tags": {
                    k: v
                    for k, v in t.spec.tags.items()
                    if not (k == ENV_TAG and v == env_name) and k != OWNER_TAG
                },
            }
        )
        for t in found
    ]
    return env_name, specs


def logical_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "-", text)


def escaped(value: Any) -> Any:
    """Text ``${…}`` from a foreign file stays text in the project file (``$${…}``)."""
    if isinstance(value, str):
        return value.replace("${", "$${")
    if isinstance(value, list):
        return [escaped(v) for v in value]
    if isinstance(value, dict):
        return {k: escaped(v) for k, v in value.items()}
    return value


@dataclass
class ImportedProject:
    """What ``dynaform import`` writes: tables, seed items per table, warnings."""

    tables: dict[str, Any] = field(default_factory=dict)
    seeds: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)  # env -> tables

    def add(self, result: Any, source: str) -> None:
        """One importer result (``core.importers.ImportResult``)."""
        self.warnings += result.warnings
        self.variables.update(result.variables)
        for env, tables in result.overrides.items():
            self.overrides.setdefault(env, {}).update(
                {logical_name(k): with_variables(v, False) for k, v in tables.items()}
            )
        self.seeds.update(result.seed_items)
        for spec in result.tables:
            logical = logical_name(spec.logical_name) or spec.name
            raw = with_variables(escaped(table_to_raw(spec)), in_name=False)
            pattern = result.patterns.get(spec.logical_name)
            raw["physical_name"] = with_variables(pattern or spec.name, in_name=True)
            if logical in self.tables:
                raise DynaformError(
                    f"two tables are named {logical!r} ({source})",
                    hint="import the files into separate projects",
                )
            self.tables[logical] = raw

    def seed_documents(self) -> dict[str, dict[str, Any]]:
        """seeds/<table>.yaml -> its content."""
        return {
            f"seeds/{table}.yaml": {
                "table": logical_name(table),
                "format": "dynamodb",
                "items": items,
            }
            for table, items in self.seeds.items()
        }

    def project(self, name: str, env_name: str) -> dict[str, Any]:
        environment: dict[str, Any] = {"target": "local"}
        if self.seeds:
            environment["seeds"] = list(self.seed_documents())
        environments = {env_name: environment}
        for env, tables in self.overrides.items():
            if env == env_name and tables:
                environment["tables"] = tables
            elif env != env_name:
                environments[env] = {"target": "local"} | ({"tables": tables} if tables else {})
        project: dict[str, Any] = {"project": name, "naming": "{table}"}
        if self.variables:
            project["vars"] = dict(self.variables)
        return project | {
            "default_env": env_name,
            "environments": environments,
            "tables": self.tables,
        }
