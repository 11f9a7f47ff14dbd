"""The entity layer's errors: one hierarchy under DynaformError."""

from __future__ import annotations

from typing import Any

from dynaform.errors import DynaformError


class EntityError(DynaformError):
    pass


class NotFound(EntityError):  # noqa: N818 - the name users expect
    pass


class AlreadyExists(EntityError):  # noqa: N818
    pass


class ConflictError(EntityError):
    """A write expected one version and found another (optimistic locking)."""

    def __init__(self, message: str, current_version: int | None, current: Any = None) -> None:
        super().__init__(message, hint="read the item again and retry with its version")
        self.current_version = current_version
        self.current = current


class InvalidCursor(EntityError):  # noqa: N818
    default_hint = "start the listing again without a cursor"


class TableMissing(EntityError):  # noqa: N818
    default_hint = "create it with `dynaform apply`"


class EntityValidationError(EntityError):
    """An item or argument that does not fit its entity; names the field."""


class TransactionFailed(EntityError):  # noqa: N818
    """A transaction was cancelled; ``reasons`` says which operation failed and why."""

    def __init__(self, message: str, reasons: list[tuple[int, str, str, str]]) -> None:
        super().__init__(message, hint="nothing in the transaction was written")
        self.reasons = reasons  # (operation index, what it was, code, message)
