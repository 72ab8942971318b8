"""The outbox relay on PostgreSQL and RabbitMQ (no services): rounds of events published with
one wait for their publisher confirms, in order, once each, as JSON with their envelope id;
marked sent only after that; and one round of the relay thread per wake-up."""
import json
import threading
import time
import uuid

import pika
import pytest
from sqlalchemy import MetaData, create_engine, func, select, text

from services.common.bus import BusWorker, Outbox, OutboxRelay, bus_tables, connect
from services.common.bus.relay import BatchConfirms
from services.common.contracts import Payload, Text, required
from services.common.db import Database
from services.common.topology import pika_parameters
from tests.stack.conftest import (PG_ADMIN_URL, _drop_vhost, _private_vhost, _reachable,
                                  _unavailable)


class Noted(Payload):
    value = required(Text())


@pytest.fixture
def relay_setup():
    reason = _reachable()
    if reason:
        _unavailable(reason)
    name = f"rencai_relay_{uuid.uuid4().hex[:8]}"
    admin = create_engine(f"{PG_ADMIN_URL}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    bus_url = _private_vhost(uuid.uuid4().hex[:8])
    producer = f"svc{uuid.uuid4().hex[:8]}"  # unique even on a shared virtual host
    metadata = MetaData()
    tables = bus_tables(metadata)
    db = Database(f"{PG_ADMIN_URL}/{name}")
    metadata.create_all(db.engine)
    # What crossed the broker: a queue bound to the relay's events.
    tap = pika.BlockingConnection(pika_parameters(bus_url))
    channel = tap.channel()
    channel.exchange_declare("rencai.events", "topic", durable=True)
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, "rencai.events", routing_key=f"{producer}.#")
    bus = connect(bus_url)
    bus.ensure_connection(max_retries=3)
    try:
        yield db, tables, bus, channel, queue, producer
    finally:
        bus.release()
        tap.close()
        db.dispose()
        _drop_vhost(bus_url)
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _received(channel, queue) -> list[tuple]:
    found = []
    while True:
        method, properties, body = channel.basic_get(queue, auto_ack=True)
        if method is None:
            return found
        found.append((method.routing_key, properties.message_id, properties.content_type,
                      properties.delivery_mode, json.loads(body)))


def test_rounds_are_confirmed_together_published_in_order_and_marked_sent(relay_setup):
    db, tables, bus, channel, queue, svc = relay_setup
    outbox = Outbox(tables.outbox, svc, {f"{svc}.thing.noted": Noted})
    written = []
    for batch in range(3):
        with db.transaction() as session:
            written += [outbox.add(session, f"{svc}.thing.noted", f"s{n}", {"value": f"第{n}件"})
                        for n in range(batch * 4, batch * 4 + 4)]
    relay = OutboxRelay(db, tables.outbox)
    assert relay.run_once(bus, limit=5) == 5  # a round is bounded
    assert isinstance(relay._current, BatchConfirms) and not relay._current.waiting
    assert relay.run_once(bus) == 7
    assert relay.run_once(bus) == 0
    assert relay._current.sent == 12  # one confirm channel for every round

    got = _received(channel, queue)
    assert [envelope for *_, envelope in got] == written  # in order, once, as stored
    assert {(key, mid, kind, mode) for key, mid, kind, mode, _ in got} == {
        (f"{svc}.thing.noted", e["id"], "application/json", 2) for e in written}
    with db.reading() as session:
        assert session.scalar(select(func.count()).where(tables.outbox.c.sent_at.is_(None))) == 0


def test_each_commit_costs_the_relay_one_round_not_two(relay_setup):
    """The relay thread of a bus worker: a round that found fewer rows than its bound took
    everything committed before it, so it waits for the next wake-up instead of running an
    empty round (BEGIN, SELECT, COMMIT) after every one."""
    db, tables, bus, _channel, _queue, svc = relay_setup
    outbox = Outbox(tables.outbox, svc, {f"{svc}.thing.noted": Noted})
    relay = OutboxRelay(db, tables.outbox)
    rounds = []
    original = relay.run_once
    relay.run_once = lambda connection: rounds.append(original(connection)) or rounds[-1]
    worker = BusWorker(svc, bus.as_uri(include_password=True), relay, None)
    thread = threading.Thread(target=worker.run_relay, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while len(rounds) < 2 and time.monotonic() < deadline:  # listening from the second
            time.sleep(0.02)
        for n in range(5):  # one at a time: each published before the next commits
            with db.transaction() as session:
                outbox.add(session, f"{svc}.thing.noted", "s", {"value": str(n)})
            deadline = time.monotonic() + 10
            while sum(rounds) <= n and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(0.1)  # an empty round after it would come now
    finally:
        worker.stop()
        with db.transaction() as session:  # wakes the listener so the thread sees the stop
            outbox.add(session, f"{svc}.thing.noted", "s", {"value": "停"})
        thread.join(timeout=10)
    # Two empty rounds at start-up (before listening, and once listening), then one per commit.
    assert rounds[:7] == [0, 0, 1, 1, 1, 1, 1]
