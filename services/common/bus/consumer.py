"""The idempotent consumer: applies each envelope once (its id recorded in
`processed_messages` with the effect), retries a failing handler a bounded number of times
with backoff, then parks the envelope on the service's dead-letter queue, from where it can be
listed and replayed."""
from __future__ import annotations

import json
import logging
import time
from typing import Callable

from kombu import Connection, Producer
from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..db import Database, utcnow
from .broker import DEAD_EXCHANGE, RETRY_EXCHANGE, dead_letter_queue, service_queue
from .outbox import trace_id_var

log = logging.getLogger("rencai.bus")

Handler = Callable[[Session, dict], None]


def _claim_statement(dialect: str, processed: Table):
    """INSERT of the processed mark that returns the id only when the envelope is new
    (ON CONFLICT DO NOTHING: Rencai runs on PostgreSQL or SQLite)."""
    dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (dialect_insert(processed).on_conflict_do_nothing(index_elements=["id"])
            .returning(processed.c.id))


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
        # Built once: SQLAlchemy keeps a statement's cache key on it (a new statement per
        # message had it worked out again every time).
        self._claim = _claim_statement(db.engine.dialect.name, processed)

    def apply(self, envelope: dict) -> bool:
        """Runs the handler in one transaction with the processed mark; False if seen before."""
        handler = self.handlers.get(envelope.get("type"))
        if handler is None:
            return False
        token = trace_id_var.set(envelope.get("trace_id"))
        try:
            mark = {"id": envelope["id"], "type": envelope["type"], "processed_at": utcnow()}
            with self.db.transaction() as session:
                # The mark first, in one round trip: a copy applied at the same time (the
                # at-once delivery and the queue's) waits on it, then finds it taken.
                if session.execute(self._claim, mark).first() is None:
                    return False
                handler(session, envelope)
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
