"""Locking and reviewers' access from workflow's events (the consumer driven with
envelopes), and short-lived signed links."""
from __future__ import annotations

import time
import uuid

from services.common import audit
from services.common.bus import make_envelope
from services.files.model import Attachment

from tests.service.test_files import PDF, PNG, UNIT_ID, assert_problem, attachment_owner, post_file, stored_files
# the shared fixtures
from tests.service.test_files import app, client, files_config, settings, signing_key, token  # noqa: F401

SUPERVISOR_ORG = "00000000-0000-4000-8000-000000000011"


def deliver(app, type_: str, data: dict) -> bool:
    envelope = make_envelope(type_, "workflow", data["instance_id"], data)
    consumer = app.extensions["rencai.kit"].worker.consumer
    return consumer.apply(envelope), envelope


def started(app, applicant: dict, attachment_ids: list[str]) -> str:
    instance_id = str(uuid.uuid4())
    deliver(app, "workflow.instance.started", {
        "instance_id": instance_id, "process_key": "plan_project", "title": "申请计划项目",
        "applicant_id": attachment_owner(applicant), "unit_id": UNIT_ID,
        "attachment_ids": attachment_ids})
    return instance_id


def task_created(app, instance_id: str, group: str) -> None:
    deliver(app, "workflow.task.created", {
        "task_id": str(uuid.uuid4()), "instance_id": instance_id, "task_key": "review",
        "title": "归口单位审核", "candidate_group": group})


def test_submitted_application_locks_its_attachments(app, client, settings, token):
    alice, bob = token(), token(name="李四")
    mine = post_file(client, alice, PDF, "学位.pdf", "degree").get_json()["id"]
    spare = post_file(client, alice, PDF, "学位2.pdf", "degree").get_json()["id"]
    bobs = post_file(client, bob, PDF, "李四的.pdf", "degree").get_json()["id"]
    started(app, alice, [mine, bobs, str(uuid.uuid4())])

    problem = assert_problem(client.delete(f"/attachments/{mine}", headers=alice), 409)
    assert problem["detail"] == "该附件已被提交的申请引用，不能删除"
    assert "审核期间需保持不变" in problem["errors"]["attachment_id"]
    assert client.get(f"/attachments/{mine}", headers=alice).get_json()["locked"] is True
    # someone else's id in the application locks nothing of theirs
    assert client.get(f"/attachments/{bobs}", headers=bob).get_json()["locked"] is False
    assert client.delete(f"/attachments/{bobs}", headers=bob).status_code == 204
    assert client.delete(f"/attachments/{spare}", headers=alice).status_code == 204
    assert len(stored_files(settings)) == 1  # the locked file's bytes are kept


def test_redelivery_is_a_no_op(app, client, token):
    alice = token()
    mine = post_file(client, alice, PDF, "学位.pdf", "degree").get_json()["id"]
    applied, envelope = deliver(app, "workflow.instance.started", {
        "instance_id": str(uuid.uuid4()), "applicant_id": attachment_owner(alice),
        "attachment_ids": [mine, mine]})
    assert applied is True
    assert app.extensions["rencai.kit"].worker.consumer.apply(envelope) is False


def test_replacing_a_locked_file_keeps_it_for_the_reviewers(app, client, settings, token):
    alice = token()
    photo = post_file(client, alice, PNG, "照片.png").get_json()["id"]
    instance_id = started(app, alice, [photo])
    task_created(app, instance_id, f"supervisor:{SUPERVISOR_ORG}")
    newer = post_file(client, alice, PNG, "新照片.png").get_json()["id"]
    page = client.get("/attachments?category=id_photo", headers=alice).get_json()
    assert [a["id"] for a in page["items"]] == [newer]
    reviewer = token(kind="staff", name="科委审核员", org=SUPERVISOR_ORG, roles=("supervisor",))
    listed = client.get(f"/instances/{instance_id}/attachments", headers=reviewer).get_json()
    assert [a["id"] for a in listed] == [photo]  # exactly what was submitted
    assert client.get(f"/attachments/{photo}/content", headers=reviewer).status_code == 200
    assert len(stored_files(settings)) == 2


def test_reviewers_of_the_instance_may_view_others_may_not(app, client, token):
    alice = token()
    degree = post_file(client, alice, PDF, "学位.pdf", "degree").get_json()["id"]
    unreferenced = post_file(client, alice, PDF, "其他.pdf", "degree").get_json()["id"]
    instance_id = started(app, alice, [degree])
    task_created(app, instance_id, f"supervisor:{SUPERVISOR_ORG}")

    reviewer = token(kind="staff", name="科委审核员", org=SUPERVISOR_ORG, roles=("supervisor",))
    other_body = token(kind="staff", name="教委审核员", org=str(uuid.uuid4()),
                       roles=("supervisor",))
    content = client.get(f"/attachments/{degree}/content", headers=reviewer)
    assert content.status_code == 200 and content.get_data() == PDF
    assert content.headers["X-Content-Type-Options"] == "nosniff"
    assert content.mimetype == "application/pdf"
    assert client.get(f"/attachments/{degree}", headers=reviewer).status_code == 200
    # reviewers read; only the owner deletes
    assert_problem(client.delete(f"/attachments/{degree}", headers=reviewer), 404)
    for response in (client.get(f"/attachments/{unreferenced}", headers=reviewer),
                     client.get(f"/attachments/{degree}", headers=other_body),
                     client.get(f"/attachments/{degree}/content", headers=other_body)):
        assert assert_problem(response, 404)["detail"] == "附件不存在"
    assert_problem(client.get(f"/instances/{instance_id}/attachments", headers=other_body), 404)
    own_view = client.get(f"/instances/{instance_id}/attachments", headers=alice)
    assert [a["id"] for a in own_view.get_json()] == [degree]
    # The reviewer's view of the document is on the audit log; refused looks are not views.
    db = app.extensions["rencai.kit"].db
    [viewed] = audit.search(db, action="attachment.viewed", object_id=degree)["items"]
    assert viewed["actor_kind"] == "staff" and viewed["actor_roles"] == "supervisor"
    assert viewed["subject_id"] == attachment_owner(alice)
    assert viewed["detail"]["via"] == "reviewer"
    assert audit.search(db, action="attachment.uploaded", object_id=degree)["total"] == 1


