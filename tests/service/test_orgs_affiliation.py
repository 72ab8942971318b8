"""orgs: a person links to a unit by its association code; the unit reviews, lists, keeps
position and contract, and unlinks (refused while the employee has business in progress)."""
import pytest
from sqlalchemy import text

from services.common import audit

from tests.service.test_orgs_fixtures import (CODE_A, CODE_B, linked, request_link,  # noqa: F401
                                              migrated_orgs_db, signing_key, verified, world)

ID_ZHANG = "11010519491231002X"
ID_LI = "110101199003074477"


def test_a_person_finds_the_unit_requests_and_the_unit_approves(world):
    me = world.as_("person", "p-zhang", "张三")
    status, found = world.call("GET", f"/association-codes/{CODE_A}", me, None)
    assert status == 200 and found["name"] == "北京智能制造研究院"
    assert world.call("GET", "/me/affiliation", me, None)[1]["detail"] == "您未关联单位，请点击进行关联"

    verified(world, "p-zhang", ID_ZHANG, "13800138000")
    status, request = world.call("POST", "/me/affiliation-requests", me,
                                 {"association_code": f" {CODE_A.lower()} ", "id_number": ID_ZHANG,
                                  "phone": "13800138000"})
    assert status == 201 and request["status"] == "pending" and request["status_title"] == "待确认"
    assert world.events("orgs.affiliation.requested")[-1]["data"]["person_name"] == "张三"

    status, pending = world.call("GET", f"/units/{world.unit}/affiliations", world.as_("unit"),
                                 None)
    assert pending["total"] == 1
    item = pending["items"][0]
    assert item["person_name"] == "张三" and item["id_number"] == "110***********002X"
    assert item["phone"] == "138****8000"

    status, body = world.call("POST", f"/units/{world.unit}/affiliations/{item['affiliation_id']}"
                              "/approve", world.as_("unit"), {"reason": "同意"})
    assert status == 200 and body["status"] == "approved"
    assert world.events("orgs.affiliation.approved")[-1]["data"] == {
        "affiliation_id": item["affiliation_id"], "person_id": "p-zhang", "unit_id": world.unit}
    status, mine = world.call("GET", "/me/affiliation", me, None)
    assert status == 200 and mine["unit_name"] == "北京智能制造研究院"
    # Deciding twice is a conflict, not a second event.
    status, _ = world.call("POST", f"/units/{world.unit}/affiliations/{item['affiliation_id']}"
                           "/reject", world.as_("unit"), {"reason": "重复"})
    assert status == 409 and len(world.events("orgs.affiliation.approved")) == 1
    # Request and decision are on the audit log (numbers masked there too).
    trail = audit.search(world.kit.db, object_id=item["affiliation_id"])["items"]
    assert [e["action"] for e in trail] == ["affiliation.approved", "affiliation.requested"]
    assert trail[0]["subject_id"] == "p-zhang" and trail[0]["actor_kind"] == "unit"
    assert (trail[0]["before"]["status"], trail[0]["after"]["status"]) == ("pending", "approved")
    assert trail[1]["after"]["id_number"] == "110***********002X"
    assert audit.verify(world.kit.db)["ok"]


def test_a_person_files_only_their_own_id_number_and_phone(world):
    """Issue 17 §2: one person could file another's ID number and phone."""
    me = world.as_("person", "p-wang", "王五")
    body = {"association_code": CODE_A, "id_number": ID_ZHANG, "phone": "13800138000"}
    status, refused = world.call("POST", "/me/affiliation-requests", me, body)
    assert status == 422 and refused["errors"] == {
        "id_number": "请先完成实名认证，再填写本人的身份证号和手机号"}
    verified(world, "p-wang", ID_LI, "13900139000")
    status, refused = world.call("POST", "/me/affiliation-requests", me, body)
    assert status == 422 and refused["errors"] == {
        "id_number": "身份证号与您实名认证的身份证号不一致，请填写本人的身份证号",
        "phone": "手机号与您账号绑定的手机号不一致，请填写本人的手机号"}
    assert world.events("orgs.affiliation.requested") == []
    # After a 换绑 took the number away, it is no longer theirs to file.
    world.deliver("identity.person.rebound", {"account_id": "p-other",
                                              "released_account_id": "p-wang"})
    status, refused = world.call("POST", "/me/affiliation-requests", me,
                                 {"association_code": CODE_A, "id_number": ID_LI})
    assert status == 422 and "id_number" in refused["errors"]
    verified(world, "p-wang", ID_LI, "13900139000")
    status, mine = world.call("POST", "/me/affiliation-requests", me,
                              {"association_code": CODE_A, "id_number": ID_LI.lower(),
                               "phone": "13900139000"})
    assert status == 201, mine
    # Without an ID number or phone nothing needs checking.
    other = world.as_("person", "p-zhao", "赵六")
    assert world.call("POST", "/me/affiliation-requests", other,
                      {"association_code": CODE_A})[0] == 201


