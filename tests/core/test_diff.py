"""The pure core of planning: literal specs in, changes and steps out — no engine."""

from __future__ import annotations

from dynaform.core.capabilities import AWS, DYNAMODB_LOCAL
from dynaform.core.diff import diff
from dynaform.core.live import LiveTable
from dynaform.core.model import (
    Billing,
    Gsi,
    KeyAttr,
    Lsi,
    Projection,
    Sse,
    TableSpec,
    Throughput,
)
from dynaform.core.order import order
from dynaform.core.planfile import make_plan
from dynaform.core.render import render

PK, SK = KeyAttr(name="PK"), KeyAttr(name="SK")


def gsi(name: str, key: str, projection: str = "ALL", throughput: Throughput | None = None) -> Gsi:
    return Gsi(
        name=name,
        partition_key=KeyAttr(name=key),
        projection=Projection(type=projection),
        throughput=throughput,
    )


def spec(**changes: object) -> TableSpec:
    base = TableSpec(
        logical_name="main",
        name="app-dev-main",
        partition_key=PK,
        sort_key=SK,
        tags={"environment": "dev"},
    )
    return base.model_copy(update=changes)


def live(table: TableSpec) -> LiveTable:
    return LiveTable(spec=table.model_copy(update={"logical_name": ""}), status="ACTIVE", arn="a")


def plan_for(desired: TableSpec, current: TableSpec | None, caps=AWS):  # type: ignore[no-untyped-def]
    state = {desired.name: live(current) if current else None}
    return make_plan("app", "dev", "endpoint", [desired], state, caps)


def test_unchanged_table_plans_to_nothing() -> None:
    table = spec(gsis=(gsi("byOwner", "owner"),), ttl="ttl", pitr=True)
    result = plan_for(table, table)
    assert not result.has_changes and result.steps == ()
    assert result.diff.unchanged == ("app-dev-main",)
    assert "No changes." in render(result)


def test_create_is_one_create_table_then_ttl_then_pitr() -> None:
    table = spec(
        gsis=(gsi("byOwner", "owner"),),
        ttl="ttl",
        pitr=True,
        stream="NEW_IMAGE",
        sse=Sse(kind="aws_managed"),
        deletion_protection=True,
    )
    result = plan_for(table, None)
    assert [c.kind for c in result.changes] == ["create"]
    assert [s.operation for s in result.steps] == [
        "CreateTable",
        "UpdateTimeToLive",
        "UpdateContinuousBackups",
    ]
    create = result.steps[0].params
    assert {a["AttributeName"] for a in create["AttributeDefinitions"]} == {"PK", "SK", "owner"}
    assert create["GlobalSecondaryIndexes"][0]["IndexName"] == "byOwner"
    assert create["SSESpecification"] == {"Enabled": True, "SSEType": "KMS"}
    assert create["DeletionProtectionEnabled"] is True
    assert create["Tags"] == [{"Key": "environment", "Value": "dev"}]


def test_dynamodb_local_skips_what_it_lacks_without_a_diff() -> None:
    table = spec(pitr=True, sse=Sse(kind="aws_managed"), table_class="STANDARD_INFREQUENT_ACCESS")
    created = plan_for(table, None, DYNAMODB_LOCAL)
    params = created.steps[0].params
    assert "Tags" not in params and "SSESpecification" not in params and "TableClass" not in params
    assert [s.operation for s in created.steps] == ["CreateTable"]
    # What DynamoDB Local reports back (no tags, no PITR, default SSE) plans to nothing.
    reported = spec(tags={})
    again = plan_for(table, reported, DYNAMODB_LOCAL)
    assert not again.has_changes
    notes = again.diff.skipped["app-dev-main"]
    assert any("tags" in n for n in notes) and any("point-in-time" in n for n in notes)
    assert "skipped on this endpoint" in render(again)


