"""The relay: publishes a service's committed outbox rows, in order, with publisher confirms,
and marks them sent."""
from __future__ import annotations

import threading
from functools import cached_property

from amqp import spec
from amqp.exceptions import MessageNacked
from kombu import Connection
from kombu.common import maybe_declare
from sqlalchemy import Table, bindparam, select, update

from ..db import Database, utcnow
from .broker import EVENTS_EXCHANGE
from .outbox import NOTIFY_CHANNEL, relay_wake

SAFETY_POLL = 5.0  # seconds: a missed wake-up is caught this late at worst
CONFIRM_TIMEOUT = 30.0  # seconds the broker may take to confirm a round's events
JSON = "application/json"
RELAY_ROUND = 200  # rows published per transaction at most


class OutboxRelay:
    """Publishes committed outbox rows in order and marks them sent."""

    def __init__(self, db: Database, outbox: Table):
        self.db = db
        self.outbox = outbox
        self.wake = relay_wake(db.engine)

    def wait_for_work(self, stop: threading.Event, timeout: float = SAFETY_POLL) -> None:
        """Returns when events were committed (or after `timeout`, or on stop). In PostgreSQL
        it listens on its own connection; in one process it waits for the event."""
        if self.db.engine.dialect.name != "postgresql":
            self.wake.wait(timeout)
            self.wake.clear()
            return
        listener = getattr(self, "_listener", None)
        if listener is None or listener.closed:
            import psycopg

            url = self.db.engine.url.set(drivername="postgresql")
            listener = psycopg.connect(url.render_as_string(hide_password=False),
                                       autocommit=True)
            listener.execute(f"LISTEN {NOTIFY_CHANNEL}")
            self._listener = listener
            return  # listening from now on: relay once for what committed before
        if list(listener.notifies(timeout=timeout, stop_after=1)):
            # One round publishes every commit so far: the wake-ups already queued behind
            # this one would each cost an empty round (3 round trips) after it.
            list(listener.notifies(timeout=0))

    def close(self) -> None:
        listener = getattr(self, "_listener", None)
        if listener is not None:
            listener.close()

    def run_once(self, connection: Connection, limit: int = RELAY_ROUND) -> int:
        """Publishes up to `limit` unsent rows, in order, and marks them sent once the broker
        confirmed them all; returns how many. A failure leaves them unsent (the transaction
        rolls back): they go again next round, which idempotent consumers absorb."""
        # Core, not an ORM session: nothing here is an object, and a session's set-up and
        # commit hooks were work for nothing on every round.
        with self.db.engine.begin() as database:
            rows = database.execute(self._unsent(limit)).all()
            if not rows:
                return 0
            self._publisher(connection).publish(rows)
            database.execute(self._mark_sent, {"seqs": [r.seq for r in rows],
                                               "sent_at": utcnow()})
        return len(rows)

    @cached_property
    def _mark_sent(self):
        table = self.outbox
        return (update(table).where(table.c.seq.in_(bindparam("seqs", expanding=True)))
                .values(sent_at=bindparam("sent_at")))

    def _unsent(self, limit: int):
        """The round's query, built once per bound: SQLAlchemy keeps a statement's cache key
        on it, instead of working it out again for a new one every round."""
        cached = getattr(self, "_unsent_query", None)
        if cached is None or cached[0] != limit:
            table = self.outbox
            cached = (limit, select(table.c.seq, table.c.id, table.c.type, table.c.envelope)
                      .where(table.c.sent_at.is_(None)).order_by(table.c.seq).limit(limit)
                      .with_for_update(skip_locked=True))
            self._unsent_query = cached
        return cached[1]

    def _publisher(self, connection: Connection):
        publisher = getattr(self, "_current", None)
        if publisher is None or publisher.connection is not connection:
            publisher = (BatchConfirms if confirms_publishes(connection) else
                         OneByOne)(connection)
            self._current = publisher
        return publisher


def confirms_publishes(connection: Connection) -> bool:
    """RabbitMQ over py-amqp with publisher confirms (bus.connect asks for them)."""
    return bool(connection.transport_options.get("confirm_publish")) and \
        hasattr(connection.default_channel, "confirm_select")


class OneByOne:
    """Any kombu transport (the memory one, embedded): kombu's producer, the envelope sent as
    stored (already JSON: no parse and dump again)."""

    def __init__(self, connection: Connection):
        self.connection = connection
        self.producer = connection.Producer(exchange=EVENTS_EXCHANGE)
        maybe_declare(EVENTS_EXCHANGE, self.producer.channel)

    def publish(self, rows) -> None:
        for row in rows:
            self.producer.publish(row.envelope, routing_key=row.type, delivery_mode=2,
                                  message_id=row.id, content_type=JSON,
                                  content_encoding="utf-8", retry=True,
                                  retry_policy={"max_retries": 3})


class BatchConfirms:
    """RabbitMQ: a round's rows are all published, then their confirms awaited together,
    on a channel of the relay's own in confirm mode (kombu's producer waits for each
    message's confirm before sending the next)."""

    def __init__(self, connection: Connection):
        self.connection = connection
        self.channel = connection.channel()
        self.channel.confirm_select()
        self.channel.events["basic_ack"].add(self._acked)
        self.channel.events["basic_nack"].add(self._nacked)
        EVENTS_EXCHANGE(self.channel).declare()
        self.sent = 0                   # delivery tags run 1, 2, ... on a confirm channel
        self.waiting: set[int] = set()  # tags not confirmed yet
        self.refused = 0               # nacked in this round

    def _settle(self, tag: int, multiple: bool) -> int:
        done = {t for t in self.waiting if t <= tag} if multiple else {tag} & self.waiting
        self.waiting -= done
        return len(done)

    def _acked(self, tag: int, multiple: bool) -> None:
        self._settle(tag, multiple)

    def _nacked(self, tag: int, multiple: bool) -> None:
        self.refused += self._settle(tag, multiple)

    def publish(self, rows) -> None:
        for row in rows:
            message = self.channel.prepare_message(
                row.envelope.encode("utf-8"), content_type=JSON, content_encoding="utf-8",
                properties={"delivery_mode": 2, "message_id": row.id})
            self.channel._basic_publish(message, exchange=EVENTS_EXCHANGE.name,
                                        routing_key=row.type)
            self.sent += 1
            self.waiting.add(self.sent)
        while self.waiting:
            self.channel.wait([spec.Basic.Ack, spec.Basic.Nack], timeout=CONFIRM_TIMEOUT)
        if self.refused:
            refused, self.refused = self.refused, 0
            raise MessageNacked(f"the broker refused {refused} of {len(rows)} event(s)")
