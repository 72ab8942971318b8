"""The event bus: envelope, transactional outbox, relay, idempotent consumer, dead letters.

kombu is the abstraction: `memory://` in the embedded mode, `amqp://` (RabbitMQ) in the
stack. A use case writes its events into its service's `outbox` table in the same
transaction as its data (`Outbox.add`); the relay publishes committed rows with publisher
confirms and marks them sent. A consumer records each envelope id in `processed_messages`
in the same transaction as its effect, so a redelivery is a no-op, and acks only after
commit. A handler that keeps failing is retried a bounded number of times with backoff,
then parked on the service's dead-letter queue, from where it can be inspected and replayed:

    python -m services.common.bus workflow            list what is parked
    python -m services.common.bus workflow --replay   send it back to the queue
"""
from __future__ import annotations

import contextvars
import json
import logging
import socket
import threading
import time
import uuid
import weakref
from dataclasses import dataclass
from typing import Callable

from kombu import Connection, Exchange, Producer, Queue, binding
from sqlalchemy import (Column, Integer, MetaData, String, Table, Text, event, func, insert,
                        select, update)
from sqlalchemy.orm import Session

from .. import contracts
from ..db import Database, UtcDateTime, after_commit, utcnow

log = logging.getLogger("rencai.bus")

EVENTS_EXCHANGE = Exchange("rencai.events", type="topic", durable=True)
# Replays and retries go to one service's queue only, never fan out again.
RETRY_EXCHANGE = Exchange("rencai.retry", type="direct", durable=True)
DEAD_EXCHANGE = Exchange("rencai.dead", type="direct", durable=True)
QUORUM = {"x-queue-type": "quorum"}

# The trace id of whatever is being handled (an HTTP request or a consumed envelope).
trace_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("trace_id", default=None)

# The relay publishes right after a commit, not on a poll: a transaction that adds events
# sends `NOTIFY rencai_outbox` (PostgreSQL delivers it at commit, to the service's bus worker
# process listening on its database), and in one process (embedded) sets the relay's event
# after the commit. A slow poll (SAFETY_POLL seconds) still catches anything missed.
NOTIFY_CHANNEL = "rencai_outbox"
SAFETY_POLL = 5.0
_RELAY_WAKE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # engine -> Event
_NOTIFIED = "rencai.outbox_notified"


def connect(url: str) -> Connection:
    # confirm_publish makes py-amqp wait for the broker's ack of every publish.
    options = {"confirm_publish": True} if url.startswith("amqp") else {}
    return Connection(url, transport_options=options, heartbeat=0)


def service_queue(service: str, routing_keys: list[str]) -> Queue:
    bindings = [binding(EVENTS_EXCHANGE, routing_key=key) for key in routing_keys]
    bindings.append(binding(RETRY_EXCHANGE, routing_key=service))
    return Queue(f"rencai.{service}", bindings=bindings, durable=True, queue_arguments=QUORUM)


def dead_letter_queue(service: str) -> Queue:
    return Queue(f"rencai.{service}.dead", DEAD_EXCHANGE, routing_key=service, durable=True,
                 queue_arguments=QUORUM)


@dataclass(frozen=True)
class BusTables:
    outbox: Table
    processed: Table


def bus_tables(metadata: MetaData) -> BusTables:
    """Adds `outbox` and `processed_messages` to a service's metadata (and so its migrations)."""
    outbox = Table(
        "outbox", metadata,
        Column("seq", Integer, primary_key=True, autoincrement=True),
        Column("id", String(36), nullable=False, unique=True),
        Column("type", String(120), nullable=False),
        Column("envelope", Text, nullable=False),
        Column("created_at", UtcDateTime, nullable=False, default=utcnow),
        Column("sent_at", UtcDateTime, nullable=True, index=True),
    )
    processed = Table(
        "processed_messages", metadata,
        Column("id", String(36), primary_key=True),
        Column("type", String(120), nullable=False),
        Column("processed_at", UtcDateTime, nullable=False, default=utcnow),
    )
    return BusTables(outbox, processed)


def make_envelope(type_: str, producer: str, subject: str, data: dict) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "type": type_,
        "occurred_at": utcnow().isoformat(),
        "producer": producer,
        "subject": subject,
        "data": data,
        "trace_id": trace_id_var.get() or str(uuid.uuid4()),
    }


