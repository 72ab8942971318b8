"""The write path's storage on PostgreSQL after workflow's migrations: the instance's engine
state is lz4-compressed, the outbox keeps an index of its unsent rows that the relay's round
reads in order without a sort however many rows were sent, a step down and up again
gives the same, and a consumer applies two copies of an envelope arriving together once."""
import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from services.common.bus.consumer import EventConsumer
from services.common.bus.relay import RELAY_ROUND, OutboxRelay
from services.common.db import Database, utcnow
from services.common.migrate import alembic_config, upgrade
from services.workflow.model import BUS
from tests.stack.conftest import scratch_databases


@pytest.fixture
def workflow_url():
    with scratch_databases("rencai_writes") as (url,):
        yield url


def storage(url: str) -> tuple[str, dict[str, str]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            compression = connection.execute(text(
                "SELECT attcompression FROM pg_attribute WHERE attrelid = 'instance'::regclass"
                " AND attname = 'serialized'")).scalar()
            defs = dict(connection.execute(text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('outbox', 'task')"
                " AND (indexdef LIKE '%sent_at%' OR indexdef LIKE '%(due_at)%')")).all())
        return compression, defs
    finally:
        engine.dispose()


def lz4_available(url: str) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(
                "SELECT 'lz4' = ANY(enumvals) FROM pg_settings"
                " WHERE name = 'default_toast_compression'")).scalar()
    finally:
        engine.dispose()


def test_lz4_engine_state_and_the_unsent_outbox_index_round_trip(workflow_url):
    upgrade("workflow", workflow_url)
    compression, defs = storage(workflow_url)
    assert compression == ("l" if lz4_available(workflow_url) else "")
    assert list(defs) == ["ix_outbox_unsent"]
    assert "(seq) WHERE (sent_at IS NULL)" in defs["ix_outbox_unsent"]

    command.downgrade(alembic_config("workflow", workflow_url), "-1")
    compression, defs = storage(workflow_url)
    assert compression == "" and sorted(defs) == ["ix_outbox_sent_at", "ix_task_due_at"]

    upgrade("workflow", workflow_url)
    assert storage(workflow_url)[0] == ("l" if lz4_available(workflow_url) else "")


def test_the_relay_round_reads_unsent_rows_in_order_from_their_index(workflow_url):
    upgrade("workflow", workflow_url)
    db = Database(workflow_url)
    outbox = BUS.outbox
    with db.engine.begin() as connection:
        connection.execute(outbox.insert(), [
            {"id": str(uuid.uuid4()), "type": "workflow.task.completed", "created_at": utcnow(),
             "envelope": json.dumps({"n": n}), "sent_at": utcnow() if n < 4900 else None}
            for n in range(5000)])
        connection.exec_driver_sql("ANALYZE outbox")
    statement = OutboxRelay(db, outbox)._unsent(RELAY_ROUND)
    with db.engine.connect() as connection:
        rows = connection.execute(statement).all()
        compiled = statement.compile(db.engine)
        plan = "\n".join(connection.exec_driver_sql(
            f"EXPLAIN {compiled}", compiled.params).scalars())
    db.engine.dispose()
    assert [json.loads(row.envelope)["n"] for row in rows] == list(range(4900, 5000))
    assert "ix_outbox_unsent" in plan and "Sort" not in plan, plan


def test_two_copies_of_an_envelope_applied_at_once_have_one_effect(workflow_url):
    """The at-once delivery and the queue may hand a consumer the same envelope at the same
    moment: the processed mark is written first, so the second copy waits on it and is
    skipped (no second effect, no error)."""
    upgrade("workflow", workflow_url)
    db = Database(workflow_url)
    with db.engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE effect (envelope_id text)")
    started = threading.Barrier(2)

    def record(session, envelope):
        session.execute(text("INSERT INTO effect VALUES (:id)"), {"id": envelope["id"]})
        time.sleep(0.3)  # the other copy arrives while this one's transaction is open

    consumer = EventConsumer("workflow", db, BUS.processed, {"orgs.thing.happened": record})
    envelope = {"id": str(uuid.uuid4()), "type": "orgs.thing.happened", "data": {}}

    def apply_copy():
        started.wait()
        return consumer.apply(envelope)

    with ThreadPoolExecutor(2) as pool:
        applied = sorted(pool.map(lambda _: apply_copy(), range(2)))
    with db.engine.connect() as connection:
        effects = connection.exec_driver_sql("SELECT count(*) FROM effect").scalar()
    db.engine.dispose()
    assert applied == [False, True] and effects == 1