def test_signed_link_works_without_a_token_and_expires(app, client, token, files_config):
    alice = token()
    degree = post_file(client, alice, PDF, "学位证.pdf", "degree").get_json()["id"]
    assert_problem(client.post(f"/attachments/{degree}/links", headers=token()), 404)
    link = client.post(f"/attachments/{degree}/links", headers=alice)
    assert link.status_code == 201
    body = link.get_json()
    assert body["expires_in"] == 300 and body["url"].startswith("/api/files/signed/")
    path = body["url"].removeprefix("/api/files")
    served = client.get(path)  # no Authorization header
    assert served.status_code == 200 and served.get_data() == PDF
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Disposition"].startswith("inline")
    assert_problem(client.get(path[:-3] + "abc"), 404)
    db = app.extensions["rencai.kit"].db
    [made] = audit.search(db, action="attachment.link_created", object_id=degree)["items"]
    assert made["subject_id"] == attachment_owner(alice)
    [opened] = audit.search(db, action="attachment.viewed", object_id=degree)["items"]
    assert opened["actor_kind"] == "anonymous" and opened["detail"]["via"] == "signed-link"
    app.extensions["rencai.files"].config = files_config.__class__(
        link_secret=files_config.link_secret, link_seconds=0)
    time.sleep(1.1)
    assert assert_problem(client.get(path), 410)["detail"] == "链接已过期，请重新打开附件"


def test_link_of_a_deleted_file_is_dead(app, client, token):
    alice = token()
    degree = post_file(client, alice, PDF, "学位证.pdf", "degree").get_json()["id"]
    path = client.post(f"/attachments/{degree}/links", headers=alice).get_json()["url"]
    client.delete(f"/attachments/{degree}", headers=alice)
    assert_problem(client.get(path.removeprefix("/api/files")), 404)
    db = app.extensions["rencai.kit"].db
    [deleted] = audit.search(db, action="attachment.deleted", object_id=degree)["items"]
    assert deleted["before"]["name"] == "学位证.pdf" and audit.verify(db)["ok"]


def test_locked_flag_in_the_database(app, client, token):
    alice = token()
    degree = post_file(client, alice, PDF, "学位证.pdf", "degree").get_json()["id"]
    started(app, alice, [degree])
    with app.extensions["rencai.kit"].db.reading() as session:
        assert session.get(Attachment, degree).locked is True


def test_the_stack_topology_binds_what_files_consumes():
    from services.common.topology import subscriptions

    assert {"workflow.instance.started", "workflow.instance.resubmitted",
            "workflow.task.created", "orgs.affiliation.approved"} <= set(subscriptions()["files"])


def test_resubmission_locks_what_the_corrected_application_references(app, client, token):
    alice = token()
    first = post_file(client, alice, PDF, "学位.pdf", "degree").get_json()["id"]
    instance_id = started(app, alice, [first])
    added = post_file(client, alice, PDF, "补充.pdf", "other").get_json()["id"]
    assert client.delete(f"/attachments/{added}", headers=alice).status_code == 204
    added = post_file(client, alice, PDF, "补充.pdf", "other").get_json()["id"]
    deliver(app, "workflow.instance.resubmitted", {
        "instance_id": instance_id, "applicant_id": attachment_owner(alice),
        "attachment_ids": [first, added]})
    assert_problem(client.delete(f"/attachments/{added}", headers=alice), 409)
    assert {a["id"] for a in client.get(f"/instances/{instance_id}/attachments",
                                        headers=alice).get_json()} == {first, added}


def test_default_name_follows_orgs_events(app, client, token):
    alice = token(name="韩梅梅")
    person_id = attachment_owner(alice)

    def default_name():
        slots = client.get("/slots?q=诚信声明", headers=alice).get_json()
        return slots[0]["default_name"]

    assert default_name() == "XX单位-韩梅梅-诚信声明"
    for type_, data in (
            ("orgs.org.registered", {"org_id": UNIT_ID, "kind": "unit", "name": "北京星河软件"}),
            ("orgs.org.updated", {"org_id": UNIT_ID, "kind": "unit", "name": "北京星河软件有限公司"}),
            ("orgs.affiliation.approved", {"affiliation_id": "a1", "person_id": person_id,
                                           "unit_id": UNIT_ID})):
        envelope = make_envelope(type_, "orgs", "x", data)
        assert app.extensions["rencai.kit"].worker.consumer.apply(envelope)
    assert default_name() == "北京星河软件有限公司-韩梅梅-诚信声明"
    envelope = make_envelope("orgs.affiliation.unlinked", "orgs", "x", {
        "affiliation_id": "a1", "person_id": person_id, "unit_id": UNIT_ID, "reason": "离职"})
    app.extensions["rencai.kit"].worker.consumer.apply(envelope)
    assert default_name() == "XX单位-韩梅梅-诚信声明"
