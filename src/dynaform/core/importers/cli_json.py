"""AWS CLI JSON: ``aws dynamodb create-table --cli-input-json`` input, or saved
``describe-table`` output."""

from __future__ import annotations

from dynaform.core.importers.common import Imported, Place, SourceFormatError, read_document
from dynaform.core.importers.create_table import from_create_table, from_describe_table


def import_aws_json(text: str | bytes, source: str) -> Imported:
    doc = read_document(text, source)
    root = Place(doc)
    data = doc.data
    result = Imported()
    if isinstance(data, dict) and "Table" in data:  # describe-table output
        result.tables.append(from_describe_table(data["Table"], root.at("Table")))
        result.warnings.append(
            f"{source}: describe-table output carries no TTL, PITR or tags; "
            "add them to the project if the table uses them"
        )
        return result
    if isinstance(data, dict) and "KeySchema" in data:
        name = str(data.get("TableName") or source)
        result.tables.append(from_create_table(data, name, result.warnings, root))
        return result
    raise SourceFormatError(f"{source}: neither create-table input nor describe-table output")
