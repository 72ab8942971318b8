"""The bus kit on kombu's memory transport: outbox relay, idempotent consumer, retries and
the dead-letter queue."""
import uuid

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select

from services.common.bus import (BusWorker, EventConsumer, Outbox, OutboxRelay, bus_tables,
                                 connect, dead_letters, replay_dead_letters, settle)
from services.common.contracts import ContractBroken, Payload, Text, required
from services.common.db import Database


class ThingHappened(Payload):
    value = required(Text())


@pytest.fixture
def service(tmp_path):
    """A throwaway service: its own database, outbox, and an `effect` table its handler
    writes. Its name is unique because the memory transport is shared by the process."""
    metadata = MetaData()
    tables = bus_tables(metadata)
    effect = Table("effect", metadata, Column("id", Integer, primary_key=True),
                   Column("value", String(50)))
    db = Database(f"sqlite:///{tmp_path}/svc.db")
    metadata.create_all(db.engine)
    name = f"svc{uuid.uuid4().hex[:8]}"
    failures = {"left": 0}

    def handle(session, envelope):
        if failures["left"] > 0:
            failures["left"] -= 1
            raise RuntimeError("数据库暂时不可用")
        session.execute(insert(effect).values(value=envelope["data"]["value"]))

    consumer = EventConsumer(name, db, tables.processed, {f"{name}.thing.happened": handle},
                             max_attempts=3, backoff=0.001)
    worker = BusWorker(name, "memory://", OutboxRelay(db, tables.outbox), consumer)

    class Service:
        pass

    svc = Service()
    svc.name, svc.db, svc.tables, svc.effect, svc.worker = name, db, tables, effect, worker
    contracts = {f"{name}.thing.happened": ThingHappened}
    svc.outbox, svc.failures, svc.consumer = Outbox(tables.outbox, name, contracts), failures, \
        consumer
    svc.effects = lambda: [r.value for r in db.engine.connect().execute(select(effect.c.value))]
    yield svc
    worker.close()
    db.dispose()


def test_outbox_rows_are_published_in_order_and_marked_sent(service):
    with service.db.transaction() as session:
        first = service.outbox.add(session, f"{service.name}.thing.happened", "s1", {"value": "一"})
        service.outbox.add(session, f"{service.name}.thing.happened", "s2", {"value": "二"})
    assert set(first) == {"id", "type", "occurred_at", "producer", "subject", "data", "trace_id"}
    assert first["producer"] == service.name

    settle([service.worker])

    assert service.effects() == ["一", "二"]
    with service.db.reading() as session:
        unsent = session.scalar(select(func.count()).where(service.tables.outbox.c.sent_at.is_(None)))
    assert unsent == 0


def test_nothing_is_published_from_a_rolled_back_transaction(service):
    with pytest.raises(RuntimeError):
        with service.db.transaction() as session:
            service.outbox.add(session, f"{service.name}.thing.happened", "s", {"value": "x"})
            raise RuntimeError("use case failed")
    settle([service.worker])
    assert service.effects() == []


def test_a_service_cannot_publish_in_another_services_name(service):
    with service.db.transaction() as session, pytest.raises(ValueError):
        service.outbox.add(session, "orgs.unit.created", "s", {})


def test_the_same_envelope_twice_has_one_effect(service):
    with service.db.transaction() as session:
        envelope = service.outbox.add(session, f"{service.name}.thing.happened", "s", {"value": "一次"})
    settle([service.worker])
    # A redelivery (same envelope id) straight onto the queue, as the broker would do.
    connection = connect("memory://")
    connection.Producer(serializer="json").publish(
        envelope, exchange="rencai.events", routing_key=envelope["type"])
    settle([service.worker])
    assert service.effects() == ["一次"]
    assert service.consumer.apply(envelope) is False


def test_a_transient_failure_is_retried(service):
    service.failures["left"] = 2  # fails twice, succeeds on the third and last attempt
    with service.db.transaction() as session:
        service.outbox.add(session, f"{service.name}.thing.happened", "s", {"value": "终于"})
    settle([service.worker])
    assert service.effects() == ["终于"]
    assert dead_letters(connect("memory://"), service.name) == []


