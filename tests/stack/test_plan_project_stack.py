"""申请计划项目 against the real stack: PostgreSQL, RabbitMQ, gunicorn processes, and pika
reading what crossed the exchange."""
import pytest
import requests

from services.common.topology import queue_depths
from tests import flows



def test_the_gateway_reports_every_service_healthy(stack):
    health = requests.get(stack.base_url + "/healthz", timeout=5).json()
    assert health == {"status": "ok", "services": {n: "ok" for n in
                                                   ("identity", "orgs", "files", "workflow")}}


def test_basic_info_is_prefilled_from_the_profile(gateway):
    flows.basic_info_prefilled(gateway)


def test_approved_at_every_level(gateway, stack):
    final = flows.approve_all(gateway)
    envelopes = stack.tap.drain()
    mine = [e for e in envelopes if e["data"].get("instance_id") == final["id"]]
    kinds = [e["type"] for e in mine]
    assert kinds[0] == "workflow.instance.started"
    # Three reviewers, then a panel of three experts of whom two decide.
    assert kinds.count("workflow.task.created") == 6
    assert kinds.count("workflow.task.completed") == 5
    assert kinds[-1] == "workflow.instance.completed"
    completed = mine[-1]
    assert completed["producer"] == "workflow" and completed["data"]["outcome"] == "approved"
    assert set(completed) == {"id", "type", "occurred_at", "producer", "subject", "data", "trace_id"}
    # Persistent messages, and the message id is the envelope id (the consumers' dedupe key).
    properties = {e_id: p for p, e in stack.tap.seen for e_id in [e["id"]]}
    assert properties[completed["id"]]["delivery_mode"] == 2
    assert properties[completed["id"]]["message_id"] == completed["id"]


@pytest.mark.parametrize("level", range(4), ids=["unit", "supervisor", "bureau", "expert"])
def test_rejection_at_each_level(gateway, level):
    flows.reject_at(gateway, level)


def test_return_and_resubmit(gateway):
    flows.return_and_resubmit(gateway)


def test_education_certificate_and_work_proof_are_required(gateway):
    flows.attachments_required(gateway)


def test_another_supervising_body_is_shut_out(gateway):
    flows.other_supervisor_is_shut_out(gateway)


def test_second_completion_conflicts(gateway):
    flows.second_completion_conflicts(gateway)


def test_seed_events_crossed_rabbitmq_and_nothing_is_dead_lettered(stack, gateway):
    kinds = {e["type"] for e in stack.tap.drain()}
    assert {"orgs.org.registered", "orgs.affiliation.approved",
            "identity.account.created"} <= kinds

    def consumed():
        depths = queue_depths(stack.bus_url)
        return depths if depths["rencai.identity"] == depths["rencai.workflow"] == 0 else None

    depths = gateway.eventually(consumed)
    assert depths, queue_depths(stack.bus_url)
    assert depths["rencai.identity.dead"] == depths["rencai.workflow.dead"] == 0
