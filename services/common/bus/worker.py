"""A service's bus worker: its relay and its consumer on their connections, in a process of
its own (the stack) or a thread (embedded); `settle` for tests."""
from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Callable

from kombu import Connection

from .broker import connect
from .consumer import EventConsumer
from .relay import RELAY_ROUND, OutboxRelay

log = logging.getLogger("rencai.bus")


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
                # A short round took everything committed before it; what commits later
                # wakes us again.
                while self.relay.run_once(connection) >= RELAY_ROUND and \
                        not self._stop.is_set():
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
