"""Where events travel: the exchanges, a service's queue and its dead-letter queue, and the
connection (kombu: `memory://` embedded, `amqp://` RabbitMQ in the stack)."""
from __future__ import annotations

from kombu import Connection, Exchange, Queue, binding

EVENTS_EXCHANGE = Exchange("rencai.events", type="topic", durable=True)
# Replays and retries go to one service's queue only, never fan out again.
RETRY_EXCHANGE = Exchange("rencai.retry", type="direct", durable=True)
DEAD_EXCHANGE = Exchange("rencai.dead", type="direct", durable=True)
QUORUM = {"x-queue-type": "quorum"}


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
