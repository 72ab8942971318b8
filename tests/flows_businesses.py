"""The talent businesses as BPMN (issue 7), run in both modes: embedded (tests/e2e/
test_businesses.py) and against the real stack. Each scenario takes a `Gateway`, uses the
demo accounts and leaves them as it found them (an approved affiliation is unlinked again),
so the scenarios can run repeatedly on one system.

- 个人关联单位 (process "affiliation"): 周七 (zhouqi, not affiliated) enters the association code
  of 北京智能制造研究院 (ZNZZ2828); the unit account zhizao approves with the position or
  rejects with the reason; orgs records it from the process's events.
- 工作居住证 (process "work_permit"): the unit zhizao applies for its employee 张三 → 市科委
  (kewei) → 市局 (shiju); approval issues the permit shown on 张三's home.
"""
from __future__ import annotations

from demo.data import PERSON_LI, PERSON_WANG, PERSON_ZHANG, UNIT_INSTITUTE

from .support import APPLICATION, Gateway, User

ORGS = "/api/orgs"
CODE = "ZNZZ2828"  # 北京智能制造研究院's 单位关联代码 (demo data)
UNIT_NAME = "北京智能制造研究院"
PERSON = "zhouqi"  # 周七, not affiliated in the demo data
NO_AFFILIATION = "您未关联单位，请先关联单位后再办理此业务"
PERMIT = {"employee_id": PERSON_ZHANG, "employee_name": "张三", "apply_type": "新办",
          "position": "研究员", "professional_title": "正高级工程师", "education": "博士研究生",
          "contract_confirmed": True}


# --- 个人关联单位 ---------------------------------------------------------------------------

def _pending_in_orgs(gateway: Gateway, unit: User, instance_id: str) -> dict | None:
    reply = unit.get(f"{ORGS}/units/{UNIT_INSTITUTE}/affiliations?status=pending&per_page=100")
    assert reply.status == 200, reply
    return next((a for a in reply.body["items"] if a["affiliation_id"] == instance_id), None)


def _apply_for_affiliation(gateway: Gateway, person: User) -> dict:
    reply = person.start("affiliation", {"association_code": CODE.lower(), "unit_confirmed": True})
    assert reply.status == 201, reply
    instance = reply.body
    assert instance["title"] == f"个人关联单位：{UNIT_NAME}"
    assert instance["stage"] == "用人单位审核中"
    assert instance["current_stage"][0]["holder"] == f"用人单位：{UNIT_NAME}"
    assert instance["current_stage"][0]["title"] == "单位确认关联申请"
    return instance


def affiliation_is_needed_and_found_by_code(gateway: Gateway) -> None:
    """No affiliation → no entry; the request names its unit by the association code."""
    person = gateway.login(PERSON)
    entries = person.catalogue()
    assert entries["plan_project"]["can_start"] is False
    assert entries["plan_project"]["reason"] == NO_AFFILIATION
    assert entries["affiliation"]["can_start"] is True
    refused = person.start("plan_project", APPLICATION)
    assert refused.status == 403 and refused.body["detail"] == NO_AFFILIATION
    assert person.get(f"{ORGS}/me/affiliation").status == 404

    unknown = person.start("affiliation", {"association_code": "XXXX9999", "unit_confirmed": True})
    assert unknown.status == 404, unknown
    assert unknown.body["errors"] == {"association_code": "未找到对应的单位"}
    unconfirmed = person.start("affiliation", {"association_code": CODE})
    assert unconfirmed.status == 422
    assert unconfirmed.body["errors"] == {"unit_confirmed": "请填写确认单位信息无误"}

    # Only persons ask to be affiliated; an affiliated person cannot ask again.
    assert gateway.login("zhizao").start("affiliation",
                 {"association_code": CODE, "unit_confirmed": True}).status == 403
    again = gateway.login("zhangsan").start("affiliation",
                  {"association_code": CODE, "unit_confirmed": True})
    assert again.status == 409 and again.body["detail"].startswith(f"您已关联“{UNIT_NAME}”")


