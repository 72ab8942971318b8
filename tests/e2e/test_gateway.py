"""The gateway's own duties, embedded: routing, request ids, body limit, health, API docs."""
import json

from sqlalchemy import select

from services.workflow.model import BUS
from tests.support import APPLICATION


def test_request_ids_are_propagated_or_made(gateway):
    reply = gateway.send("GET", "/api/identity/.well-known/jwks.json",
                         headers={"X-Request-Id": "trace-abc-123"})
    assert reply.status == 200 and reply.headers["X-Request-Id"] == "trace-abc-123"
    made = gateway.send("GET", "/api/identity/.well-known/jwks.json",
                        headers={"X-Request-Id": "not a valid id"})
    assert made.headers["X-Request-Id"] not in ("", "not a valid id")


def test_the_request_id_becomes_the_trace_id_of_the_events(gateway, embedded):
    user = gateway.login("zhangsan")
    reply = gateway.send("POST", "/api/workflow/instances",
                         json={"process_key": "plan_project", "data": APPLICATION},
                         headers={"Authorization": f"Bearer {user.token}",
                                  "X-Request-Id": "submit-0001"})
    assert reply.status == 201
    with embedded.kit("workflow").db.reading() as session:
        envelopes = [json.loads(row) for row in session.scalars(select(BUS.outbox.c.envelope))]
    started = [e for e in envelopes if e["type"] == "workflow.instance.started"
               and e["data"]["instance_id"] == reply.body["id"]]
    assert started and started[0]["trace_id"] == "submit-0001"


def test_bodies_over_the_limit_are_refused_before_the_service(gateway):
    token = gateway.login("zhangsan").token
    reply = gateway.send("POST", "/api/workflow/instances", json={"data": "x" * (21 * 1024 * 1024)},
                         headers={"Authorization": f"Bearer {token}"})
    assert reply.status == 413
    assert reply.headers["Content-Type"].startswith("application/problem+json")
    assert reply.body["detail"] == "请求内容不能超过 20 MB"


def test_unknown_service_and_unknown_path_are_problems(gateway):
    reply = gateway.send("GET", "/api/payroll/anything")
    assert reply.status == 404 and reply.body["detail"] == "没有名为 payroll 的服务"
    token = gateway.login("zhangsan").token
    reply = gateway.send("GET", "/api/workflow/nothing-here",
                         headers={"Authorization": f"Bearer {token}"})
    assert reply.status == 404
    assert reply.headers["Content-Type"].startswith("application/problem+json")


def test_health_aggregates_every_service(gateway):
    reply = gateway.send("GET", "/healthz")
    assert reply.status == 200
    assert reply.body == {"status": "ok", "services": {
        "identity": "ok", "orgs": "ok", "files": "ok", "workflow": "ok"}}


def test_every_service_serves_its_openapi_document_through_the_gateway(gateway):
    listing = gateway.send("GET", "/api/docs").body["services"]
    assert set(listing) == {"identity", "orgs", "files", "workflow"}
    for name, path in listing.items():
        document = gateway.send("GET", path)
        assert document.status == 200, name
        assert document.body["openapi"].startswith("3.")
        assert document.body["servers"] == [{"url": f"/api/{name}"}]
        assert document.body["paths"], name


def test_a_client_over_its_rate_gets_429_with_retry_after(embedded):
    from gateway.app import create_gateway
    from gateway.ratelimit import RateLimiter

    gateway = create_gateway({}, embedded.verifier, limiter=RateLimiter(per_second=1, burst=3))
    client = gateway.test_client()
    statuses = [client.get("/healthz").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = client.get("/healthz")
    assert refused.headers["Retry-After"] == "1"
    assert refused.get_json()["detail"] == "请求过于频繁，请稍后再试"
    other = client.get("/healthz", environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert other.status_code == 200  # the limit is per client
