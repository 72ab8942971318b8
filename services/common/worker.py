"""A service's bus worker as one of its gunicorn's worker processes (gunicorn.conf.py).

The service's gunicorn master loads the app once (--preload) and forks every worker from it:
the web workers, and one more process that runs the service's BusWorker (relays its outbox,
runs its consumer and periodic jobs) instead of serving HTTP. Forked, the bus worker shares
the app's pages with its siblings copy-on-write instead of importing and building the whole
app again in a process of its own; and gunicorn supervises it like the web workers: respawns
it when it dies, stops it on SIGTERM. Each service's bus worker still is its own process,
holding only that service's credentials.

`pre_fork` marks which worker slot runs the bus: `bus_workers(server)` of them (one per
service replica, none for the gateway); when the bus process dies, the next worker the master
spawns takes its slot.
"""
from __future__ import annotations

import ctypes
import importlib
import logging
import os
import sys
import threading

from gunicorn.workers.base import Worker
from gunicorn.workers.gthread import ThreadWorker

log = logging.getLogger(__name__)

# What `ps -o comm` / top show for a bus worker (the tests and the bench find it by this).
BUS_PROCESS_PREFIX = "bus-"
_PR_SET_NAME = 15


def bus_workers(server) -> int:
    """RENCAI_BUS_WORKERS, else one for a service (its preloaded app has a bus worker) and
    none for the gateway."""
    configured = os.environ.get("RENCAI_BUS_WORKERS", "")
    if configured:
        return int(configured)
    return 1 if "rencai.kit" in getattr(server.app.wsgi(), "extensions", {}) else 0


def add_bus_slots(server) -> None:
    """The master's worker count: -w web workers plus the bus workers (on start and on HUP,
    which resets it from -w)."""
    server.num_workers = server.cfg.workers + bus_workers(server)


def retire_workers(server) -> None:
    """On HUP the master spawns new workers, then stops the oldest: the old bus worker must
    not keep the new ones from taking its slot."""
    for worker in server.WORKERS.values():
        worker.retired = True


def assign_bus_slot(server, worker) -> None:
    """Before a fork: this worker runs the bus when fewer bus workers live than wanted."""
    running = sum(1 for w in server.WORKERS.values()
                  if getattr(w, "bus_slot", False) and not getattr(w, "retired", False))
    worker.bus_slot = running < bus_workers(server)


# What every worker imports after the fork otherwise: gthread's thread pool, requests' .netrc
# lookup (on its first call), the bus's AMQP transport (on connecting).
IMPORTED_AFTER_FORK = ("concurrent.futures.thread", "netrc", "kombu.transport.pyamqp")


def warm(app) -> None:
    """Builds in the master what each worker would build lazily on its first request, so that
    it is shared: the URL map's matcher, SQLAlchemy's mapper configuration, the modules above."""
    app.url_map.update()
    orm = sys.modules.get("sqlalchemy.orm")
    if orm is not None:
        orm.configure_mappers()
    for module in IMPORTED_AFTER_FORK:
        if module.split(".")[0] != "kombu" or "kombu" in sys.modules:
            importlib.import_module(module)


def release_free_heap() -> None:
    """Hands the C heap's free pages back to the kernel before the fork (glibc `malloc_trim`):
    what loading the app allocated and freed would otherwise stay resident in the master and
    in every child it forks (docs/performance.md, "Second round (helper memsq)")."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def _name_process(name: str) -> None:
    try:  # Linux: the name ps and top show (threads started later inherit it)
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_NAME, name.encode()[:15], 0, 0, 0)
    except (OSError, AttributeError):
        pass


class ServiceWorker(ThreadWorker):
    """gunicorn's gthread worker, or, in a bus slot, the service's bus worker."""

    bus_slot = False
    bus = None

    def init_process(self):
        if not self.bus_slot:
            return super().init_process()
        for listener in self.sockets:  # never accepts a connection
            listener.close()
        self.sockets = []
        return Worker.init_process(self)  # signals, the preloaded app, then run()

    def run(self):
        if not self.bus_slot:
            return super().run()
        self.bus = self.wsgi.extensions["rencai.kit"].worker
        _name_process(f"{BUS_PROCESS_PREFIX}{self.bus.service}")
        log.info("bus worker for %s started (pid %s)", self.bus.service, self.pid)
        loop = threading.Thread(target=self.bus.run_forever, name=f"bus-{self.bus.service}",
                                daemon=True)
        loop.start()
        try:
            # The bus loop reconnects on its own; this thread tells the master it lives (a
            # long consumer or periodic job must not get it killed) and watches for the end.
            while self.alive and loop.is_alive() and os.getppid() == self.ppid:
                self.notify()
                loop.join(timeout=1.0)
        finally:
            self.bus.stop()
            loop.join(timeout=max(1.0, self.cfg.graceful_timeout - 1))
            self.bus.close()

    def handle_exit(self, sig, frame):  # SIGTERM: stop after the message in hand
        if not self.bus_slot:
            return super().handle_exit(sig, frame)
        self.alive = False
        if self.bus is not None:
            self.bus.stop()

    def handle_quit(self, sig, frame):  # SIGQUIT, SIGINT: stop now
        if not self.bus_slot:
            return super().handle_quit(sig, frame)
        if self.bus is not None:
            self.bus.stop()
        return Worker.handle_quit(self, sig, frame)