def affiliation_rejected_then_approved(gateway: Gateway) -> dict:
    """The unit rejects with a reason (the person sees it), the person applies again, the unit
    approves with the position: orgs records the employee, the person may now enter the
    businesses. Finally the unit unlinks the employee again (the demo state is restored)."""
    person, unit = gateway.login(PERSON), gateway.login("zhizao")
    first = _apply_for_affiliation(gateway, person)
    second = person.start("affiliation", {"association_code": CODE, "unit_confirmed": True})
    assert second.status == 409 and "请勿重复申请" in second.body["detail"]

    # orgs keeps the pending request from workflow.instance.started; it is decided in the
    # process only (one source of truth).
    pending = gateway.eventually(lambda: _pending_in_orgs(gateway, unit, first["id"]))
    assert pending and pending["person_name"] == "周七" and pending["status_title"] == "待确认"
    direct = unit.post(f"{ORGS}/units/{UNIT_INSTITUTE}/affiliations/{first['id']}/approve", {})
    assert direct.status == 409 and direct.body["detail"] == "该关联申请正在流程中办理，请在待办任务中审核"

    # 拒绝: the reason is required.
    assert unit.complete(first["id"], {"decision": "reject"}).body["errors"] == \
        {"comment": "请填写拒绝原因"}
    reason = "经核实，本单位无此员工"
    assert unit.complete(first["id"], {"decision": "reject", "comment": reason}).status == 200
    rejected = person.instance(first["id"])
    assert rejected["status"] == "rejected" and rejected["last_action"]["comment"] == reason
    assert rejected["last_action"]["actor_name"] == "用人单位审核人员"

    def my_request_rejected():
        items = person.get(f"{ORGS}/me/affiliation-requests").body["items"]
        return next((r for r in items if r["affiliation_id"] == first["id"]
                     and r["status"] == "rejected"), None)

    mine = gateway.eventually(my_request_rejected)
    assert mine and mine["reason"] == reason and mine["unit_name"] == UNIT_NAME
    assert gateway.eventually(lambda: f"您的申请“个人关联单位：{UNIT_NAME}”未通过审核，请查看审核意见" in person.prompts())

    # Again, and 通过 with the position (required when approving).
    assert gateway.eventually(lambda: person.catalogue()["affiliation"]["can_start"])
    second = _apply_for_affiliation(gateway, person)
    assert unit.complete(second["id"], {"decision": "approve"}).body["errors"] == \
        {"position": "请填写当前职位"}
    assert unit.complete(second["id"], {"decision": "approve", "position": "工程师"}).status == 200
    approved = person.instance(second["id"])
    assert approved["status"] == "completed" and approved["outcome"] == "approved"

    def my_unit():
        reply = person.get(f"{ORGS}/me/affiliation")
        return reply.body if reply.status == 200 else None

    home = gateway.eventually(my_unit)
    assert home and home["unit_name"] == UNIT_NAME and home["position"] == "工程师"
    assert gateway.eventually(lambda: person.catalogue()["plan_project"]["can_start"])
    assert person.catalogue()["affiliation"]["can_start"] is False
    again = person.start("affiliation", {"association_code": CODE, "unit_confirmed": True})
    assert again.status == 409 and again.body["detail"].startswith(f"您已关联“{UNIT_NAME}”")

    # Back to the demo state: the unit unlinks 周七; workflow's read model follows.
    unlinked = unit.post(f"{ORGS}/units/{UNIT_INSTITUTE}/employees/{second['id']}/unlink",
                         {"reason": "演示结束，解除关联"})
    assert unlinked.status == 200, unlinked
    assert gateway.eventually(lambda: not person.catalogue()["plan_project"]["can_start"])
    return approved


def affiliation_withdrawn(gateway: Gateway) -> None:
    """撤回 before the unit acts: orgs closes the pending request, the person may apply again."""
    person, unit = gateway.login(PERSON), gateway.login("zhizao")
    instance = _apply_for_affiliation(gateway, person)
    assert gateway.eventually(lambda: _pending_in_orgs(gateway, unit, instance["id"]))
    reply = person.post(f"/api/workflow/instances/{instance['id']}/withdraw",
                        {"reason": "关联代码输错了单位"})
    assert reply.status == 200 and reply.body["status"] == "withdrawn", reply
    assert gateway.eventually(lambda: _pending_in_orgs(gateway, unit, instance["id"]) is None)
    assert unit.task_of(instance["id"]) is None
    items = person.get(f"{ORGS}/me/affiliation-requests").body["items"]
    mine = next(r for r in items if r["affiliation_id"] == instance["id"])
    assert mine["status"] == "rejected" and mine["reason"] == "关联代码输错了单位"
    assert gateway.eventually(lambda: person.catalogue()["affiliation"]["can_start"])


