"""Scale out, correctly: two replicas of every service (gunicorn, each with its bus worker:
two bus workers per service) on one PostgreSQL and one RabbitMQ, as compose.yaml's
`deploy.replicas: 2` runs them.

Replica k of every process calls replica k of its peers and sits behind gateway k; the
client alternates between the two gateways, so every request and every event may land on
either replica. Businesses run (applications approved at the unit, which fan events out to
files and orgs) and timers fire (a 申请计划项目 whose reminder and time limit are seconds).
Then: every published event crossed RabbitMQ once and was handled once by every subscriber
(processed_messages), nothing is left in an outbox or on a queue, nothing is dead-lettered,
each timer fired once (the scheduler lease) with one prompt per reminder.
"""
from __future__ import annotations

import collections
import time

import pika
import pytest
from sqlalchemy import create_engine, text

from services.common.config import PROJECT_ROOT, SERVICES
from services.common.topology import pika_parameters, queue_depths, subscriptions
from services.workflow import forms
from tests.stack.conftest import (BIN, PG_ADMIN_URL, Stack, _free_port, running_stack)
from tests.support import APPLICATION, Gateway, User

REPLICAS = 2
FAST = 3  # plan_fast instances: reminder after 3 s, returned after 8 s
APPROVED = 4  # plan_project instances approved by the unit


class TwinStack(Stack):
    """Per service two gunicorn replicas, each with its web worker and its bus worker; two
    gateways."""

    def start(self):
        self.run("-m", "services.common.topology")
        self._purge_service_queues()
        for name in SERVICES:
            self.run("-m", "services.common.migrate", name,
                     RENCAI_DATABASE_ADMIN_URL=PG_ADMIN_URL,
                     RENCAI_DATABASE_URL=self.service_urls[name])
        self.run("-m", "demo.seed")
        self.spawn("fake_gateways", [str(BIN / "python"), "-m", "demo.fake_gateways",
                                     "--port", str(self.ports["fake_gateways"])])
        self.replica_ports = [self.ports] + [
            {name: _free_port() for name in [*SERVICES, "gateway"]} for _ in range(REPLICAS - 1)]
        for replica, ports in enumerate(self.replica_ports):
            peers = {f"RENCAI_{n.upper()}_URL": f"http://127.0.0.1:{ports[n]}" for n in SERVICES}
            peers["RENCAI_JWKS_URL"] = f"http://127.0.0.1:{ports['identity']}/.well-known/jwks.json"
            for name in SERVICES:
                url = {"RENCAI_DATABASE_URL": self.service_urls[name]}
                self.spawn(f"{name}_{replica}", [str(BIN / "gunicorn"), "-w", "1", "-b",
                                                 f"127.0.0.1:{ports[name]}", "--graceful-timeout",
                                                 "2", f"services.{name}.wsgi:app"], **peers, **url)
            self.spawn(f"gateway_{replica}", [str(BIN / "gunicorn"), "-w", "1", "-b",
                                              f"127.0.0.1:{ports['gateway']}", "--graceful-timeout",
                                              "2", "gateway.wsgi:app"], **peers)
        self.base_urls = [f"http://127.0.0.1:{p['gateway']}" for p in self.replica_ports]
        for url in self.base_urls:  # _wait_healthy asks base_url's /healthz
            self.base_url = url
            self._wait_healthy()
        self.base_url = self.base_urls[0]


@pytest.fixture(scope="module")
def twin(tmp_path_factory):
    yield from running_stack(lambda: TwinStack(tmp_path_factory.mktemp("twin")))


def _query(stack: Stack, service: str, sql: str, **params) -> list:
    engine = create_engine(stack.urls[service])
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql), params).all()
    finally:
        engine.dispose()


def _consumers(stack: Stack) -> dict[str, int]:
    connection = pika.BlockingConnection(pika_parameters(stack.bus_url))
    try:
        channel = connection.channel()
        return {s: channel.queue_declare(f"rencai.{s}", passive=True).method.consumer_count
                for s in subscriptions()}
    finally:
        connection.close()