class Outbox:
    """Where a service's use cases put the events they raise (same transaction as the data).

    Every payload is checked against its contract (services/common/contracts.py): by default
    the producer's `events.PUBLISHES`. `internal`, when the service's kit sets it, hands the
    producer's AT_ONCE events to their consumers right after the commit."""

    def __init__(self, table: Table, producer: str, contracts: dict | None = None,
                 internal=None):
        self.table = table
        self.producer = producer
        self._contracts = contracts
        self.internal = internal

    @property
    def contracts(self) -> dict:
        if self._contracts is None:
            self._contracts = contracts.published_by(self.producer)
        return self._contracts

    def add(self, session: Session, type_: str, subject: str, data: dict) -> dict:
        if not type_.startswith(self.producer + "."):
            raise ValueError(f"{self.producer} cannot publish {type_}")
        contracts.check(self.contracts, type_, data)
        envelope = make_envelope(type_, self.producer, subject, data)
        # Written at commit, all of a transaction's events in one INSERT (_write_pending).
        session.info.setdefault(_PENDING, {}).setdefault(self.table, []).append(
            {"id": envelope["id"], "type": type_,
             "envelope": json.dumps(envelope, ensure_ascii=False), "created_at": utcnow()})
        _wake_relay(session)
        targets = contracts.at_once(self.producer).get(type_) if self.internal else None
        if targets:
            internal = self.internal
            after_commit(session, lambda: internal.deliver(envelope, targets))
        return envelope


def _wake_relay(session: Session) -> None:
    """Once per transaction: wake this database's relay when the transaction commits."""
    transaction = session.get_transaction()
    if session.info.get(_NOTIFIED) is transaction:
        return
    session.info[_NOTIFIED] = transaction
    wake = _RELAY_WAKE.get(session.get_bind())
    if wake is not None:  # a relay of this process waits on this database (embedded)
        after_commit(session, wake.set)


