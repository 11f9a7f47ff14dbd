"""Foreign table definitions -> TableSpecs (pure: text and parameters in, specs and warnings
out).

Every format is first brought to the shape of a CreateTable request (CloudFormation's
``AWS::DynamoDB::Table`` properties nearly are one), then to a DescribeTable-shaped record that
``live.normalize`` turns into a TableSpec — the same path live tables take, so an import plans
exactly like the table it describes.

Formats, one module each: CloudFormation / SAM (``cloudformation``, ``intrinsics``),
Serverless Framework (``serverless``), Terraform ``aws_dynamodb_table`` blocks (``terraform``),
NoSQL Workbench models (``workbench``), ``create-table --cli-input-json`` files and saved
``describe-table`` output (``cli_json``). Every file is read with the limits of
``core.source`` and checked against declared shapes (``shapes``) before use, so broken input is
one ``SourceFormatError`` naming file, line and place. Anything not understood is reported as
a warning, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from dynaform.core.importers.cli_json import import_aws_json
from dynaform.core.importers.cloudformation import import_cloudformation
from dynaform.core.importers.common import STAGE_NAMES, Imported, SourceFormatError
from dynaform.core.importers.create_table import KNOWN_PROPERTIES, from_create_table
from dynaform.core.importers.intrinsics import Resolver
from dynaform.core.importers.serverless import import_serverless
from dynaform.core.importers.terraform import TERRAFORM_KNOWN, import_terraform
from dynaform.core.importers.workbench import import_workbench
from dynaform.core.source import SourceError, decode, read_bytes

__all__ = [
    "FORMATS",
    "KNOWN_PROPERTIES",
    "STAGE_NAMES",
    "TERRAFORM_KNOWN",
    "Imported",
    "Resolver",
    "SourceFormatError",
    "detect",
    "from_create_table",
    "import_aws_json",
    "import_cloudformation",
    "import_file",
    "import_serverless",
    "import_terraform",
    "import_text",
    "import_workbench",
]

FORMATS = (
    "cloudformation",
    "serverless",
    "terraform",
    "workbench",
    "create-table-json",
    "describe-table-json",
)


def detect(text: str, filename: str) -> str:
    lowered = filename.lower()
    if lowered.endswith(".tf"):
        return "terraform"
    if "serverless" in Path(lowered).name and "AWS::Serverless-2016-10-31" not in text:
        return "serverless"
    if '"DataModel"' in text and '"ModelName"' in text:
        return "workbench"
    if "AWS::DynamoDB::" in text or "AWS::Serverless::SimpleTable" in text:
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


def import_text(text: str | bytes, filename: str, fmt: str, params: Mapping[str, str]) -> Imported:
    """Import one file's content (bytes are decoded here, so a wrong encoding is an error
    naming the file and line)."""
    if isinstance(text, bytes):
        try:
            text = decode(Path(filename), text)
        except SourceError as exc:
            raise SourceFormatError(str(exc)) from None
    return _import_kind(text, filename, fmt, params).settle()


def _import_kind(text: str, filename: str, fmt: str, params: Mapping[str, str]) -> Imported:
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


def import_file(path: Path, fmt: str, params: Mapping[str, str]) -> Imported:
    """Read (bounded) and import one file; an unreadable file is a SourceFormatError."""
    try:
        raw = read_bytes(path)
    except SourceError as exc:
        raise SourceFormatError(str(exc)) from None
    return import_text(raw, str(path), fmt, params)
