"""VishMaker's tables (seed 002) with dynaform.entities: project -> user flows -> high-level
requirements -> low-level requirements -> test cases, and the waitlist.

    python examples/vishmaker/entities.py              # default_env of its dynaform.yaml
    python examples/vishmaker/entities.py -e staging   # another environment

Store.from_project() reads the tables, endpoint and credentials from the dynaform.yaml
beside this file (dev: the managed DynamoDB Local, started when down).

Pagination cursors are signed with DYNAFORM_CURSOR_KEY (at least 32 random bytes); against
localhost without it, the store uses a random key for the run and warns.
"""

from __future__ import annotations

import argparse
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from dynaform.entities import AlreadyExists, Entity, Store


class Project(Entity):
    id: str
    user_id: str
    name: str
    initial_prompt: str = ""
    created_at: datetime

    class Meta:
        table = "projects"
        key_attributes = ("id", "user_id")
        pk = "{id}"
        sk = "{user_id}"
        indexes = {"user_id-index": ("user_id", "{user_id}"), "name-index": ("name", "{name}")}


class UserFlow(Entity):
    uiid: str
    project_id: str
    name: str

    class Meta:
        table = "user-flows"
        key_attributes = ("uiid", "project_id")
        pk = "{uiid}"
        sk = "{project_id}"
        indexes = {"project_id-index": ("project_id", "{project_id}")}


class _Child(Entity):
    uiid: str
    parent_uiid: str
    name: str
    description: str = ""


class HighLevelRequirement(_Child):
    class Meta:
        table = "high-level-requirements"
        key_attributes = ("uiid", "parent_uiid")
        pk = "{uiid}"
        sk = "{parent_uiid}"
        indexes = {"parent_uiid-index": ("parent_uiid", "{parent_uiid}")}


class LowLevelRequirement(_Child):
    class Meta:
        table = "low-level-requirements"
        key_attributes = ("uiid", "parent_uiid")
        pk = "{uiid}"
        sk = "{parent_uiid}"
        indexes = {"parent_uiid-index": ("parent_uiid", "{parent_uiid}")}


class TestCase(_Child):
    __test__ = False  # not a pytest class

    class Meta:
        table = "test-cases"
        key_attributes = ("uiid", "parent_uiid")
        pk = "{uiid}"
        sk = "{parent_uiid}"
        indexes = {"parent_uiid-index": ("parent_uiid", "{parent_uiid}")}


class WaitlistEntry(Entity):
    email: str
    status: Literal["pending", "invited", "joined"] = "pending"
    joined_at: datetime | None = None

    class Meta:
        table = "waitlist"
        key_attributes = ("email", None)
        pk = "{email}"
        indexes = {"status-index": ("status", "{status}")}


def new_id() -> str:
    return str(uuid.uuid4())


def build_project(store: Store, user_id: str, name: str) -> Project:
    """A project with one flow, requirements and test cases, written in batches."""
    project = store.create(
        Project(id=new_id(), user_id=user_id, name=name, created_at=datetime.now(UTC))
    )
    flow = UserFlow(uiid=new_id(), project_id=project.id, name="Sign up")
    high = [
        HighLevelRequirement(uiid=new_id(), parent_uiid=flow.uiid, name=f"HLR {n}")
        for n in range(3)
    ]
    low = [
        LowLevelRequirement(uiid=new_id(), parent_uiid=h.uiid, name=f"{h.name}.{n}")
        for h in high
        for n in range(2)
    ]
    tests = [TestCase(uiid=new_id(), parent_uiid=l_.uiid, name=f"test {l_.name}") for l_ in low]
    store.batch_write(puts=[flow, *high, *low, *tests])
    return project


def tree(store: Store, project: Project) -> dict[str, int]:
    flows = store.query(UserFlow, index="project_id-index", project_id=project.id).items
    high = [
        h
        for f in flows
        for h in store.query_all(
            HighLevelRequirement, index="parent_uiid-index", parent_uiid=f.uiid
        )
    ]
    low = [
        r
        for h in high
        for r in store.query_all(LowLevelRequirement, index="parent_uiid-index", parent_uiid=h.uiid)
    ]
    tests = [
        t
        for r in low
        for t in store.query_all(TestCase, index="parent_uiid-index", parent_uiid=r.uiid)
    ]
    return {"flows": len(flows), "high": len(high), "low": len(low), "tests": len(tests)}


def join_waitlist(store: Store, email: str) -> bool:
    try:
        store.create(WaitlistEntry(email=email))
    except AlreadyExists:
        return False
    return True


def demo(store: Store) -> dict[str, object]:
    project = build_project(store, "cognito-user-1", "Web shop")
    mine = store.query(Project, index="user_id-index", user_id="cognito-user-1").items
    first = join_waitlist(store, "ada@example.com")
    again = join_waitlist(store, "ada@example.com")
    pending = store.query(WaitlistEntry, index="status-index", status="pending").items
    return {
        "tree": tree(store, project),
        "projects": len(mine),
        "joined": first,
        "joined_twice": again,
        "pending": len(pending),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-e", "--env", help="environment of dynaform.yaml (default: default_env)")
    parser.add_argument("--endpoint-url", help="override the environment's endpoint")
    args = parser.parse_args()
    # Tables, endpoint and credentials come from the project file beside this module.
    project_file = Path(__file__).with_name("dynaform.yaml")
    print(demo(Store.from_project(project_file, args.env, endpoint_url=args.endpoint_url)))


if __name__ == "__main__":
    main()