def test_id_numbers_are_encrypted_at_rest(world):
    request_link(world, "p-1", id_number=ID_ZHANG)
    with world.kit.db.reading() as session:
        raw = session.execute(text("SELECT id_number, id_number_index FROM affiliation")).one()
    assert ID_ZHANG not in raw[0] and ID_ZHANG not in raw[1]


def test_a_double_request_is_refused_with_the_unit_named(world):
    request_link(world, "p-1")
    status, body = world.call("POST", "/me/affiliation-requests", world.as_("person", "p-1"),
                              {"association_code": CODE_B})
    assert status == 409 and "北京智能制造研究院" in body["detail"] and "等待单位确认" in body["detail"]


def test_an_affiliated_person_must_be_unlinked_before_linking_elsewhere(world):
    linked(world, "p-1")
    status, body = world.call("POST", "/me/affiliation-requests", world.as_("person", "p-1"),
                              {"association_code": CODE_B})
    assert status == 409 and "解除关联" in body["detail"]


@pytest.mark.parametrize("payload, status, field, words", [
    ({"association_code": "ZZZZ9999"}, 404, "association_code", "未找到"),
    ({}, 422, "association_code", "请填写单位关联代码"),
    ({"association_code": CODE_A, "id_number": "110105194912310021"}, 422, "id_number", "校验位"),
    ({"association_code": CODE_A, "id_number": "12345"}, 422, "id_number", "18位"),
    ({"association_code": CODE_A, "phone": "110"}, 422, "phone", "格式不正确"),
])
def test_bad_requests_say_what_is_wrong(world, payload, status, field, words):
    got, body = world.call("POST", "/me/affiliation-requests", world.as_("person"), payload)
    assert got == status, body
    assert words in body["errors"][field]


def test_an_association_code_of_the_wrong_shape_is_422(world):
    status, body = world.call("GET", "/association-codes/12", world.as_("person"), None)
    assert status == 422 and "association_code" in body["errors"]


def test_rejection_needs_a_reason_and_the_person_sees_it_and_may_ask_again(world):
    affiliation_id = request_link(world, "p-1")["affiliation_id"]
    path = f"/units/{world.unit}/affiliations/{affiliation_id}/reject"
    status, body = world.call("POST", path, world.as_("unit"), {})
    assert status == 422 and body["errors"] == {"reason": "请填写拒绝原因"}
    status, body = world.call("POST", path, world.as_("unit"), {"reason": "查无此人"})
    assert status == 200 and body["status"] == "rejected"
    assert world.events("orgs.affiliation.rejected")[-1]["data"]["reason"] == "查无此人"
    status, mine = world.call("GET", "/me/affiliation-requests", world.as_("person", "p-1"), None)
    assert mine["items"][0]["reason"] == "查无此人" and mine["items"][0]["status_title"] == "已拒绝"
    request_link(world, "p-1")  # a rejected request does not block a new one