def test_two_gsis_added_and_one_removed_go_one_at_a_time_deletes_first() -> None:
    before = spec(gsis=(gsi("old", "o"), gsi("keep", "k")))
    after = spec(gsis=(gsi("keep", "k"), gsi("new1", "a"), gsi("new2", "b")))
    result = plan_for(after, before)
    assert [c.kind for c in result.changes] == ["update"]
    actions = [s.action.split(" (")[0] for s in result.steps]
    assert actions == ["delete index old", "create index new1", "create index new2"]
    for step in result.steps:
        assert len(step.params["GlobalSecondaryIndexUpdates"]) == 1
        assert step.wait == "ready"
    create = result.steps[1].params
    assert {"AttributeName": "a", "AttributeType": "S"} in create["AttributeDefinitions"]


def test_gsi_projection_change_is_an_index_rebuild() -> None:
    result = plan_for(spec(gsis=(gsi("g1", "x", "KEYS_ONLY"),)), spec(gsis=(gsi("g1", "x"),)))
    assert [c.kind for c in result.changes] == ["index-rebuild"]
    assert [s.action.split(" (")[0] for s in result.steps] == ["delete index g1", "create index g1"]


def test_key_or_lsi_change_is_a_blocked_table_rebuild_with_no_steps() -> None:
    numeric = spec(sort_key=KeyAttr(name="SK", type="N"))
    result = plan_for(numeric, spec())
    [change] = result.changes
    assert change.kind == "table-rebuild" and change.blocked
    assert result.steps == ()
    lsi = spec(lsis=(Lsi(name="byDate", sort_key=KeyAttr(name="date")),))
    assert plan_for(lsi, spec()).changes[0].kind == "table-rebuild"
    assert "TABLE REBUILD" in render(result)


def test_switch_to_provisioned_gives_every_index_capacity_in_the_same_call() -> None:
    cap = Throughput(read=5, write=5)
    before = spec(gsis=(gsi("g1", "x"),))
    after = spec(
        billing=Billing(mode="PROVISIONED", throughput=cap),
        gsis=(gsi("g1", "x", throughput=Throughput(read=2, write=2)),),
    )
    [step] = plan_for(after, before).steps
    assert step.params["BillingMode"] == "PROVISIONED"
    assert step.params["ProvisionedThroughput"] == {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    assert step.params["GlobalSecondaryIndexUpdates"][0]["Update"]["IndexName"] == "g1"


def test_stream_view_change_turns_it_off_then_on_and_ttl_change_disables_first() -> None:
    result = plan_for(spec(stream="NEW_IMAGE", ttl="expires"), spec(stream="KEYS_ONLY", ttl="ttl"))
    assert [s.action for s in result.steps] == [
        "turn the stream off",
        "turn the stream on (NEW_IMAGE)",
        "disable TTL on ttl",
        "enable TTL on expires",
    ]


def test_separate_calls_for_sse_protection_pitr_and_tags() -> None:
    before = spec(tags={"environment": "dev", "old": "1", "team": "a"})
    after = spec(
        sse=Sse(kind="kms", kms_key="alias/app"),
        deletion_protection=True,
        pitr=True,
        tags={"environment": "dev", "team": "b"},
    )
    steps = plan_for(after, before).steps
    assert [s.operation for s in steps] == [
        "UpdateTable",
        "UpdateContinuousBackups",
        "TagResource",
        "UntagResource",
        "UpdateTable",
    ]
    assert steps[0].params["SSESpecification"]["KMSMasterKeyId"] == "alias/app"
    assert steps[2].params["Tags"] == [{"Key": "team", "Value": "b"}] and steps[2].needs_arn
    assert steps[3].params["TagKeys"] == ["old"]
    assert steps[-1].params["DeletionProtectionEnabled"] is True  # turned on last


def test_prune_deletes_only_when_asked_and_respects_deletion_protection() -> None:
    orphan = live(spec(name="app-dev-old", logical_name=""))
    locked = live(spec(name="app-dev-locked", deletion_protection=True))
    result = diff([], {}, AWS, prune=[orphan, locked])
    kinds = {c.table: (c.kind, bool(c.blocked)) for c in result.changes}
    assert kinds == {"app-dev-old": ("delete", False), "app-dev-locked": ("delete", True)}
    steps = order(result.changes, AWS)
    assert [(s.table, s.operation) for s in steps] == [("app-dev-old", "DeleteTable")]