def direct_request_and_process_do_not_overlap(gateway: Gateway) -> None:
    """A request made on orgs' own endpoint is pending too: no process request beside it;
    once the unit rejects it there, the person may apply through the process."""
    person, unit = gateway.login(PERSON), gateway.login("zhizao")
    direct = person.post(f"{ORGS}/me/affiliation-requests", {"association_code": CODE})
    assert direct.status == 201, direct
    def refused_process_request():
        reply = person.start("affiliation", {"association_code": CODE, "unit_confirmed": True})
        assert reply.status in (201, 409), reply
        if reply.status == 201:  # workflow had not heard of the direct request yet
            person.post(f"/api/workflow/instances/{reply.body['id']}/withdraw", {})
            return None
        return reply

    refused = gateway.eventually(refused_process_request)
    assert refused and refused.body["detail"] == \
        f"您已申请关联“{UNIT_NAME}”，正在等待单位确认，请勿重复申请"
    reply = unit.post(f"{ORGS}/units/{UNIT_INSTITUTE}/affiliations/"
                      f"{direct.body['affiliation_id']}/reject", {"reason": "请通过平台重新申请"})
    assert reply.status == 200, reply
    assert gateway.eventually(lambda: person.catalogue()["affiliation"]["can_start"])
    instance = _apply_for_affiliation(gateway, person)
    reply = person.post(f"/api/workflow/instances/{instance['id']}/withdraw", {"reason": "演示结束"})
    assert reply.status == 200, reply
    assert gateway.eventually(lambda: person.catalogue()["affiliation"]["can_start"])


def association_code_travels_with_org_events(gateway: Gateway) -> None:
    """A new unit's 单位关联代码 reaches workflow in orgs.org.registered; a regenerated one in
    orgs.org.updated, and the old code stops finding the unit there too."""
    from demo.data import SUPERVISOR_SCIENCE

    admin, person = gateway.login("admin"), gateway.login(PERSON)
    created = admin.post(f"{ORGS}/orgs", {"kind": "unit", "name": "北京新型材料研究所",
                                          "parent_id": SUPERVISOR_SCIENCE})
    assert created.status == 201, created
    unit_id = created.body["id"]
    home = admin.get(f"{ORGS}/units/{unit_id}/home").body
    old_code = home["association_code"]

    def found_and_withdrawn(code: str) -> bool:
        """The code finds the unit in workflow (then the request is withdrawn again)."""
        if not person.catalogue()["affiliation"]["can_start"]:
            return False
        reply = person.start("affiliation", {"association_code": code, "unit_confirmed": True})
        if reply.status != 201:
            return False
        assert reply.body["current_stage"][0]["holder"] == "用人单位：北京新型材料研究所"
        assert person.post(f"/api/workflow/instances/{reply.body['id']}/withdraw",
                           {"reason": "演示结束"}).status == 200
        return True

    assert gateway.eventually(lambda: found_and_withdrawn(old_code))
    regenerated = admin.post(f"{ORGS}/units/{unit_id}/association-code", {})
    assert regenerated.status == 200, regenerated
    new_code = regenerated.body["association_code"]
    assert new_code != old_code
    assert gateway.eventually(lambda: found_and_withdrawn(new_code))
    # The withdrawal travels back over the bus before the person may ask again.
    assert gateway.eventually(lambda: person.catalogue()["affiliation"]["can_start"])
    gone = person.start("affiliation", {"association_code": old_code, "unit_confirmed": True})
    assert gone.status == 404 and gone.body["errors"] == {"association_code": "未找到对应的单位"}
    assert gateway.eventually(lambda: person.catalogue()["affiliation"]["can_start"])


# --- 工作居住证 -----------------------------------------------------------------------------

def _apply_for_permit(gateway: Gateway, data: dict = PERMIT) -> dict:
    unit = gateway.login("zhizao")
    reply = unit.start("work_permit", data)
    assert reply.status == 201, reply
    instance = reply.body
    assert instance["title"] == "工作居住证：张三"
    assert instance["stage"] == "归口单位审核中"
    assert instance["current_stage"][0]["holder"] == "归口单位：市科学技术委员会"
    return instance


def only_units_apply_for_their_employees(gateway: Gateway) -> None:
    person = gateway.login("zhangsan")
    assert person.catalogue()["work_permit"]["reason"] == "此业务仅限用人单位申请，个人不能直接申请"
    refused = person.start("work_permit", PERMIT)
    assert refused.status == 403 and refused.body["detail"] == "此业务仅限用人单位申请，个人不能直接申请"
    unit = gateway.login("zhizao")
    assert unit.catalogue()["work_permit"]["can_start"] is True
    # 李四 belongs to another unit; 周七 to none.
    for employee in (PERSON_LI, PERSON_WANG):
        reply = unit.start("work_permit", {**PERMIT, "employee_id": employee})
        assert reply.status == 422, reply
        assert reply.body["errors"] == {"employee_id": "不是本单位在职员工"}
    bad = unit.start("work_permit", {**PERMIT, "education": "小学"})
    assert bad.status == 422 and bad.body["errors"] == {"education": "最高学历的取值不正确"}


