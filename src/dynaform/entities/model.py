"""Entities: pydantic models bound to a table by key templates.

    class User(Entity):
        user_id: str
        name: str

        class Meta:
            table = "main"                      # logical name (the store maps it)
            pk = "USER#{user_id}"
            sk = "PROFILE"
            indexes = {"GSI1": ("GSI1PK", "ORG#{org}", "GSI1SK", "USER#{name}")}
            version = "version"                 # optimistic locking (optional)
            ttl = "expires_at"                  # epoch seconds on write (optional)

Items carry ``_type`` (the entity's name) so one table can hold many entities. Datetimes are
stored as ISO 8601 UTC; the TTL attribute as epoch seconds. An index key whose fields are
missing is left out, which keeps sparse indexes sparse.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Self, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from dynaform.data.codec import CodecError, Decoder, Encoder
from dynaform.entities.errors import EntityValidationError
from dynaform.entities.keys import KeyTemplate, template

TYPE_ATTRIBUTE = "_type"
ENCODER = Encoder(binary=bytes, allow_float=True)  # botocore's form: binary as bytes
WIRE_ENCODER = Encoder(allow_float=True)  # the data plane's form: binary as base64 text
DECODER = Decoder()


@dataclass(frozen=True)
class IndexKeys:
    name: str
    pk_attribute: str
    pk: KeyTemplate
    sk_attribute: str | None = None
    sk: KeyTemplate | None = None


@dataclass(frozen=True)
class Binding:
    """What an entity class says about its table (read from its Meta)."""

    table: str
    type_name: str
    pk_attribute: str
    pk: KeyTemplate
    sk_attribute: str | None
    sk: KeyTemplate | None
    indexes: dict[str, IndexKeys] = field(default_factory=dict)
    version: str | None = None
    ttl: str | None = None


def _binding(cls: type[Entity]) -> Binding:
    meta = getattr(cls, "Meta", None)
    if meta is None or not hasattr(meta, "table") or not hasattr(meta, "pk"):
        raise TypeError(f"{cls.__name__} needs `class Meta:` with at least table and pk")
    indexes = {}
    for name, spec in getattr(meta, "indexes", {}).items():
        pk_attr, pk_text, *rest = spec
        sk_attr, sk_text = [*rest, None, None][:2]
        indexes[name] = IndexKeys(name, pk_attr, KeyTemplate(pk_text), sk_attr, template(sk_text))
    pk_attr, sk_attr = getattr(meta, "key_attributes", ("PK", "SK"))
    sk = template(getattr(meta, "sk", None))
    return Binding(
        table=meta.table,
        type_name=getattr(meta, "type_name", cls.__name__),
        pk_attribute=pk_attr,
        pk=KeyTemplate(meta.pk),
        sk_attribute=sk_attr if sk else None,
        sk=sk,
        indexes=indexes,
        version=getattr(meta, "version", None),
        ttl=getattr(meta, "ttl", None),
    )


def stored(value: Any) -> Any:
    """Python value -> what DynamoDB stores: datetimes as ISO 8601 UTC, dates as YYYY-MM-DD."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ").replace(".000000Z", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: stored(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [stored(v) for v in value]
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


def stored_field(b: Binding, name: str, value: Any) -> Any:
    """A field's value as stored: the TTL attribute as epoch seconds (what DynamoDB TTL
    reads), anything else as ``stored`` makes it."""
    return _epoch(value) if name == b.ttl and value is not None else stored(value)


_BINDINGS: dict[type, Binding] = {}


class Entity(BaseModel):
    model_config = ConfigDict(validate_assignment=True, extra="ignore")

    @classmethod
    def binding(cls) -> Binding:
        found = _BINDINGS.get(cls)
        if found is None:
            found = _BINDINGS[cls] = _binding(cls)
        return found

    # --- keys ----------------------------------------------------------------------------

    @classmethod
    def key_of(cls, **values: Any) -> dict[str, Any]:
        """The primary key (in botocore form) from field values."""
        return primary_key(cls, values, ENCODER)

    def item_key(self) -> dict[str, Any]:
        return type(self).key_of(**self.__dict__)

    # --- to and from items ---------------------------------------------------------------

    def to_item(self) -> dict[str, Any]:
        """This entity as a DynamoDB item (botocore form), keys and type included."""
        return item_of(self, ENCODER)

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Self:
        return validated(cls, DECODER.item(item), "stored item does not fit the entity")


E = TypeVar("E", bound="Entity")


def validated(cls: type[E], values: Mapping[str, Any], context: str) -> E:
    """``cls`` built from ``values``; the first problem as an EntityValidationError."""
    try:
        return cls.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise EntityValidationError(f"{cls.__name__}.{where}: {first['msg']} ({context})") from exc


def primary_key(cls: type[Entity], values: Mapping[str, Any], encoder: Encoder) -> dict[str, Any]:
    """The primary key from field values. A key attribute named after the field its template
    is just (``pk = "{id}"`` on attribute ``id``) keeps the field's type (a number stays N)."""
    b = cls.binding()
    parts = [(b.pk_attribute, b.pk, "key")]
    if b.sk is not None and b.sk_attribute is not None:
        parts.append((b.sk_attribute, b.sk, "sort key"))
    key: dict[str, Any] = {}
    for attribute, key_template, what in parts:
        missing = [f for f in key_template.fields if values.get(f) is None]
        if missing:
            raise EntityValidationError(f"{cls.__name__}: the {what} needs {', '.join(missing)}")
        if is_natural(attribute, key_template):
            key[attribute] = encoder.value(stored(values[attribute]))
        else:
            key[attribute] = {"S": key_template.render(values)}
    return key


def item_of(entity: Entity, encoder: Encoder) -> dict[str, Any]:
    """An entity as an item in ``encoder``'s form, keys, type and index keys included."""
    cls = type(entity)
    b = cls.binding()
    values = entity.__dict__
    plain: dict[str, Any] = {}
    for name, value in values.items():
        if value is None:
            continue
        plain[name] = stored_field(b, name, value)
    try:
        item = encoder.item(plain)
    except CodecError as exc:
        raise EntityValidationError(f"{cls.__name__}.{exc.path}: {exc.message}") from exc
    item.update(primary_key(cls, values, encoder))
    item[TYPE_ATTRIBUTE] = {"S": b.type_name}
    for attribute, key in index_keys(b, values).items():
        if key is not None:
            item[attribute] = {"S": key}
    return item


def is_natural(attribute: str | None, key: KeyTemplate | None) -> bool:
    """A key attribute that is a field of the entity itself (status-index on `status`)."""
    return key is not None and attribute is not None and key.single_field == attribute


def index_keys(
    b: Binding, values: Mapping[str, Any], indexes: Iterable[IndexKeys] | None = None
) -> dict[str, str | None]:
    """Each derived index key attribute's value (of ``indexes``, default all), or None where a
    field is missing (sparse: the item is left out of that index). Natural keys are the
    entity's own fields: not listed."""
    keys: dict[str, str | None] = {}
    for index in b.indexes.values() if indexes is None else indexes:
        pk = index.pk.render(values)
        sk = index.sk.render(values) if index.sk else None
        complete = pk is not None and (index.sk is None or sk is not None)
        if not is_natural(index.pk_attribute, index.pk):
            keys[index.pk_attribute] = pk if complete else None
        if index.sk_attribute and not is_natural(index.sk_attribute, index.sk):
            keys[index.sk_attribute] = sk if complete else None
    return keys


def _epoch(value: Any) -> int:
    if isinstance(value, timedelta):
        return int((datetime.now(UTC) + value).timestamp())
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return int(moment.timestamp())
    return int(value)
