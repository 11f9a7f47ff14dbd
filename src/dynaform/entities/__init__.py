"""The typed data layer: pydantic entities bound to tables by key templates.

See docs/entities.md for a walk-through of a single-table design.
"""

from dynaform.entities.errors import (
    AlreadyExists,
    ConflictError,
    EntityError,
    EntityValidationError,
    InvalidCursor,
    NotFound,
    TableMissing,
    TransactionFailed,
)
from dynaform.entities.expressions import (
    all_of,
    any_of,
    begins_with,
    between,
    compare,
    contains,
    exists,
    not_exists,
)
from dynaform.entities.model import Entity
from dynaform.entities.store import Page, Store, TxCheck, TxDelete, TxPut, TxUpdate

__all__ = [
    "AlreadyExists",
    "ConflictError",
    "Entity",
    "EntityError",
    "EntityValidationError",
    "InvalidCursor",
    "NotFound",
    "Page",
    "Store",
    "TableMissing",
    "TransactionFailed",
    "TxCheck",
    "TxDelete",
    "TxPut",
    "TxUpdate",
    "all_of",
    "any_of",
    "begins_with",
    "between",
    "compare",
    "contains",
    "exists",
    "not_exists",
]
