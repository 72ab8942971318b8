"""The kit's audit log: one shape, a hash chain that shows any tampering, personal numbers
masked, and concurrent writers that never fork the chain."""
import threading

import pytest
from sqlalchemy import MetaData, delete, insert, select, update

from services.common import audit
from services.common.auth import Claims
from services.common.db import Database


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'audit.db'}")
    metadata = MetaData()
    audit.audit_tables(metadata)
    metadata.create_all(database.engine)
    with database.transaction() as session:  # what each service's migration does
        session.execute(insert(audit.CHAIN).values(id=1, seq=0, hash=audit.GENESIS))
    yield database
    database.dispose()


def fill(db, n=5):
    staff = Claims(sub="staff-1", kind="staff", name="审核员", org="org-1",
                   roles=("supervisor", "admin"))
    for i in range(n):
        with db.transaction() as session:
            audit.record(session, "employee.viewed", "employee", f"e-{i}", subject_id="p-1",
                         claims=staff, before={"phone": "13800000001"},
                         after={"id_number": "110101199003077777", "name": "x"},
                         reason="核对")


def test_an_entry_has_the_one_shape_and_masks_personal_numbers(db):
    fill(db, 1)
    page = audit.search(db, person="p-1")
    assert page["total"] == 1
    entry = page["items"][0]
    assert entry["actor_id"] == "staff-1" and entry["actor_kind"] == "staff"
    assert entry["actor_roles"] == "supervisor,admin"
    assert (entry["action"], entry["object_type"], entry["object_id"]) == \
        ("employee.viewed", "employee", "e-0")
    assert entry["before"] == {"phone": "138****0001"}
    assert entry["after"] == {"id_number": "110***********7777", "name": "x"}
    assert entry["reason"] == "核对" and entry["at"].tzinfo is not None
    assert audit.verify(db) == {"ok": True, "entries": 1, "broken_at": None, "problem": None}


def test_without_a_caller_the_system_acted(db):
    with db.transaction() as session:
        entry = audit.record(session, "instance.completed", "instance", "i-1")
        anonymous = audit.record(session, "login.failed", actor_kind="anonymous")
    assert (entry["actor_id"], entry["actor_kind"]) == (None, "system")
    assert anonymous["actor_kind"] == "anonymous"
    # Two entries of one transaction are chained one after the other at its commit.
    assert (entry["seq"], anonymous["seq"]) == (1, 2)
    assert anonymous["prev_hash"] == entry["hash"] and audit.verify(db)["ok"]


def test_a_rolled_back_use_case_leaves_no_entry_and_no_gap(db):
    fill(db, 2)
    with pytest.raises(RuntimeError):
        with db.transaction() as session:
            audit.record(session, "profile.saved", "profile", "p-1")
            raise RuntimeError("the use case failed")
    fill(db, 1)
    assert audit.verify(db)["ok"] and audit.verify(db)["entries"] == 3


def test_a_changed_entry_breaks_the_chain(db):
    fill(db)
    with db.transaction() as session:
        session.execute(update(audit.LOG).where(audit.LOG.c.seq == 3)
                        .values(actor_id="someone-else"))
    result = audit.verify(db)
    assert result["ok"] is False and result["broken_at"] == 3
    assert result["problem"] == "条目内容已被改动"


def test_a_changed_entry_with_its_hash_recomputed_breaks_the_next_link(db):
    fill(db)
    with db.transaction() as session:
        row = dict(session.execute(select(audit.LOG).where(audit.LOG.c.seq == 2))
                   .mappings().one())
        row["action"] = "nothing.happened"
        session.execute(update(audit.LOG).where(audit.LOG.c.seq == 2).values(
            action=row["action"], hash=audit.chain_hash(row["prev_hash"], row)))
    result = audit.verify(db)
    assert result["ok"] is False and result["broken_at"] == 3


def test_a_removed_entry_breaks_the_chain(db):
    fill(db)
    with db.transaction() as session:
        session.execute(delete(audit.LOG).where(audit.LOG.c.seq == 2))
    result = audit.verify(db)
    assert result["ok"] is False and result["broken_at"] == 3


def test_a_removed_tail_no_longer_matches_the_head(db):
    fill(db)
    with db.transaction() as session:
        session.execute(delete(audit.LOG).where(audit.LOG.c.seq == 5))
    result = audit.verify(db)
    assert result["ok"] is False and result["problem"] == "末尾条目缺失（与链头不符）"


def test_search_by_person_action_prefix_and_date(db):
    fill(db, 3)
    with db.transaction() as session:
        audit.record(session, "login.failed", "account", "a-9", subject_id="a-9",
                     actor_kind="anonymous")
    assert audit.search(db, action="login.*")["total"] == 1
    assert audit.search(db, action="employee.viewed", per_page=2)["total"] == 3
    assert len(audit.search(db, action="employee.viewed", per_page=2)["items"]) == 2
    assert audit.search(db, person="a-9")["items"][0]["action"] == "login.failed"
    first = audit.search(db, action="employee.*", per_page=100)["items"][-1]["at"]
    assert audit.search(db, since=first)["total"] == 4
    assert audit.search(db, until=first)["total"] == 0


def test_concurrent_writers_never_fork_the_chain(db):
    errors = []

    def writer():
        try:
            fill(db, 10)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert audit.verify(db) == {"ok": True, "entries": 40, "broken_at": None, "problem": None}