_PENDING = "rencai.outbox.pending"  # session.info: {outbox table: [rows]} until the commit


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    """A transaction's events, one INSERT per outbox (executemany: SQLAlchemy sends it as one
    multi-row INSERT), then the relay's wake-up. Registered before the audit log's listener
    (services.common.audit imports this module), so the chain's lock is still taken last."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    if session.get_bind().dialect.name == "postgresql":
        # One statement: the INSERTs as data-modifying WITHs (run whether or not read) of
        # the relay's wake-up, which PostgreSQL delivers at commit.
        wake = select(func.pg_notify(NOTIFY_CHANNEL, ""))
        for n, (table, rows) in enumerate(pending.items()):
            wake = wake.add_cte(insert(table).values(rows).cte(f"events_{n}"))
        session.execute(wake)
        return
    for table, rows in pending.items():
        session.execute(insert(table), rows)


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, _transaction) -> None:
    session.info.pop(_PENDING, None)


class OutboxRelay:
    """Publishes committed outbox rows in order and marks them sent."""

    def __init__(self, db: Database, outbox: Table):
        self.db = db
        self.outbox = outbox
        self.wake = _RELAY_WAKE.setdefault(db.engine, threading.Event())

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
        for _ in listener.notifies(timeout=timeout, stop_after=1):
            pass

    def close(self) -> None:
        listener = getattr(self, "_listener", None)
        if listener is not None:
            listener.close()

    def run_once(self, connection: Connection, limit: int = 200) -> int:
        table = self.outbox
        with self.db.transaction() as session:
            rows = session.execute(
                select(table.c.seq, table.c.type, table.c.envelope)
                .where(table.c.sent_at.is_(None)).order_by(table.c.seq).limit(limit)
                .with_for_update(skip_locked=True)).all()
            if not rows:
                return 0
            producer = connection.Producer(exchange=EVENTS_EXCHANGE, serializer="json")
            for row in rows:
                envelope = json.loads(row.envelope)
                producer.publish(envelope, routing_key=row.type, delivery_mode=2,
                                 message_id=envelope["id"], declare=[EVENTS_EXCHANGE],
                                 retry=True, retry_policy={"max_retries": 3})
            session.execute(update(table).where(table.c.seq.in_([r.seq for r in rows]))
                            .values(sent_at=utcnow()))
        return len(rows)


Handler = Callable[[Session, dict], None]


class EventConsumer:
    """Applies envelopes to a service's data exactly once, with bounded retries."""

    def __init__(self, service: str, db: Database, processed: Table,
                 handlers: dict[str, Handler], max_attempts: int = 3, backoff: float = 0.05):
        self.service = service
        self.db = db
        self.processed = processed
        self.handlers = handlers
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.queue = service_queue(service, sorted(handlers))
        self.dead_queue = dead_letter_queue(service)

    def apply(self, envelope: dict) -> bool:
        """Runs the handler in one transaction with the processed mark; False if seen before."""
        handler = self.handlers.get(envelope.get("type"))
        if handler is None:
            return False
        token = trace_id_var.set(envelope.get("trace_id"))
        try:
            with self.db.transaction() as session:
                seen = session.execute(select(self.processed.c.id)
                                       .where(self.processed.c.id == envelope["id"])).first()
                if seen:
                    return False
                handler(session, envelope)
                session.execute(insert(self.processed).values(
                    id=envelope["id"], type=envelope["type"], processed_at=utcnow()))
            return True
        finally:
            trace_id_var.reset(token)

    def on_message(self, body, message) -> None:
        envelope = body if isinstance(body, dict) else json.loads(body)
        for attempt in range(1, self.max_attempts + 1):
            try:
                self.apply(envelope)
                message.ack()
                return
            except Exception as error:  # noqa: BLE001 - any failure counts as an attempt
                log.warning("%s: handling %s failed (attempt %d/%d): %s", self.service,
                            envelope.get("type"), attempt, self.max_attempts, error)
                last_error = error
                if attempt < self.max_attempts:
                    time.sleep(self.backoff * 2 ** (attempt - 1))
        self._dead_letter(message.channel, envelope, last_error)
        message.ack()

    def _dead_letter(self, channel, envelope: dict, error: Exception) -> None:
        producer = Producer(channel, exchange=DEAD_EXCHANGE, serializer="json")
        producer.publish(envelope, routing_key=self.service, delivery_mode=2,
                         headers={"x-error": f"{type(error).__name__}: {error}"[:1000],
                                  "x-attempts": self.max_attempts,
                                  "x-failed-at": utcnow().isoformat()},
                         declare=[self.dead_queue])
        log.error("%s: %s parked on %s", self.service, envelope.get("id"), self.dead_queue.name)


def dead_letters(connection: Connection, service: str) -> list[dict]:
    """What sits on a service's dead-letter queue (left in place)."""
    queue = dead_letter_queue(service)(connection.default_channel)
    queue.declare()
    held, found = [], []
    while (message := queue.get(no_ack=False)) is not None:
        held.append(message)
        found.append({"envelope": message.payload, "error": message.headers.get("x-error"),
                      "failed_at": message.headers.get("x-failed-at")})
    for message in held:
        message.requeue()
    return found


def replay_dead_letters(connection: Connection, service: str) -> int:
    """Sends every parked envelope of `service` back to its queue; returns how many."""
    queue = dead_letter_queue(service)(connection.default_channel)
    queue.declare()
    producer = connection.Producer(exchange=RETRY_EXCHANGE, serializer="json")
    count = 0
    while (message := queue.get(no_ack=False)) is not None:
        producer.publish(message.payload, routing_key=service, delivery_mode=2,
                         declare=[RETRY_EXCHANGE])
        message.ack()
        count += 1
    return count


