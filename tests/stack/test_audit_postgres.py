"""The audit log on PostgreSQL: every service's migration creates it (identity's moves its old
entries over), concurrent writers on separate connections append one after another without
forking the chain, and tampering shows."""
import threading

import pytest
from sqlalchemy import delete, update

from services.common import audit
from services.common.auth import Claims
from services.common.config import SERVICES
from services.common.db import Database
from services.common.migrate import upgrade
from tests.stack.conftest import scratch_databases


@pytest.fixture
def databases():
    with scratch_databases(*(f"rencai_audit_{service}" for service in SERVICES)) as urls:
        yield dict(zip(SERVICES, urls))


def test_the_chain_holds_under_concurrent_writers_and_shows_tampering(databases):
    for service, url in databases.items():
        upgrade(service, url)
    db = Database(databases["workflow"])
    staff = Claims(sub="s-1", kind="staff", roles=("district",))
    errors = []

    def writer(n):
        try:
            for i in range(15):
                with db.transaction() as session:
                    audit.record(session, "employee.viewed", "affiliation", f"{n}-{i}",
                                 subject_id="p-1", claims=staff,
                                 after={"id_number": "110105198503070019"})
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert audit.verify(db) == {"ok": True, "entries": 60, "broken_at": None, "problem": None}
    assert audit.search(db, person="p-1", per_page=1)["items"][0]["after"] == \
        {"id_number": "110***********0019"}

    with db.transaction() as session:  # what the insert-only grant is there to refuse
        session.execute(update(audit.LOG).where(audit.LOG.c.seq == 30).values(actor_id="x"))
    assert audit.verify(db)["broken_at"] == 30
    with db.transaction() as session:
        session.execute(delete(audit.LOG).where(audit.LOG.c.seq >= 30))
    assert audit.verify(db)["problem"] == "末尾条目缺失（与链头不符）"
    db.dispose()
    for service in ("identity", "orgs", "files"):  # each service's database has its chain
        other = Database(databases[service])
        assert audit.verify(other)["ok"] is True
        other.dispose()


def test_a_transactions_events_and_audit_entries_cost_three_statements(databases):
    """Issue 16: on PostgreSQL the events go in one INSERT that also wakes the relay (NOTIFY),
    and the audit entries with the chain's new head in one statement after the head's lock."""
    import psycopg
    from marshmallow import Schema, fields
    from sqlalchemy import event, select

    from services.common.bus import NOTIFY_CHANNEL, Outbox
    from services.workflow.model import Base

    upgrade("workflow", databases["workflow"])
    db = Database(databases["workflow"])
    table = Base.metadata.tables["outbox"]

    class Payload(Schema):
        n = fields.Integer(required=True)

    outbox = Outbox(table, "workflow", contracts={"workflow.t.one": Payload,
                                                  "workflow.t.two": Payload})
    url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    listener = psycopg.connect(url, autocommit=True)
    listener.execute(f"LISTEN {NOTIFY_CHANNEL}")
    seen: list[str] = []
    event.listen(db.engine, "before_cursor_execute", lambda *a: seen.append(a[2].split()[0]))
    staff = Claims(sub="s-1", kind="staff", roles=("district",))
    with db.transaction() as session:
        outbox.add(session, "workflow.t.one", "a", {"n": 1})
        outbox.add(session, "workflow.t.two", "b", {"n": 2})
        audit.record(session, "employee.viewed", "affiliation", "1", claims=staff)
        audit.record(session, "employee.viewed", "affiliation", "2", claims=staff)
    assert seen == ["WITH", "UPDATE", "WITH"]  # events + NOTIFY; the head's lock; entries + head
    assert [n.channel for n in listener.notifies(timeout=5, stop_after=1)] == [NOTIFY_CHANNEL]
    listener.close()
    with db.reading() as session:
        assert session.scalars(select(table.c.type).order_by(table.c.seq)).all() == \
            ["workflow.t.one", "workflow.t.two"]
    assert audit.verify(db) == {"ok": True, "entries": 2, "broken_at": None, "problem": None}
    db.dispose()
