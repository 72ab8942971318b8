"""A service's bus worker is one of its gunicorn's worker processes, forked from the preloaded
app (services/common/worker.py): killed, gunicorn forks a new one, which consumes the
service's queue and relays its outbox again."""
from __future__ import annotations

import os
import signal
import time

import pika
from sqlalchemy import create_engine, text

from services.common.config import SERVICES
from services.common.topology import pika_parameters, subscriptions


def _consumers(stack, service: str) -> int:
    connection = pika.BlockingConnection(pika_parameters(stack.bus_url))
    try:
        return connection.channel().queue_declare(f"rencai.{service}",
                                                  passive=True).method.consumer_count
    finally:
        connection.close()


def _handled(stack, service: str, envelope_id: str) -> bool:
    engine = create_engine(stack.urls[service])
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM processed_messages "
                                           "WHERE id = :id"), {"id": envelope_id}).scalar() == 1
    finally:
        engine.dispose()


def test_every_service_runs_one_bus_worker_in_its_gunicorn(stack):
    for service in SERVICES:
        assert stack.bus_worker(service) is not None, stack.log(service)
    assert stack.bus_worker("gateway") is None
    assert {service: _consumers(stack, service) for service in subscriptions()} == \
        {service: 1 for service in subscriptions()}


def test_a_killed_bus_worker_is_forked_again_and_events_flow(stack, gateway):
    killed = stack.bus_worker("workflow")
    os.kill(killed, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while stack.bus_worker("workflow") in (None, killed) and time.monotonic() < deadline:
        time.sleep(0.2)
    respawned = stack.bus_worker("workflow")
    assert respawned not in (None, killed), stack.log("workflow")
    assert gateway.eventually(lambda: _consumers(stack, "workflow") == 1, timeout=30)

    # Relayed by the new bus worker (workflow's outbox), handled by every subscriber.
    stack.tap.drain()
    instance = gateway.login("zhangsan").submit()["id"]

    def started():
        return next((e for e in stack.tap.drain() if e["type"] == "workflow.instance.started"
                     and e["data"].get("instance_id") == instance), None)

    envelope = gateway.eventually(started, timeout=30)
    assert envelope, stack.log("workflow")
    subscribers = [s for s, types in subscriptions().items() if envelope["type"] in types]
    assert subscribers
    for service in subscribers:
        assert gateway.eventually(lambda: _handled(stack, service, envelope["id"]), timeout=30), \
            (service, stack.log(service))
    assert stack.bus_worker("workflow") == respawned
