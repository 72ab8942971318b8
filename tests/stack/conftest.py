"""The real stack for the tests: PostgreSQL (a fresh database per service), RabbitMQ, every
service under gunicorn (its web workers and its bus worker: services/common/worker.py) and the
gateway, each its own process.

Skips with the reason when PostgreSQL or RabbitMQ is unreachable — except under CI=true,
where the stack tier must run.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pika
import pytest
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from services.common.config import PROJECT_ROOT, SERVICES
from services.common.keyring import write_new_key
from services.common.topology import pika_parameters, subscriptions
from services.common.worker import BUS_PROCESS_PREFIX

PG_ADMIN_URL = os.environ.get("RENCAI_TEST_PG_URL", "postgresql+psycopg://root@127.0.0.1:5432")
BUS_URL = os.environ.get("RENCAI_TEST_BUS_URL", "amqp://guest:guest@127.0.0.1:5672//")
BIN = Path(sys.executable).parent


def _private_vhost(suffix: str) -> str:
    """A RabbitMQ virtual host of this run's own, so two suites on one machine (two
    checkouts, CI beside a developer) never consume each other's queues. Falls back to the
    configured URL where rabbitmqctl is not at hand."""
    vhost = f"rencai_test_{suffix}"
    try:
        for args in (["add_vhost", vhost], ["set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"]):
            subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return BUS_URL
    return BUS_URL.rsplit("/", 1)[0].rstrip("/") + "/" + vhost


def _drop_vhost(url: str) -> None:
    if url != BUS_URL:
        subprocess.run(["rabbitmqctl", "-q", "delete_vhost", url.rsplit("/", 1)[1]],
                       capture_output=True, timeout=60)


def _unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"the real-stack tier must run under CI, but {reason}")
    pytest.skip(f"real-stack tier skipped: {reason}")


@contextmanager
def scratch_databases(*prefixes: str) -> Iterator[list[str]]:
    """An empty PostgreSQL database per prefix (a random suffix added), dropped afterwards;
    the test is skipped (failed under CI) when PostgreSQL is unreachable."""
    admin = create_engine(f"{PG_ADMIN_URL}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any reason PostgreSQL is not there
        admin.dispose()
        _unavailable(f"PostgreSQL unreachable at {PG_ADMIN_URL}: {error}")
    names = [f"{prefix}_{uuid.uuid4().hex[:8]}" for prefix in prefixes]
    try:
        with admin.connect() as connection:
            for name in names:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield [f"{PG_ADMIN_URL}/{name}" for name in names]
    finally:
        with admin.connect() as connection:
            for name in names:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Tap:
    """A private queue bound to every event on rencai.events: what really crossed RabbitMQ."""

    def __init__(self, bus_url: str):
        parameters = pika_parameters(bus_url)
        # No heartbeats: the tap sits idle for minutes between drains, and a blocking
        # connection only answers heartbeats when called, so the broker dropped it (and its
        # exclusive queue) on a loaded machine.
        parameters.heartbeat = 0
        self.connection = pika.BlockingConnection(parameters)
        self.channel = self.connection.channel()
        self.channel.exchange_declare("rencai.events", "topic", durable=True)
        self.queue = self.channel.queue_declare("", exclusive=True).method.queue
        self.channel.queue_bind(self.queue, "rencai.events", routing_key="#")
        self.seen: list[tuple[dict, dict]] = []  # (properties, envelope)

    def drain(self) -> list[dict]:
        while True:
            method, properties, body = self.channel.basic_get(self.queue, auto_ack=True)
            if method is None:
                return [envelope for _, envelope in self.seen]
            self.seen.append(({"delivery_mode": properties.delivery_mode,
                               "message_id": properties.message_id,
                               "routing_key": method.routing_key}, json.loads(body)))

    def close(self):
        self.connection.close()


class Stack:
    def __init__(self, tmp: Path):
        suffix = uuid.uuid4().hex[:8]
        self.databases = {name: f"rencai_test_{name}_{suffix}" for name in SERVICES}
        self.bus_url = _private_vhost(suffix)
        # The tests read and write as the administrator; the services connect as their own
        # roles (rencai_<service>, each owning only its database, made by the migrate step).
        self.urls = {name: f"{PG_ADMIN_URL}/{db}" for name, db in self.databases.items()}
        admin = make_url(PG_ADMIN_URL)
        self.service_urls = {name: admin.set(username=f"rencai_{name}", database=db)
                             .render_as_string(hide_password=False)
                             for name, db in self.databases.items()}
        # The keys as a deployment gives them: generated files (compose mounts secrets), never
        # the readable test keys of the embedded tier, which the stack refuses.
        self.keys = tmp / "keys"
        for key in ("pii_key", "signing_kek", "files_link_secret", "service_key"):
            write_new_key(self.keys / key)
        self.ports = {name: _free_port() for name in [*SERVICES, "gateway", "fake_gateways"]}
        self.sms_inbox = f"http://127.0.0.1:{self.ports['fake_gateways']}/sms"
        self.tmp = tmp
        self.processes: list[tuple[str, subprocess.Popen]] = []

    @property
    def pii_key(self) -> str:
        return (self.keys / "pii_key").read_text().strip()

    def env(self, **extra) -> dict:
        inherited = {k: v for k, v in os.environ.items()
                     if not k.startswith(("RENCAI_PII_KEY", "RENCAI_SIGNING_KEK",
                                          "RENCAI_FILES_LINK_SECRET", "RENCAI_SERVICE_KEY"))}
        return {**inherited, "PYTHONPATH": str(PROJECT_ROOT), "RENCAI_BUS_URL": self.bus_url,
                "RENCAI_VAR_DIR": str(self.tmp), "RENCAI_FILES_DIR": str(self.tmp / "files"),
                "RENCAI_PII_KEY_FILE": str(self.keys / "pii_key"),
                "RENCAI_SIGNING_KEK_FILE": str(self.keys / "signing_kek"),
                "RENCAI_FILES_LINK_SECRET_FILE": str(self.keys / "files_link_secret"),
                "RENCAI_SERVICE_KEY_FILE": str(self.keys / "service_key"),
                "RENCAI_JWKS_URL": f"http://127.0.0.1:{self.ports['identity']}/.well-known/jwks.json",
                **{f"RENCAI_{n.upper()}_DATABASE_URL": u for n, u in self.service_urls.items()},
                **{f"RENCAI_{n.upper()}_URL": f"http://127.0.0.1:{self.ports[n]}" for n in SERVICES},
                # As a deployment: not development (no /dev/sms), a real HTTP SMS gateway and
                # name check — demo/fake_gateways, whose inbox the tests read the codes from.
                "RENCAI_ENV": "production", "RENCAI_SMS_URL": self.sms_inbox,
                "RENCAI_NAME_CHECK_URL": self.sms_inbox.replace("/sms", "/name-check"),
                **extra}

    def run(self, *args: str, **extra):
        done = subprocess.run([str(BIN / "python"), *args], env=self.env(**extra),
                              cwd=PROJECT_ROOT, capture_output=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed:\n{done.stderr.decode()[-3000:]}")

    def spawn(self, label: str, argv: list[str], **extra):
        log = open(self.tmp / f"{label}.log", "wb")
        process = subprocess.Popen(argv, env=self.env(**extra), cwd=PROJECT_ROOT, stdout=log,
                                   stderr=subprocess.STDOUT)
        self.processes.append((label, process))

    def gunicorn(self, label: str, module: str, port: int, **extra):
        self.spawn(label, [str(BIN / "gunicorn"), "-w", "1", "-b",
                           f"127.0.0.1:{port}", "--graceful-timeout", "2", module], **extra)

    def start(self):
        self.run("-m", "services.common.topology")
        self._purge_service_queues()  # leftovers of an earlier run belong to other databases
        for name in SERVICES:  # as make stack: the role, its database, migrations, grants
            self.run("-m", "services.common.migrate", name, RENCAI_DATABASE_ADMIN_URL=PG_ADMIN_URL,
                     RENCAI_DATABASE_URL=self.service_urls[name])
        self.run("-m", "demo.seed")
        self.spawn("fake_gateways", [str(BIN / "python"), "-m", "demo.fake_gateways",
                                     "--port", str(self.ports["fake_gateways"])])
        for name in SERVICES:
            self.gunicorn(name, f"services.{name}.wsgi:app", self.ports[name],
                          RENCAI_DATABASE_URL=self.service_urls[name])
        self.gunicorn("gateway", "gateway.wsgi:app", self.ports["gateway"])
        self.base_url = f"http://127.0.0.1:{self.ports['gateway']}"
        self._wait_healthy()

    def _purge_service_queues(self):
        connection = pika.BlockingConnection(pika_parameters(self.bus_url))
        channel = connection.channel()
        for name in subscriptions():
            for queue in (f"rencai.{name}", f"rencai.{name}.dead"):
                channel.queue_purge(queue)
        connection.close()

    def _wait_healthy(self, timeout: float = 60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for label, process in self.processes:
                if process.poll() is not None:
                    raise RuntimeError(f"{label} exited:\n{self.log(label)}")
            try:
                if requests.get(self.base_url + "/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise RuntimeError("the stack did not become healthy:\n" +
                           "\n".join(self.log(label) for label, _ in self.processes))

    def bus_worker(self, label: str) -> int | None:
        """The pid of the bus worker that gunicorn `label` forked (services/common/worker.py)."""
        master = dict(self.processes)[label].pid
        try:
            with open(f"/proc/{master}/task/{master}/children") as handle:
                workers = [int(pid) for pid in handle.read().split()]
        except OSError:
            return None
        for pid in workers:
            try:
                with open(f"/proc/{pid}/comm") as handle:
                    if handle.read().startswith(BUS_PROCESS_PREFIX):
                        return pid
            except OSError:
                continue
        return None

    def log(self, label: str) -> str:
        return f"--- {label} ---\n" + (self.tmp / f"{label}.log").read_text(errors="replace")[-3000:]

    def wait_for_read_model(self, timeout: float = 30):
        """The seeded orgs events must have reached workflow's read model before applying."""
        engine = create_engine(self.urls["workflow"])
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                with engine.connect() as connection:
                    if connection.execute(text("SELECT count(*) FROM person_unit")).scalar() >= 2:
                        return
                time.sleep(0.2)
        finally:
            engine.dispose()
        raise RuntimeError("workflow never received the seeded affiliations:\n" +
                           self.log("orgs") + self.log("workflow"))

    def stop(self):
        for _, process in self.processes:
            process.terminate()
        for _, process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        admin = create_engine(f"{PG_ADMIN_URL}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            for database in self.databases.values():
                connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()
        _drop_vhost(self.bus_url)


def _reachable() -> str | None:
    try:
        engine = create_engine(f"{PG_ADMIN_URL}/postgres")
        with engine.connect():
            pass
        engine.dispose()
    except Exception as error:  # noqa: BLE001 - any failure means "not here"
        return f"PostgreSQL at {PG_ADMIN_URL} is unreachable ({error.__class__.__name__})"
    try:
        pika.BlockingConnection(pika_parameters(BUS_URL)).close()
    except Exception as error:  # noqa: BLE001
        return f"RabbitMQ at {BUS_URL} is unreachable ({error.__class__.__name__})"
    return None


def running_stack(make: Callable[[], Stack]):
    """Makes a stack once PostgreSQL and RabbitMQ answer, starts it with a tap on its bus,
    yields it, and stops it whatever happens (the session's stack, and a test's own)."""
    reason = _reachable()
    if reason:
        _unavailable(reason)
    running = make()
    tap = None
    try:
        tap = Tap(running.bus_url)
        running.start()
        running.tap = tap
        running.wait_for_read_model()
        yield running
    finally:
        try:
            if tap:
                tap.close()
        finally:  # whatever became of the tap, the processes and databases must go
            running.stop()


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    yield from running_stack(lambda: Stack(tmp_path_factory.mktemp("stack")))


@pytest.fixture
def gateway(stack):
    """The stack's gateway over HTTP, as a client sees it."""
    from tests.support import Gateway

    return Gateway.over_http(stack.base_url, sms_inbox=stack.sms_inbox)