def test_a_poison_message_is_dead_lettered_then_replayed(service):
    service.failures["left"] = 3  # every attempt fails
    with service.db.transaction() as session:
        envelope = service.outbox.add(session, f"{service.name}.thing.happened", "s", {"value": "毒"})
    settle([service.worker])
    assert service.effects() == []

    connection = connect("memory://")
    parked = dead_letters(connection, service.name)
    assert [p["envelope"]["id"] for p in parked] == [envelope["id"]]
    assert parked[0]["error"] == "RuntimeError: 数据库暂时不可用"
    assert len(dead_letters(connection, service.name)) == 1  # inspecting leaves it there

    assert replay_dead_letters(connection, service.name) == 1  # the cause is fixed; replay
    settle([service.worker])
    assert service.effects() == ["毒"]
    assert dead_letters(connection, service.name) == []


def test_a_payload_that_breaks_its_contract_fails_the_producers_transaction(service):
    """A missing field, a field of the wrong kind, an undeclared field or an undeclared type
    raise inside the use case's transaction: neither the data nor the event is written."""
    kind = f"{service.name}.thing.happened"
    for type_, data in ((kind, {}), (kind, {"value": 3}), (kind, {"value": "一", "extra": 1}),
                        (f"{service.name}.thing.vanished", {"value": "一"})):
        with pytest.raises(ContractBroken):
            with service.db.transaction() as session:
                session.execute(insert(service.effect).values(value="半截"))
                service.outbox.add(session, type_, "s1", data)
    with service.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(service.tables.outbox)) == 0
    assert service.effects() == []


def test_the_relay_publishes_right_after_a_commit_not_on_a_poll(service, monkeypatch):
    """In one process the commit wakes the relay thread: the effect lands well within the
    safety poll (an hour here), and an idle relay does not query its outbox."""
    import threading
    import time

    from services.common import bus

    monkeypatch.setattr(bus, "SAFETY_POLL", 3600.0)
    monkeypatch.setattr(OutboxRelay.wait_for_work, "__defaults__", (3600.0,))
    runs = []
    original = service.worker.relay.run_once
    monkeypatch.setattr(service.worker.relay, "run_once", lambda c: runs.append(1) or original(c))
    thread = threading.Thread(target=service.worker.run_forever, kwargs={"poll": 0.05},
                              daemon=True)
    thread.start()
    try:
        time.sleep(0.5)
        idle_runs = len(runs)
        assert idle_runs <= 1  # at most the first round, not one per poll
        with service.db.transaction() as session:
            service.outbox.add(session, f"{service.name}.thing.happened", "s", {"value": "快"})
        deadline = time.monotonic() + 5
        while service.effects() != ["快"] and time.monotonic() < deadline:
            time.sleep(0.01)
        assert service.effects() == ["快"]
    finally:
        service.worker.stop()
        thread.join(timeout=5)
    assert not thread.is_alive()


def test_the_postgresql_outbox_insert_has_one_shape_whatever_the_number_of_events():
    """A multi-row VALUES statement is compiled anew on every commit (SQLAlchemy does not cache
    it); the INSERT … SELECT unnest(arrays) with the wake-up is one cacheable statement."""
    from sqlalchemy.dialects import postgresql

    from services.common.bus.outbox import _column_arrays, _notify_insert

    tables = (bus_tables(MetaData()).outbox,)
    statement = _notify_insert(tables)
    assert _notify_insert(tables) is statement
    assert statement._generate_cache_key() is not None
    sql = str(statement.compile(dialect=postgresql.dialect()))
    assert "unnest(" in sql and "pg_notify(" in sql and "INSERT INTO outbox" in sql
    rows = [{"id": str(n), "type": "t", "envelope": "{}", "created_at": None} for n in range(3)]
    assert _column_arrays(tables, {tables[0]: rows})["id_0"] == ["0", "1", "2"]