class BusWorker:
    """Relays one service's outbox and runs its consumer on one connection.

    The stack runs one per service as its own process; the embedded mode runs one per
    service on a thread. `pump()` does all pending work and returns; tests call it to
    settle the bus deterministically.
    """

    def __init__(self, service: str, bus_url: str, relay: OutboxRelay,
                 consumer: EventConsumer | None):
        self.service = service
        self.bus_url = bus_url
        self.relay = relay
        self.consumer = consumer
        self.lock = threading.RLock()
        self._connection: Connection | None = None
        self._kombu_consumer = None
        self._stop = threading.Event()
        self._periodic: list[list] = []  # [every seconds, last run, job]

    def every(self, seconds: float, job: Callable[[], int]) -> None:
        """Runs `job` from this worker's rounds at most every `seconds` (workflow's timer
        scheduler rides here). `job` returns how much it did."""
        self._periodic.append([seconds, 0.0, job])

    def _run_periodic(self) -> int:
        done = 0
        for entry in self._periodic:
            seconds, last_run, job = entry
            if time.monotonic() - last_run >= seconds:
                entry[1] = time.monotonic()
                try:
                    done += job() or 0
                except Exception:  # noqa: BLE001 - the relay and consumer must go on
                    log.exception("%s: periodic job failed", self.service)
        return done

    def connect(self) -> Connection:
        """Connects and declares this service's queues (idempotent)."""
        if self._connection is None:
            connection = connect(self.bus_url)
            connection.ensure_connection(max_retries=5)
            if self.consumer is not None:
                self.consumer.dead_queue(connection.default_channel).declare()
                self._kombu_consumer = connection.Consumer(
                    queues=[self.consumer.queue], callbacks=[self.consumer.on_message],
                    accept=["json"], prefetch_count=10)
                self._kombu_consumer.consume()
            self._connection = connection
        return self._connection

    def pump(self, wait: float = 0.0, relay: bool = True) -> int:
        """Publishes pending outbox rows and handles delivered messages; returns work done.
        `relay=False`: the relay thread of `run_forever` publishes instead."""
        with self.lock:
            connection = self.connect()
            done = self._run_periodic()
            if relay:
                done += self.relay.run_once(connection)
            if self.consumer is None:
                return done
            timeout = wait
            while True:
                try:
                    connection.drain_events(timeout=timeout)
                    done += 1
                    timeout = 0.001
                except socket.timeout:
                    return done

    def run_relay(self) -> None:
        """Publishes as soon as events commit (see `OutboxRelay.wait_for_work`), on a
        connection of its own, so it never waits behind the consumer's drain."""
        connection, pending = None, True  # first: what committed before this thread started
        while not self._stop.is_set():
            try:
                if not pending:
                    self.relay.wait_for_work(self._stop)
                pending = False
                if connection is None:
                    connection = connect(self.bus_url)
                    connection.ensure_connection(max_retries=5)
                while self.relay.run_once(connection) and not self._stop.is_set():
                    pass
            except Exception:  # noqa: BLE001 - reconnect (bus or database) next round
                log.exception("%s relay error; reconnecting", self.service)
                self.relay.close()
                if connection is not None:
                    connection.release()
                    connection = None
                self._stop.wait(1.0)
        self.relay.close()
        if connection is not None:
            connection.release()

    def run_forever(self, poll: float = 0.2) -> None:
        self._stop.clear()
        threading.Thread(target=self.run_relay, name=f"relay-{self.service}", daemon=True).start()
        # The consumer blocks on its queue; without one, the periodic jobs pace the loop.
        poll = max(poll, 1.0) if self.consumer is None else poll
        while not self._stop.is_set():
            try:
                done = self.pump(wait=poll, relay=False)
                if self.consumer is None and not done:
                    self._stop.wait(poll)  # nothing blocks in drain_events to pace us
            except Exception:  # noqa: BLE001 - a broken connection is reopened next round
                log.exception("%s bus worker error; reconnecting", self.service)
                self.close()
                self._stop.wait(1.0)

    def start_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run_forever, kwargs={"poll": 0.05},
                                  name=f"bus-{self.service}", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()
        self.relay.wake.set()  # an embedded relay thread waiting for work returns at once

    def close(self) -> None:
        with self.lock:
            if self._connection is not None:
                try:
                    self._connection.release()
                finally:
                    self._connection = None
                    self._kombu_consumer = None


def declare_all(workers: list[BusWorker]) -> None:
    """Every queue must exist before the first relay publishes, or the memory transport
    drops what no queue is bound for (the stack declares them up front with pika)."""
    for worker in workers:
        with worker.lock:
            worker.connect()


def settle(workers: list[BusWorker], rounds: int = 50) -> None:
    """Pumps every worker until a full round does no work (all events delivered)."""
    declare_all(workers)
    for _ in range(rounds):
        if sum(worker.pump() for worker in workers) == 0:
            return
    raise RuntimeError("bus did not settle")
