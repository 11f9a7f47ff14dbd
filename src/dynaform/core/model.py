"""Two sets of models.

- ``Raw*``: the project file as written (extra keys forbidden, shorthands allowed), validated by
  pydantic so every problem has a path we can turn into ``file:line``.
- ``TableSpec`` and its parts: one table, fully resolved for one environment, with every default
  made explicit. Live tables are read into the same shape, so diffing is comparing values.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

AttrType = Literal["S", "N", "B"]
StreamName = Literal["keys_only", "new_image", "old_image", "new_and_old_images"]
ProjectionName = Literal["all", "keys_only"]
EncryptionName = Literal["aws_owned", "aws_managed"]
TableClassName = Literal["standard", "standard_ia"]


VarName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
VarValue = str | int | bool | None


class _Raw(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- the file as written ----------------------------------------------------------------


class RawKey(_Raw):
    name: str = Field(min_length=1, max_length=255)
    type: AttrType = "S"


KeyField = str | RawKey


class RawCapacity(_Raw):
    read: int = Field(ge=1)
    write: int = Field(ge=1)


class RawOnDemandLimits(_Raw):
    max_read: int | None = Field(default=None, ge=1)
    max_write: int | None = Field(default=None, ge=1)


class RawProvisioned(_Raw):
    provisioned: RawCapacity


class RawOnDemand(_Raw):
    on_demand: RawOnDemandLimits


BillingField = Literal["on_demand"] | RawProvisioned | RawOnDemand


class RawInclude(_Raw):
    include: list[str] = Field(min_length=1)


ProjectionField = ProjectionName | RawInclude


class RawKms(_Raw):
    kms_key: str = Field(min_length=1)


EncryptionField = EncryptionName | RawKms


class RawGsi(_Raw):
    partition_key: KeyField
    sort_key: KeyField | None = None
    projection: ProjectionField = "all"
    # Provisioned tables only:
    read: int | None = Field(default=None, ge=1)
    write: int | None = Field(default=None, ge=1)
    # On-demand tables only:
    max_read: int | None = Field(default=None, ge=1)
    max_write: int | None = Field(default=None, ge=1)


class RawLsi(_Raw):
    sort_key: KeyField
    projection: ProjectionField = "all"


class RawTable(_Raw):
    partition_key: KeyField
    sort_key: KeyField | None = None
    billing: BillingField = "on_demand"
    indexes: dict[str, RawGsi] = Field(default_factory=dict)
    local_indexes: dict[str, RawLsi] = Field(default_factory=dict)
    ttl: str | None = None
    point_in_time_recovery: bool = False
    encryption: EncryptionField = "aws_owned"
    stream: StreamName | None = None
    deletion_protection: bool = False
    table_class: TableClassName = "standard"
    tags: dict[str, str] = Field(default_factory=dict)
    physical_name: str | None = None


class RawTableOverride(_Raw):
    """A per-environment override of one table: any table field, all optional."""

    partition_key: KeyField | None = None
    sort_key: KeyField | None = None
    billing: BillingField | None = None
    indexes: dict[str, RawGsi] | None = None
    local_indexes: dict[str, RawLsi] | None = None
    ttl: str | None = None
    point_in_time_recovery: bool | None = None
    encryption: EncryptionField | None = None
    stream: StreamName | None = None
    deletion_protection: bool | None = None
    table_class: TableClassName | None = None
    tags: dict[str, str] | None = None
    physical_name: str | None = None


class RawDefaults(_Raw):
    """Per-environment defaults for every table; a table's own value wins."""

    billing: BillingField | None = None
    point_in_time_recovery: bool | None = None
    encryption: EncryptionField | None = None
    deletion_protection: bool | None = None
    table_class: TableClassName | None = None
    stream: StreamName | None = None