def test_lists_filter_by_name_id_number_dates_and_status_and_paginate(world):
    first = linked(world, "p-1", "张三", id_number=ID_ZHANG)
    linked(world, "p-2", "李四", id_number=ID_LI)
    request_link(world, "p-3", "张小三", id_number=None)
    me = world.as_("unit")
    base = f"/units/{world.unit}"

    def ids(path):
        status, body = world.call("GET", path, me, None)
        assert status == 200, body
        return body

    assert ids(f"{base}/employees")["total"] == 2
    assert [e["person_name"] for e in ids(f"{base}/employees?name=张")["items"]] == ["张三"]
    assert [e["affiliation_id"] for e in ids(f"{base}/employees?id_number={ID_ZHANG.lower()}")[
        "items"]] == [first]
    assert ids(f"{base}/affiliations?name=张")["total"] == 1  # pending by default
    assert ids(f"{base}/affiliations?status=approved")["total"] == 2
    assert ids(f"{base}/employees?date_from=2000-01-01&date_to=2099-12-31")["total"] == 2
    assert ids(f"{base}/employees?date_to=2000-01-01")["total"] == 0
    page = ids(f"{base}/employees?per_page=1&page=2")
    assert page["total"] == 2 and len(page["items"]) == 1 and page["page"] == 2

    for bad, field in [("date_from=yesterday", "date_from"), ("status=gone", "status"),
                       ("date_from=2026-02-01&date_to=2026-01-01", "date_to"),
                       ("per_page=1000", "per_page"), ("date_to=9999-12-31", "date_to")]:
        status, body = world.call("GET", f"{base}/affiliations?{bad}", me, None)
        assert status == 422 and field in body["errors"], (bad, body)


def test_position_and_labour_contract(world):
    affiliation_id = linked(world, "p-1", id_number=ID_ZHANG)
    path = f"/units/{world.unit}/employees/{affiliation_id}"
    contract = {"position": "高级工程师", "contract_term": "fixed", "contract_start": "2024-01-01",
                "contract_end": "2027-12-31",
                "contract_file_id": "6f1c2a43-0d6e-4a57-9d55-0d0c3a7f3b10"}
    status, body = world.call("PUT", f"{path}/employment", world.as_("unit"), contract)
    assert status == 200 and body["contract_end"] == "2027-12-31"
    status, detail = world.call("GET", path, world.as_("unit"), None)
    # Least privilege: the unit's view of its employee masks the ID number; the view is audited.
    assert detail["position"] == "高级工程师" and detail["id_number"] == "110***********002X"
    assert detail["businesses_in_progress"] == []
    assert world.call("GET", path, world.as_("admin"), None)[1]["id_number"] == \
        "110***********002X"
    trail = audit.search(world.kit.db, object_id=affiliation_id)["items"]
    assert [e["action"] for e in trail[:3]] == ["employee.viewed", "employee.viewed",
                                                 "employee.updated"]
    assert trail[1]["actor_kind"] == "unit" and trail[1]["subject_id"] == "p-1"
    assert trail[2]["after"]["position"] == "高级工程师" and trail[2]["before"]["position"] is None
    for bad, field in [({"contract_end": "2023-01-01"}, "contract_end"),
                       ({"contract_term": "forever"}, "contract_term"),
                       ({"contract_start": "someday"}, "contract_start"),
                       ({"contract_file_id": "x"}, "contract_file_id")]:
        status, body = world.call("PUT", f"{path}/employment", world.as_("unit"), bad)
        assert status == 422 and field in body["errors"], (bad, body)
    status, body = world.call("PUT", f"{path}/employment", world.as_("unit"),
                              {"contract_term": "fixed", "contract_end": None})
    assert status == 422 and body["errors"] == {"contract_end": "请填写合同终止日期"}