def _deploy_fast(admin: User) -> None:
    """申请计划项目 with a reminder after 3 s and the time limit after 8 s."""
    plan = (PROJECT_ROOT / "bpmn" / "plan_project.bpmn").read_text("utf-8")
    fast = plan.replace('id="plan_project"', 'id="plan_fast"').replace(
        'processRef="plan_project"', 'processRef="plan_fast"').replace(
        '"P3D"', '"PT3S"').replace('"P5D"', '"PT8S"')
    uploaded = admin.post("/api/workflow/admin/definitions/plan_fast/versions",
                          {"bpmn_xml": fast, "note": "scale-out test", "forms": forms.load_forms(
                              PROJECT_ROOT / "bpmn" / "forms" / "plan_project")})
    assert uploaded.status == 201, uploaded
    deployed = admin.post("/api/workflow/admin/definitions/plan_fast/versions/"
                          f"{uploaded.body['version']}/deploy", {})
    assert deployed.status == 200, deployed


def test_two_replicas_and_two_bus_workers_handle_every_event_and_timer_once(twin):
    one, two = (Gateway.over_http(url, sms_inbox=twin.sms_inbox) for url in twin.base_urls)
    two.staff = one.staff  # one authenticator: a TOTP code signs in once, whichever gateway
    assert _consumers(twin) == {s: REPLICAS for s in subscriptions()}

    _deploy_fast(one.login("admin"))
    applicant, unit = one.login("zhangsan"), one.login("zhizao")
    on = [applicant, User(two, applicant.token)], [unit, User(two, unit.token)]
    fast = []
    for n in range(FAST):  # started and claimed through alternating gateways
        reply = on[0][n % 2].start("plan_fast", APPLICATION)
        assert reply.status == 201, reply
        fast.append(reply.body["id"])
        task = on[1][(n + 1) % 2].task_of(fast[-1])
        assert on[1][n % 2].post(f"/api/workflow/tasks/{task}/claim", {}).status == 200
    approved = []
    for n in range(APPROVED):
        approved.append(on[0][n % 2].submit()["id"])
        assert on[1][(n + 1) % 2].decide(approved[-1], "approve").status == 200

    # Each timer fires once: every fast instance is reminded, then returned by its limit.
    def returned():
        return all(applicant.instance(i)["status"] == "returned" for i in fast)

    assert one.eventually(returned, timeout=40), [applicant.instance(i)["status"] for i in fast]
    fired = collections.Counter(
        (row.instance_id, row.action) for row in _query(
            twin, "workflow", "SELECT instance_id, action FROM audit_entry "
            "WHERE action IN ('remind', 'overdue') AND instance_id = ANY(:ids)", ids=fast))
    assert fired == {(i, a): 1 for i in fast for a in ("remind", "overdue")}, fired
    for instance in approved:
        assert "用人单位" not in str(applicant.instance(instance)["current_stage"])

    # Nothing left behind: every outbox relayed, every queue drained, nothing dead-lettered.
    def settled():
        unsent = {s: _query(twin, s, "SELECT count(*) FROM outbox WHERE sent_at IS NULL")[0][0]
                  for s in SERVICES}
        return not any(unsent.values()) and not any(queue_depths(twin.bus_url).values())

    assert one.eventually(settled, timeout=30), queue_depths(twin.bus_url)
    time.sleep(0.5)
    envelopes = twin.tap.drain()
    published = collections.Counter(p["message_id"] for p, _ in twin.tap.seen)
    assert [m for m, c in published.items() if c > 1] == []  # each relayed once (SKIP LOCKED)
    outboxes = {s: {r.id for r in _query(twin, s, "SELECT id FROM outbox")} for s in SERVICES}
    assert {e["id"] for e in envelopes} == set().union(*outboxes.values())  # nothing lost
    timers = collections.Counter(e["data"]["instance_id"] for e in envelopes
                                 if e["type"] == "workflow.timer.fired")
    assert timers == {i: 2 for i in fast}, timers
    # Every subscriber handled each of its events, once (one processed row per envelope, and
    # the effects below counted once).
    for service, types in subscriptions().items():
        wanted = {e["id"] for e in envelopes if e["type"] in types}
        handled = {r.id for r in _query(twin, service, "SELECT id FROM processed_messages")}
        assert wanted <= handled, (service, len(wanted - handled))
    reminders = collections.Counter(row.instance_id for row in _query(
        twin, "workflow", "SELECT instance_id FROM prompt WHERE text LIKE '%即将超过规定时限%'"))
    assert reminders == {i: 1 for i in fast}, reminders
    leases = _query(twin, "workflow", "SELECT holder FROM scheduler_lease")
    assert len(leases) == 1