def permit_issued(gateway: Gateway) -> dict:
    unit, supervisor, bureau = (gateway.login(u) for u in ("zhizao", "kewei", "shiju"))
    instance = _apply_for_permit(gateway)
    # 在办业务 of the employee shows what the unit applied for them.
    holder = gateway.login("zhangsan")
    assert gateway.eventually(lambda: any(
        i["id"] == instance["id"] for i in holder.get("/api/workflow/in-progress").body["items"]))
    second = unit.start("work_permit", PERMIT)
    assert second.status == 409 and "请勿重复申请" in second.body["detail"]
    assert supervisor.complete(instance["id"], {"decision": "approve", "comment": "同意"}).status == 200
    assert unit.instance(instance["id"])["stage"] == "市局审核中"
    # Approving issues the permit: the validity must be chosen.
    assert bureau.complete(instance["id"], {"decision": "approve"}).body["errors"] == \
        {"valid_years": "请填写有效期限（年）"}
    reply = bureau.complete(instance["id"], {"decision": "approve", "valid_years": 3})
    assert reply.status == 200, reply
    final = unit.instance(instance["id"])
    assert final["status"] == "completed" and final["outcome"] == "approved"
    permit = final["result"]
    assert permit["certificate"] == "工作居住证" and permit["number"].startswith("GZJZ")
    assert permit["holder_name"] == "张三" and permit["valid_until"] > permit["valid_from"]
    assert [(e["stage"], e["action"]) for e in final["timeline"]] == \
        [("提交申请", "submit"), ("归口单位审核", "approve"), ("市局审核", "approve")]

    assert gateway.eventually(lambda: "单位为您申请的“工作居住证：张三”已审核通过" in holder.prompts())
    # 有效证件信息展示 on 张三's home; nobody else holds it.
    panel = gateway.login("zhangsan").get("/api/workflow/me/certificates").body
    mine = [c for c in panel["items"] if c["instance_id"] == instance["id"]]
    assert panel["show"] and mine and mine[0]["number"] == permit["number"]
    assert mine[0]["kind"] == "工作居住证" and mine[0]["unit_name"] == UNIT_NAME
    assert gateway.login("lisi").get("/api/workflow/me/certificates").body == \
        {"items": [], "show": False}
    return final


def permit_rejected_at(gateway: Gateway, reviewer: str) -> dict:
    unit = gateway.login("zhizao")
    instance = _apply_for_permit(gateway)
    if reviewer == "shiju":
        assert gateway.login("kewei").complete(instance["id"],
                        {"decision": "approve"}).status == 200
    stage = {"kewei": "归口单位审核", "shiju": "市局审核"}[reviewer]
    reason = f"{stage}：不符合工作居住证办理条件"
    assert gateway.login(reviewer).complete(instance["id"],
                    {"decision": "reject", "comment": reason}).status == 200
    final = unit.instance(instance["id"])
    assert final["status"] == "rejected" and final["outcome"] == "rejected"
    assert (final["last_action"]["stage"], final["last_action"]["comment"]) == (stage, reason)
    assert "number" not in (final["result"] or {})
    return final


def permit_returned_by(gateway: Gateway, reviewer: str) -> dict:
    """Returned to the unit with the reason; the unit corrects and resubmits; it starts again
    at the supervising body."""
    unit = gateway.login("zhizao")
    instance = _apply_for_permit(gateway)
    if reviewer == "shiju":
        assert gateway.login("kewei").complete(instance["id"],
                        {"decision": "approve"}).status == 200
    reason = "请补充专业技术职称证书"
    assert gateway.login(reviewer).complete(instance["id"],
                    {"decision": "return", "comment": reason}).status == 200
    returned = unit.instance(instance["id"])
    assert returned["status"] == "returned" and returned["return_reason"] == reason
    assert returned["current_stage"][0]["holder"] == f"用人单位：{UNIT_NAME}"
    assert returned["current_stage"][0]["title"] == "用人单位修改后重新提交"
    fixed = {**PERMIT, "attachments": []}
    reply = unit.complete(instance["id"], fixed)
    assert reply.status == 200, reply
    assert reply.body["current_stage"][0]["holder"] == "归口单位：市科学技术委员会"
    assert gateway.login("kewei").complete(instance["id"], {"decision": "approve"}).status == 200
    assert gateway.login("shiju").complete(instance["id"],
                    {"decision": "approve", "valid_years": 1}).status == 200
    final = unit.instance(instance["id"])
    assert final["outcome"] == "approved" and final["result"]["number"].startswith("GZJZ")
    return final