def test_unlink_is_refused_while_business_is_in_progress_then_allowed(world):
    affiliation_id = linked(world, "p-1")
    path = f"/units/{world.unit}/employees/{affiliation_id}"
    started = {"instance_id": "i-1", "process_key": "plan_project", "title": "申请计划项目",
               "applicant_id": "p-1", "unit_id": world.unit, "attachment_ids": []}
    world.deliver("workflow.instance.started", started)
    world.deliver("workflow.instance.started", {**started, "instance_id": "i-2",
                                                "unit_id": world.foreign})  # other unit
    status, check = world.call("GET", f"{path}/unlink-check", world.as_("unit"), None)
    assert check == {"allowed": False,
                     "reasons": ["该员工有正在办理的业务“申请计划项目”，业务办结后才能解除关联"]}
    status, body = world.call("POST", f"{path}/unlink", world.as_("unit"), {"reason": "离职"})
    assert status == 409 and "申请计划项目" in body["detail"]
    assert world.events("orgs.affiliation.unlinked") == []

    world.deliver("workflow.instance.completed", {"instance_id": "i-1", "outcome": "approved"})
    assert world.call("GET", f"{path}/unlink-check", world.as_("unit"), None)[1]["allowed"]
    status, body = world.call("POST", f"{path}/unlink", world.as_("unit"), {})
    assert status == 422 and body["errors"] == {"reason": "请填写解除关联原因"}
    status, body = world.call("POST", f"{path}/unlink", world.as_("unit"), {"reason": "离职"})
    assert status == 200 and body["status"] == "unlinked" and body["unlink_reason"] == "离职"
    assert world.events("orgs.affiliation.unlinked")[-1]["data"]["reason"] == "离职"
    [unlinked] = audit.search(world.kit.db, action="affiliation.unlinked")["items"]
    assert unlinked["reason"] == "离职" and unlinked["before"]["status"] == "approved"
    assert world.call("GET", "/me/affiliation", world.as_("person", "p-1"), None)[0] == 404
    # Unlinked: free to link elsewhere; the old record cannot be unlinked again.
    request_link(world, "p-1", code=CODE_B)
    assert world.call("POST", f"{path}/unlink", world.as_("unit"), {"reason": "x"})[0] == 409


def test_a_redelivered_event_is_applied_once(world):
    envelope = {"id": "same", "type": "workflow.instance.started", "producer": "workflow",
                "subject": "i-9", "occurred_at": "2026-11-22T10:00:00+00:00", "trace_id": "t",
                "data": {"instance_id": "i-9", "process_key": "k", "title": "t",
                         "applicant_id": "p", "unit_id": world.unit}}
    consumer = world.kit.worker.consumer
    assert consumer.apply(envelope) is True and consumer.apply(envelope) is False


def test_rabbitmq_topology_binds_what_orgs_handles():
    from services.common.topology import subscriptions
    from services.orgs import events

    assert subscriptions()["orgs"] == sorted(events.handlers(None))


def test_the_unit_sees_the_verified_name_though_the_token_named_the_username(world):
    """identity.person.verified renames the person's request made before it (the token named
    the username)."""
    me = world.as_("person", "p-late", "zhang2026")
    status, _ = world.call("POST", "/me/affiliation-requests", me,
                           {"association_code": CODE_A})
    assert status == 201
    world.deliver("identity.person.verified", {"account_id": "p-late", "name": "张晚",
                                               "method": "id_card", "id_number_index": "x"})
    listed = world.call("GET", f"/units/{world.unit}/affiliations", world.as_("unit"), None)[1]
    assert [i["person_name"] for i in listed["items"]] == ["张晚"]


def test_the_process_and_the_endpoint_open_a_request_the_same_way(world):
    """One path: a request the BPMN process opens (workflow.instance.started of process
    "affiliation") is the same pending request, event and audit entry as one made on the
    endpoint; a second open link is refused on either entry."""
    world.deliver("workflow.instance.started", {
        "instance_id": "i-aff", "process_key": "affiliation", "title": "个人关联单位",
        "applicant_id": "p-bpmn", "applicant_name": "王流程", "unit_id": world.unit})
    status, mine = world.call("GET", "/me/affiliation-requests",
                              world.as_("person", "p-bpmn"), None)
    assert [(r["affiliation_id"], r["status"]) for r in mine["items"]] == [("i-aff", "pending")]
    [requested] = [e for e in world.events("orgs.affiliation.requested")
                   if e["data"]["affiliation_id"] == "i-aff"]
    assert requested["data"]["person_name"] == "王流程"
    [entry] = [e for e in audit.search(world.kit.db, action="affiliation.requested")["items"]
               if e["object_id"] == "i-aff"]
    assert entry["actor_id"] == "p-bpmn" and entry["after"]["status"] == "pending"
    status, body = world.call("POST", "/me/affiliation-requests", world.as_("person", "p-bpmn"),
                              {"association_code": CODE_B})
    assert status == 409 and "请勿重复申请" in body["detail"]
    # The process's request is decided in the process only.
    status, body = world.call("POST", f"/units/{world.unit}/affiliations/i-aff/approve",
                              world.as_("unit"), {})
    assert status == 409 and body["detail"] == "该关联申请正在流程中办理，请在待办任务中审核"
