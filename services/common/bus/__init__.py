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

from .broker import (DEAD_EXCHANGE, EVENTS_EXCHANGE, QUORUM, RETRY_EXCHANGE, connect,
                     dead_letter_queue, service_queue)
from .consumer import EventConsumer, Handler, dead_letters, replay_dead_letters
from .outbox import (NOTIFY_CHANNEL, BusTables, Outbox, bus_tables, make_envelope,
                     trace_id_var)
from .relay import SAFETY_POLL, OutboxRelay
from .worker import BusWorker, declare_all, settle

__all__ = ["DEAD_EXCHANGE", "EVENTS_EXCHANGE", "QUORUM", "RETRY_EXCHANGE", "NOTIFY_CHANNEL",
           "SAFETY_POLL", "BusTables", "BusWorker", "EventConsumer", "Handler", "Outbox",
           "OutboxRelay", "bus_tables", "connect", "dead_letter_queue", "dead_letters",
           "declare_all", "make_envelope", "replay_dead_letters", "service_queue", "settle",
           "trace_id_var"]