class RawEnvironment(_Raw):
    target: Literal["local", "aws"] = "aws"
    region: str | None = None
    profile: str | None = None
    endpoint: str | None = None
    naming: str | None = None
    protected: bool = False
    defaults: RawDefaults = Field(default_factory=RawDefaults)
    tables: dict[str, RawTableOverride] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)
    seeds: list[str] = Field(default_factory=list)  # seed files `dynaform seed` uses here
    vars: dict[VarName, VarValue] = Field(default_factory=dict)  # this environment's values


EntityRef = Annotated[str, Field(pattern=r"^[A-Za-z0-9_./-]+(:[A-Za-z_][A-Za-z0-9_]*)?$")]


class RawProject(_Raw):
    project: str = Field(min_length=1)
    naming: str = "{project}-{env}-{table}"
    default_env: str | None = None
    environments: dict[str, RawEnvironment] = Field(min_length=1)
    tags: dict[str, str] = Field(default_factory=dict)
    vars: dict[VarName, VarValue] = Field(default_factory=dict)  # project variables, defaults
    include: list[str] = Field(default_factory=list)
    generators: list[str] = Field(default_factory=list)  # modules with @generator functions
    migrations: str = "migrations"  # folder of data migrations (dynaform migrate)
    # entity classes the application reads with (module, module:Class, file.py[:Class]); seeds
    # of their tables are written as the entities write (keys, _type, index keys, types)
    entities: list[EntityRef] = Field(default_factory=list)
    # variable names for `dynaform env-vars`: {logical table or table/index: NAME}
    env_vars: dict[str, str] = Field(default_factory=dict)
    tables: dict[str, RawTable] = Field(default_factory=dict)


# --- one table, resolved ----------------------------------------------------------------


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KeyAttr(_Spec):
    name: str
    type: AttrType = "S"


class Throughput(_Spec):
    read: int
    write: int


class OnDemandLimits(_Spec):
    max_read: int | None = None
    max_write: int | None = None


class Projection(_Spec):
    type: Literal["ALL", "KEYS_ONLY", "INCLUDE"] = "ALL"
    non_key: tuple[str, ...] = ()


class Gsi(_Spec):
    name: str
    partition_key: KeyAttr
    sort_key: KeyAttr | None = None
    projection: Projection = Projection()
    throughput: Throughput | None = None
    on_demand: OnDemandLimits | None = None

    def shape(self) -> tuple[object, ...]:
        """What can only change by deleting and re-creating the index."""
        return (self.partition_key, self.sort_key, self.projection)


class Lsi(_Spec):
    name: str
    sort_key: KeyAttr
    projection: Projection = Projection()


class Billing(_Spec):
    mode: Literal["PAY_PER_REQUEST", "PROVISIONED"] = "PAY_PER_REQUEST"
    throughput: Throughput | None = None
    on_demand: OnDemandLimits | None = None


class Sse(_Spec):
    kind: Literal["aws_owned", "aws_managed", "kms"] = "aws_owned"
    kms_key: str | None = None


StreamView = Literal["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"]
TableClass = Literal["STANDARD", "STANDARD_INFREQUENT_ACCESS"]


class TableSpec(_Spec):
    logical_name: str
    name: str
    partition_key: KeyAttr
    sort_key: KeyAttr | None = None
    billing: Billing = Billing()
    gsis: tuple[Gsi, ...] = ()
    lsis: tuple[Lsi, ...] = ()
    ttl: str | None = None
    pitr: bool = False
    sse: Sse = Sse()
    stream: StreamView | None = None
    deletion_protection: bool = False
    table_class: TableClass = "STANDARD"
    tags: dict[str, str] = Field(default_factory=dict)

    def gsi(self, name: str) -> Gsi | None:
        return next((g for g in self.gsis if g.name == name), None)

    def attribute_types(self) -> dict[str, str]:
        """Derived attribute definitions: every key attribute of the table and its indexes."""
        keys: list[KeyAttr | None] = [self.partition_key, self.sort_key]
        for gsi in self.gsis:
            keys += [gsi.partition_key, gsi.sort_key]
        keys += [lsi.sort_key for lsi in self.lsis]
        return {key.name: key.type for key in keys if key is not None}
