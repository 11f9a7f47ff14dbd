"""The conditions writes share, each written once: optimistic locking, the key and index
attributes an update may not touch, the fields an index rewrite was computed from; and what a
failed condition means (NotFound, AlreadyExists, ConflictError)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from botocore.exceptions import ClientError

from dynaform.entities.errors import (
    AlreadyExists,
    ConflictError,
    EntityValidationError,
    NotFound,
)
from dynaform.entities.expressions import (
    Condition,
    Update,
    all_of,
    any_of,
    compare,
    exists,
    not_exists,
)
from dynaform.entities.model import DECODER, Binding, Entity, index_keys

CONDITION_FAILED = "ConditionalCheckFailedException"


def version_condition(b: Binding, expected: int | None) -> Condition | None:
    """Optimistic locking: the item exists and holds version ``expected``. An item stored
    without the version attribute reads as version 0, so it matches 0."""
    if not b.version or expected is None:
        return None
    matches = compare(b.version, "eq", expected)
    if expected == 0:
        matches = any_of(matches, not_exists(b.version))
    return all_of(exists(b.pk_attribute), matches)


def derived_attributes(b: Binding) -> set[str]:
    """Index key attributes the store computes from fields (not the natural ones)."""
    return set(index_keys(b, {}))


def refuse_key_changes(entity: type[Entity], change: Update) -> None:
    """Keys, the index keys derived from fields, and the version are the store's to write."""
    b = entity.binding()
    key_fields = {f for t in (b.pk, b.sk) if t for f in t.fields}
    touched = change.touched()
    clash = touched & (key_fields | {b.pk_attribute, b.sk_attribute or ""})
    if clash:
        raise EntityValidationError(
            f"{entity.__name__}: {', '.join(sorted(clash))} is part "
            "of the key; write a new item instead"
        )
    derived = touched & derived_attributes(b)
    if derived:
        raise EntityValidationError(
            f"{entity.__name__}: {', '.join(sorted(derived))} is an index key built from "
            "fields; change those fields instead"
        )
    if b.version and b.version in touched:
        raise EntityValidationError(
            f"{entity.__name__}: {b.version} is the version the store counts; "
            "pass expected_version instead"
        )


@dataclass(frozen=True)
class FieldsRead:
    """The stored values (None: absent) an update's index keys were computed from; the
    update is conditional on them, so keys and fields can never disagree. ``missing_key``:
    there was no item (its key attribute), so the update must fail unless one appears."""

    values: Mapping[str, dict[str, Any] | None]
    missing_key: str | None = None

    def condition(self) -> Condition:
        if self.missing_key is not None:
            return not_exists(self.missing_key)
        return all_of(
            *(
                not_exists(name) if av is None else compare(name, "eq", DECODER.value(av))
                for name, av in sorted(self.values.items())
            )
        )

    def changed_in(self, item: Mapping[str, Any] | None) -> bool:
        """Whether ``item`` (what a failed write found) no longer holds the values read."""
        if item is None:
            return False
        if self.missing_key is not None:
            return True
        return any(item.get(n) != av for n, av in self.values.items())


# --- failed conditions ----------------------------------------------------------------------


def condition_failed(exc: ClientError) -> bool:
    return bool(exc.response.get("Error", {}).get("Code") == CONDITION_FAILED)


def stored_item(exc: ClientError) -> dict[str, Any] | None:
    """The item a failed conditional write found (ReturnValuesOnConditionCheckFailure)."""
    item = exc.response.get("Item")
    return dict(item) if item else None


def conflict(entity: type[Entity], old: Mapping[str, Any] | None) -> ConflictError:
    """A write's condition failed on ``old`` (None: there was no item)."""
    if old is None:
        return ConflictError(
            f"{entity.__name__} does not exist or its condition failed", current_version=None
        )
    version_attr = entity.binding().version
    current = None
    if version_attr:
        current = int(DECODER.value(old[version_attr])) if version_attr in old else 0
    return ConflictError(
        f"{entity.__name__} changed (stored version {current})",
        current_version=current,
        current=entity.from_item(dict(old)),
    )


def raise_existing_failure(exc: ClientError, entity: type[Entity], keys: Mapping[str, Any]) -> None:
    """A write to an existing item failed its condition: NotFound when there was no item,
    else ConflictError with what is stored. Other errors: returns (the caller re-raises)."""
    if not condition_failed(exc):
        return
    old = stored_item(exc)
    if old is None:
        raise NotFound(f"no {entity.__name__} with {dict(keys)}") from exc
    raise conflict(entity, old) from exc


def raise_put_failure(exc: ClientError, entity: type[Entity], *, creating: bool) -> None:
    if not condition_failed(exc):
        return
    if creating:
        raise AlreadyExists(f"{entity.__name__} already exists") from exc
    raise conflict(entity, stored_item(exc)) from exc


def gave_up(entity: type[Entity], keys: Mapping[str, Any], attempts: int) -> NoReturn:
    raise ConflictError(
        f"{entity.__name__} {dict(keys)}: the fields its index keys are built from kept "
        f"changing ({attempts} attempts)",
        current_version=None,
    )
