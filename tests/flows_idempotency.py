"""Idempotency-Key on the POSTs that create (tests/e2e and tests/stack run these): a retried
request with the same key answers the first answer and creates nothing new."""
from __future__ import annotations

import uuid

from tests.support import APPLICATION, PDF, Gateway

WF = "/api/workflow"


def _send(user, path, key, *, json=None, form=None):
    return user.gateway.send("POST", path, json=json, form=form,
                             headers={"Authorization": f"Bearer {user.token}",
                                      "Idempotency-Key": key})


def _my_instances(user) -> list[str]:
    reply = user.get(f"{WF}/instances?per_page=100")
    assert reply.status == 200, reply
    return [item["id"] for item in reply.body["items"]]


def a_retried_start_creates_one_instance(gateway: Gateway) -> None:
    person = gateway.login("zhangsan")
    before = _my_instances(person)
    key = str(uuid.uuid4())
    body = {"process_key": "plan_project", "data": APPLICATION}
    first = _send(person, f"{WF}/instances", key, json=body)
    assert first.status == 201, first
    again = _send(person, f"{WF}/instances", key, json=body)  # the response was "lost"
    assert again.status == 201 and again.body == first.body
    assert again.headers.get("Idempotent-Replayed") == "true"
    after = _my_instances(person)
    assert len(after) == len(before) + 1 and first.body["id"] in after
    # the same key for another request is refused, and creates nothing either
    other = _send(person, f"{WF}/instances", key,
                  json={**body, "data": {**APPLICATION, "project_name": "另一个项目"}})
    assert other.status == 422 and "Idempotency-Key" in other.body["errors"], other
    assert len(_my_instances(person)) == len(after)
    # a key is the caller's own: another person's same key is a new request of theirs
    lisi = gateway.login("lisi")
    theirs = _send(lisi, f"{WF}/instances", key, json=body)
    assert theirs.status == 201 and theirs.body["id"] != first.body["id"]


def a_failed_request_can_be_retried_with_its_key(gateway: Gateway) -> None:
    person = gateway.login("zhangsan")
    key = str(uuid.uuid4())
    incomplete = {"process_key": "plan_project", "data": {**APPLICATION, "project_name": ""}}
    refused = _send(person, f"{WF}/instances", key, json=incomplete)
    assert refused.status == 422, refused
    assert _send(person, f"{WF}/instances", key, json=incomplete).status == 422  # ran again
    assert "Idempotent-Replayed" not in _send(person, f"{WF}/instances", key,
                                              json=incomplete).headers


def a_retried_upload_stores_one_file(gateway: Gateway) -> None:
    person = gateway.login("zhangsan")
    key = str(uuid.uuid4())
    form = {"category": "degree", "file": ("学位证书.pdf", PDF)}

    def mine():
        reply = person.get("/api/files/attachments?per_page=100")
        assert reply.status == 200, reply
        return [item["id"] for item in reply.body["items"]]

    before = mine()
    first = _send(person, "/api/files/attachments", key, form=form)
    assert first.status == 201, first
    again = _send(person, "/api/files/attachments", key, form=form)  # a new multipart boundary
    assert again.status == 201 and again.body["id"] == first.body["id"], again
    assert len(mine()) == len(before) + 1


def a_bad_key_is_a_clear_4xx(gateway: Gateway) -> None:
    person = gateway.login("zhangsan")
    reply = person.gateway.send("POST", f"{WF}/instances", json={"process_key": "plan_project",
                                                                  "data": APPLICATION},
                                headers={"Authorization": f"Bearer {person.token}",
                                         "Idempotency-Key": "x" * 201})
    assert reply.status == 422 and "Idempotency-Key" in reply.body["errors"], reply
