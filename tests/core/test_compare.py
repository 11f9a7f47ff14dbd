"""Compare once: each aspect's comparison, with literal data and no engine. Every operation
carries what the plan shows and the requests that make the change; plan files round-trip
exactly and refuse edits and unknown calls."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from dynaform.core import compare
from dynaform.core.capabilities import AWS, DYNAMODB_LOCAL
from dynaform.core.live import LiveTable
from dynaform.core.model import (
    Billing,
    Gsi,
    KeyAttr,
    Lsi,
    OnDemandLimits,
    Projection,
    Sse,
    TableSpec,
    Throughput,
)
from dynaform.core.operations import ALLOWED
from dynaform.core.planfile import PlanFileError, from_json, make_plan, to_json
from dynaform.core.render import render

PK = KeyAttr(name="PK")


def spec(**changes: Any) -> TableSpec:
    base = TableSpec(logical_name="main", name="app-dev-main", partition_key=PK)
    return base.model_copy(update=changes)


def gsi(name: str, key: str = "k", **changes: Any) -> Gsi:
    return Gsi(name=name, partition_key=KeyAttr(name=key)).model_copy(update=changes)


def one(aspect: compare.Aspect, new: TableSpec, old: TableSpec, caps: Any = AWS) -> Any:
    [op] = aspect(new, old, caps)
    return op


def calls(op: Any) -> list[str]:
    return [step.operation for step in op.steps]


def test_an_unchanged_aspect_emits_nothing() -> None:
    table = spec(ttl="exp", pitr=True, stream="NEW_IMAGE", tags={"a": "1"}, gsis=(gsi("g"),))
    for aspect in compare.ASPECTS:
        assert aspect(table, table, AWS) == []


def test_keys_and_local_indexes_are_a_refused_table_rebuild_with_no_requests() -> None:
    op = one(compare.compare_keys, spec(partition_key=KeyAttr(name="PK", type="N")), spec())
    assert (op.type, op.field, op.before, op.after) == (
        "rebuild_table",
        "partition key",
        "PK (S)",
        "PK (N)",
    )
    assert op.blocked and op.steps == ()
    lsi = Lsi(name="byDate", sort_key=KeyAttr(name="date"))
    with_lsi = spec(sort_key=KeyAttr(name="SK"), lsis=(lsi,))
    op = one(compare.compare_keys, with_lsi, spec(sort_key=KeyAttr(name="SK")))
    assert op.field == "local index byDate" and op.blocked


def test_billing_switch_to_provisioned_carries_index_capacity() -> None:
    cap = Throughput(read=3, write=4)
    new = spec(
        billing=Billing(mode="PROVISIONED", throughput=cap),
        gsis=(gsi("g", throughput=Throughput(read=1, write=2)),),
    )
    op = one(compare.compare_billing, new, spec(gsis=(gsi("g"),)))
    assert (op.before, op.after) == ("on demand", "provisioned 3/4")
    [step] = op.steps
    assert step.params["BillingMode"] == "PROVISIONED"
    update = step.params["GlobalSecondaryIndexUpdates"][0]["Update"]
    assert update["ProvisionedThroughput"] == {"ReadCapacityUnits": 1, "WriteCapacityUnits": 2}


def test_table_class_is_shown_but_not_sent_where_the_endpoint_lacks_it() -> None:
    new = spec(table_class="STANDARD_INFREQUENT_ACCESS")
    assert calls(one(compare.compare_table_class, new, spec())) == ["UpdateTable"]
    assert one(compare.compare_table_class, new, spec(), DYNAMODB_LOCAL).steps == ()


def test_indexes_removed_added_reshaped_and_resized() -> None:
    old = spec(gsis=(gsi("gone"), gsi("same"), gsi("reshaped"), gsi("sized")))
    new = spec(
        gsis=(
            gsi("same"),
            gsi("reshaped", projection=Projection(type="KEYS_ONLY")),
            gsi("sized", on_demand=OnDemandLimits(max_read=10)),
            gsi("added", "a"),
        )
    )
    found = {op.field: op for op in compare.compare_indexes(new, old, AWS)}
    assert {f: op.type for f, op in found.items()} == {
        "index gone": "delete_index",
        "index added": "create_index",
        "index reshaped": "rebuild_index",
        "index sized capacity": "set_index_capacity",
    }
    rebuild = found["index reshaped"]
    assert [s.action.split(" (")[0] for s in rebuild.steps] == [
        "delete index reshaped",
        "create index reshaped",
    ]
    limits = found["index sized capacity"].steps[0].params["GlobalSecondaryIndexUpdates"]
    assert limits[0]["Update"]["OnDemandThroughput"]["MaxReadRequestUnits"] == 10
    created = found["index added"].steps[0].params
    assert {"AttributeName": "a", "AttributeType": "S"} in created["AttributeDefinitions"]


def test_stream_ttl_pitr_encryption_protection_and_tags() -> None:
    old = spec(stream="KEYS_ONLY", ttl="ttl", tags={"keep": "1", "old": "x", "team": "a"})
    new = spec(
        stream="NEW_IMAGE",
        ttl="exp",
        pitr=True,
        deletion_protection=True,
        sse=Sse(kind="kms", kms_key="arn:aws:kms:us-east-1:1:key/k"),
        tags={"keep": "1", "team": "b"},
    )
    stream = one(compare.compare_stream, new, old)
    assert calls(stream) == ["UpdateTable", "UpdateTable"] and "new stream ARN" in stream.reason
    ttl = one(compare.compare_ttl, new, old)
    assert [s.action for s in ttl.steps] == ["disable TTL on ttl", "enable TTL on exp"]
    assert calls(one(compare.compare_pitr, new, old)) == ["UpdateContinuousBackups"]
    assert one(compare.compare_pitr, new, old, DYNAMODB_LOCAL).steps == ()
    sse = one(compare.compare_encryption, new, old)
    assert sse.steps[0].params["SSESpecification"]["KMSMasterKeyId"].endswith("key/k")
    protection = one(compare.compare_protection, new, old)
    assert protection.steps[0].params["DeletionProtectionEnabled"] is True
    tags = one(compare.compare_tags, new, old)
    assert (tags.before, tags.after, tags.reason) == ("old=x, team=a", "team=b", "removes old")
    assert [s.params.get("Tags") or s.params.get("TagKeys") for s in tags.steps] == [
        [{"Key": "team", "Value": "b"}],
        ["old"],
    ]


def test_an_aws_managed_key_matches_any_reported_key() -> None:
    reported = spec(sse=Sse(kind="kms", kms_key="arn:aws:kms:us-east-1:1:key/x"))
    assert compare.compare_encryption(spec(sse=Sse(kind="aws_managed")), reported, AWS) == []


def test_protection_is_lifted_first_and_set_last() -> None:
    old = spec(deletion_protection=True, gsis=(gsi("g"),))
    new = spec(deletion_protection=False, gsis=(gsi("g"), gsi("h", "h")), ttl="exp")
    planned = make_plan("app", "dev", "e", [new], {new.name: live(old)}, AWS)
    assert planned.steps[0].action == "turn deletion protection off"
    locked = make_plan("app", "dev", "e", [old], {old.name: live(spec())}, AWS)
    assert locked.steps[-1].action == "turn deletion protection on"


def live(table: TableSpec, items: int = 0) -> LiveTable:
    return LiveTable(
        spec=table.model_copy(update={"logical_name": ""}),
        status="ACTIVE",
        arn="arn",
        item_count=items,
    )


def saved_plan() -> dict[str, Any]:
    new = spec(ttl="exp", gsis=(gsi("g"),), tags={"environment": "dev"})
    planned = make_plan("app", "dev", "http://e", [new], {new.name: live(spec())}, AWS)
    return json.loads(json.dumps(to_json(planned)))


def test_a_plan_file_round_trips_to_exactly_the_same_operations_and_steps() -> None:
    data = saved_plan()
    back = from_json(data, "p.json")
    new = spec(ttl="exp", gsis=(gsi("g"),), tags={"environment": "dev"})
    fresh = make_plan("app", "dev", "http://e", [new], {new.name: live(spec())}, AWS)
    assert back.steps == fresh.steps and back.changes == fresh.changes
    assert render(back) == render(fresh)


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d["changes"][0]["operations"][0]["steps"][0]["params"].update(TableName="x"),
        lambda d: d["changes"][0]["operations"][0].update(type="delete_table"),
        lambda d: d.update(env="prod"),
        lambda d: d["changes"][0]["operations"].append(
            {"type": "drop_everything", "field": "", "steps": []}
        ),
    ],
)
def test_an_edited_plan_file_is_refused(edit: Any) -> None:
    data = saved_plan()
    edited = copy.deepcopy(data)
    edit(edited)
    with pytest.raises(PlanFileError, match="changed after it was made"):
        from_json(edited, "p.json")


def test_only_known_operations_making_their_own_calls_can_run_from_a_plan_file() -> None:
    from dynaform.core.planfile import checksum

    for kind, call in (("drop_everything", "DeleteTable"), ("set_ttl", "DeleteTable")):
        data = saved_plan()
        op = data["changes"][0]["operations"][0]
        op["type"] = kind
        op["steps"] = [
            {
                "table": "app-dev-main",
                "operation": call,
                "params": {"TableName": "app-dev-main"},
                "action": "x",
            }
        ]
        data["checksum"] = checksum(data)  # even a "valid" checksum does not make it runnable
        with pytest.raises(PlanFileError, match=r"unknown operation|may not call"):
            from_json(data, "p.json")
    assert "DeleteTable" in ALLOWED["delete_table"] and "DeleteTable" not in ALLOWED["set_ttl"]


def test_an_interrupted_rebuild_plans_as_rebuild_incomplete_and_never_as_a_create() -> None:
    declared = spec(partition_key=KeyAttr(name="PK", type="N"))
    holding = live(spec(name="app-dev-main.dynaform-rebuild"), items=20000)
    planned = make_plan(
        "app", "dev", "e", [declared], {declared.name: None}, AWS, holding={declared.name: holding}
    )
    [change] = planned.changes
    assert change.kind == "table-rebuild" and change.resuming and not change.blocked
    assert "REBUILD INCOMPLETE" in render(planned) and "20,000" in render(planned)
    assert planned.steps == ()  # the data plane resumes it, no plain request does
