"""Side effects that leave the system run after the consumer's commit (issue 11 §2): a failed
send keeps the state change and is retried, a redelivery never sends twice, a rollback sends
nothing."""
from __future__ import annotations

import os

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select

from services.common import pii
from services.common.bus import EventConsumer, bus_tables, make_envelope
from services.common.db import Database
from services.common.effects import Effects, effects_table


class Gateway:
    """An SMS gateway that is down until told otherwise."""

    def __init__(self):
        self.up, self.sent = False, []

    def send(self, _session, payload):
        if not self.up:
            raise ConnectionError("短信网关不可达")
        self.sent.append(payload["text"])


@pytest.fixture
def world(tmp_path):
    pii.configure(os.environ["RENCAI_PII_KEY"], tmp_path)  # the run's key (tests/conftest.py)
    metadata = MetaData()
    tables = bus_tables(metadata)
    table = effects_table(metadata)
    decided = Table("decided", metadata, Column("id", Integer, primary_key=True),
                    Column("appeal", String(36)))
    db = Database(f"sqlite:///{tmp_path}/identity.db")
    metadata.create_all(db.engine)
    sms = Gateway()
    effects = Effects(db, table, {"sms": sms.send}, backoff_seconds=0)

    def on_decided(session, envelope):
        session.execute(insert(decided).values(appeal=envelope["data"]["appeal"]))
        effects.add(session, "sms", {"phone": "13800000001", "text": "申诉已通过"})

    consumer = EventConsumer("identity", db, tables.processed,
                             {"workflow.instance.completed": on_decided})

    class World:
        pass

    w = World()
    w.db, w.sms, w.effects, w.consumer, w.table = db, sms, effects, consumer, table
    w.decisions = lambda: db.engine.connect().execute(
        select(func.count()).select_from(decided)).scalar()
    w.pending = lambda: db.engine.connect().execute(
        select(func.count()).select_from(table).where(table.c.done_at.is_(None))).scalar()
    yield w
    db.dispose()


def test_a_failed_send_keeps_the_state_change_and_is_retried_once_up(world):
    envelope = make_envelope("workflow.instance.completed", "workflow", "i1", {"appeal": "a1"})
    assert world.consumer.apply(envelope) is True  # the send failed after the commit
    assert world.decisions() == 1 and world.pending() == 1 and world.sms.sent == []
    world.sms.up = True
    assert world.effects.run_pending() == 1
    assert world.sms.sent == ["申诉已通过"] and world.pending() == 0
    assert world.effects.run_pending() == 0 and world.sms.sent == ["申诉已通过"]


def test_a_redelivery_sends_nothing_twice(world):
    world.sms.up = True
    envelope = make_envelope("workflow.instance.completed", "workflow", "i1", {"appeal": "a1"})
    assert world.consumer.apply(envelope) is True
    assert world.consumer.apply(envelope) is False
    assert world.sms.sent == ["申诉已通过"] and world.decisions() == 1


def test_a_rolled_back_transaction_sends_nothing(world):
    world.sms.up = True
    with pytest.raises(RuntimeError):
        with world.db.transaction() as session:
            world.effects.add(session, "sms", {"phone": "13800000001", "text": "不应发出"})
            raise RuntimeError("the use case failed")
    assert world.sms.sent == [] and world.pending() == 0


def test_the_phone_is_not_stored_in_clear(world):
    with world.db.transaction() as session:
        world.effects.add(session, "sms", {"phone": "13800000001", "text": "x"})
    raw = world.db.engine.connect().exec_driver_sql("SELECT payload FROM pending_effect").all()
    assert raw and all("13800000001" not in row[0] for row in raw)
