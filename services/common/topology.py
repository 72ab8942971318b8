"""RabbitMQ topology with pika: durable exchanges, a quorum queue and a dead-letter queue per
consuming service. Run before the stack's workers start (kombu then finds them in place and
declares them with the same arguments):

    python -m services.common.topology            declare everything
    python -m services.common.topology --depths   print queue depths
"""
from __future__ import annotations

import importlib
import sys

import pika

from .bus import DEAD_EXCHANGE, EVENTS_EXCHANGE, QUORUM, RETRY_EXCHANGE
from .config import SERVICES


def subscriptions() -> dict[str, list[str]]:
    """Which events each service consumes: the keys of its events.handlers."""
    found = {}
    for service in SERVICES:
        events = importlib.import_module(f"services.{service}.events")
        if hasattr(events, "handlers"):
            found[service] = sorted(events.handlers(None))
    return found


def pika_parameters(url: str) -> pika.URLParameters:
    """kombu writes the default vhost as '//', pika as '/%2F'."""
    if url.endswith("//"):
        url = url[:-2] + "/%2F"
    return pika.URLParameters(url)


def declare(url: str) -> None:
    connection = pika.BlockingConnection(pika_parameters(url))
    try:
        channel = connection.channel()
        channel.exchange_declare(EVENTS_EXCHANGE.name, "topic", durable=True)
        channel.exchange_declare(RETRY_EXCHANGE.name, "direct", durable=True)
        channel.exchange_declare(DEAD_EXCHANGE.name, "direct", durable=True)
        for service, keys in subscriptions().items():
            queue = f"rencai.{service}"
            channel.queue_declare(queue, durable=True, arguments=QUORUM)
            for key in keys:
                channel.queue_bind(queue, EVENTS_EXCHANGE.name, routing_key=key)
            channel.queue_bind(queue, RETRY_EXCHANGE.name, routing_key=service)
            channel.queue_declare(f"{queue}.dead", durable=True, arguments=QUORUM)
            channel.queue_bind(f"{queue}.dead", DEAD_EXCHANGE.name, routing_key=service)
    finally:
        connection.close()


def queue_depths(url: str) -> dict[str, int]:
    connection = pika.BlockingConnection(pika_parameters(url))
    try:
        channel = connection.channel()
        depths = {}
        for service in subscriptions():
            for queue in (f"rencai.{service}", f"rencai.{service}.dead"):
                depths[queue] = channel.queue_declare(queue, passive=True).method.message_count
        return depths
    finally:
        connection.close()


if __name__ == "__main__":
    from .config import Settings

    bus_url = Settings.from_env("topology").bus_url
    if "--depths" in sys.argv:
        for name, depth in queue_depths(bus_url).items():
            print(f"{name}\t{depth}")
    else:
        declare(bus_url)
        print("topology declared")
