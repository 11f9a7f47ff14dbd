"""`dynaform migrate` in this process against DynamoDB Local: history and checksums, dry runs,
a failing fill, --to, requires = "apply", protection, m.store, and prune leaving the control
table alone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.migrate.conftest import ADD_OWNER, Project, put_items, scan_all, table_names


def test_up_records_history_and_an_edited_applied_migration_is_refused(
    df: Any, ddb: Any, project: Project
) -> None:
    assert df("apply", "--yes").code == 0
    put_items(ddb, project.items, 120, version={"N": "3"})
    project.write("0001_add_owner.py", ADD_OWNER)
    pending = df("migrate", "status", "--detailed-exitcode")
    assert pending.code == 2 and "pending" in pending.stdout
    assert project.control not in table_names(ddb)  # status creates nothing
    ran = df("--json", "migrate", "up")
    assert ran.code == 0, ran.stderr
    assert json.loads(ran.stdout)[0]["tables"][project.items]["changed"] == 120
    items = scan_all(ddb, project.items)
    assert all(i["owner"] == i["createdBy"] and i["version"]["N"] == "4" for i in items.values())
    status = json.loads(df("--json", "migrate", "status", "--detailed-exitcode").stdout)
    (entry,) = status["migrations"]
    assert entry["state"] == "applied" and entry["counts"]["read"] == 120
    assert "pid" in entry["by"] and entry["started"] and entry["seconds"] >= 0
    history = json.loads(df("--json", "migrate", "history").stdout)
    assert [(h["id"], h["state"]) for h in history] == [("0001_add_owner", "applied")]
    assert df("migrate", "up").stdout.startswith("nothing to do")

    project.write("0001_add_owner.py", ADD_OWNER + "# edited\n")
    refused = df("migrate", "up")
    assert refused.code == 1
    assert "changed since they ran: 0001_add_owner" in refused.stderr
    assert "--accept-changed" in refused.stderr
    accepted = df("migrate", "up", "--accept-changed", "0001")
    assert accepted.code == 0, accepted.stderr
    assert df("migrate", "up").code == 0
    actions = [h["action"] for h in json.loads(df("--json", "migrate", "history").stdout)]
    assert actions == ["up", "accept-changed"]


def test_a_dry_run_writes_nothing_and_shows_the_first_changes(
    df: Any, ddb: Any, project: Project
) -> None:
    assert df("apply", "--yes").code == 0
    put_items(ddb, project.items, 40)
    project.write("0001_add_owner.py", ADD_OWNER)
    before = scan_all(ddb, project.items)
    dry = df("--json", "migrate", "up", "--dry-run")
    assert dry.code == 0, dry.stderr
    (outcome,) = json.loads(dry.stdout)
    counts = outcome["tables"][project.items]
    assert counts["read"] == 40 and counts["changed"] == 40
    assert len(counts["samples"]) == 5
    sample = counts["samples"][0]
    assert (
        "owner" not in sample["before"]
        and sample["after"]["owner"] == sample["before"]["createdBy"]
    )
    assert scan_all(ddb, project.items) == before
    assert project.control not in table_names(ddb)
    human = df("migrate", "up", "--dry-run")
    assert "would change" in human.stdout and "+ {" in human.stdout


def test_a_failing_fill_records_failed_with_the_key_and_resumes_after_the_fix(
    df: Any, ddb: Any, project: Project
) -> None:
    assert df("apply", "--yes").code == 0
    put_items(ddb, project.items, 300)
    broken = ADD_OWNER.replace(
        '        if "owner" in item:',
        "        if item['id'] == 'i00150':\n            raise ValueError('bad item')\n"
        '        if "owner" in item:',
    )
    project.write("0001_add_owner.py", broken)
    failed = df("migrate", "up", "--segments", "3")
    assert failed.code == 1
    assert "{'id': 'i00150'}" in failed.stderr and "ValueError: bad item" in failed.stderr
    assert "Traceback" in failed.stderr  # the fill's own traceback
    status = json.loads(df("--json", "migrate", "status").stdout)
    assert status["migrations"][0]["state"] == "failed"
    assert "i00150" in status["migrations"][0]["error"]
    assert status["pending"] == ["0001_add_owner"] and status["lock"] is None
    project.write("0001_add_owner.py", ADD_OWNER)  # the fix
    fixed = df("--json", "migrate", "up")
    assert fixed.code == 0, fixed.stderr
    items = scan_all(ddb, project.items)
    assert len(items) == 300 and all(i["owner"] == i["createdBy"] for i in items.values())
    history = json.loads(df("--json", "migrate", "history").stdout)
    assert [h["state"] for h in history] == ["failed", "applied"]
    counts = history[-1]["counts"]  # over both runs, from the segment checkpoints
    assert counts["changed"] + counts["unchanged"] == 300 and counts["changed"] >= 1


def test_to_requires_apply_and_the_store(df: Any, ddb: Any, project: Project) -> None:
    project.write("0001_add_owner.py", ADD_OWNER + 'requires = "apply"\n')
    project.write(
        "0002_seed.py",
        '"""One item through m.store."""\n\nfrom dynaform.entities import Entity\n\n\n'
        "class Item(Entity):\n    id: str\n    createdBy: str\n\n"
        "    class Meta:\n        table = 'items'\n        pk = '{id}'\n"
        "        key_attributes = ('id', None)\n\n\n"
        "def up(m):\n    m.store.put(Item(id='seeded', createdBy='m'))\n    m.log('seeded one')\n",
    )
    refused = df("migrate", "up")
    assert refused.code == 1 and "requires the tables to match" in refused.stderr
    assert df("apply", "--yes").code == 0
    first = df("migrate", "up", "--to", "1")
    assert first.code == 0, first.stderr
    status = json.loads(df("--json", "migrate", "status").stdout)
    assert status["pending"] == ["0002_seed"]
    dry = df("migrate", "up", "--dry-run")
    assert "put_item on" in dry.stderr and "not sent" in dry.stderr
    assert "seeded" not in scan_all(ddb, project.items)
    second = df("migrate", "up")
    assert second.code == 0, second.stderr
    assert scan_all(ddb, project.items)["seeded"]["createdBy"] == {"S": "m"}


def test_a_protected_environment_needs_the_typed_name(df: Any, ddb: Any, project: Project) -> None:
    project.write("0001_add_owner.py", ADD_OWNER)
    assert df("-e", "prod", "apply", "--yes", "--confirm", "prod").code == 0
    refused = df("-e", "prod", "migrate", "up")
    assert refused.code == 2
    assert "will run in prod: 0001_add_owner" in refused.stderr
    assert f"{project.name}-prod-dynaform" not in table_names(ddb)
    assert df("-e", "prod", "migrate", "up", "--confirm", "dev").code == 2
    ran = df("-e", "prod", "migrate", "up", "--confirm", "prod")
    assert ran.code == 0, ran.stderr
    assert f"{project.name}-prod-dynaform" in table_names(ddb)
    assert df("-e", "prod", "migrate", "up", "--dry-run").code == 0  # reads: no confirmation


def test_prune_never_offers_the_control_table(df: Any, ddb: Any, project: Project) -> None:
    project.write("0001_add_owner.py", ADD_OWNER)
    assert df("apply", "--yes").code == 0
    assert df("migrate", "up").code == 0
    assert project.control in table_names(ddb)
    planned = df("plan", "--prune", "--detailed-exitcode")
    assert planned.code == 0, planned.stdout
    assert project.control not in planned.stdout


def test_new_numbers_after_the_last_and_runs(df: Any, ddb: Any, project: Project) -> None:
    project.write("0007_first.py", ADD_OWNER)
    made = df("--json", "migrate", "new", "Add a Status!")
    path = json.loads(made.stdout)["path"]
    assert path.endswith("0008_add_a_status.py")
    text = Path(path).read_text()
    assert "def up(m):" in text and "m.backfill(" in text
    compile(text, path, "exec")
