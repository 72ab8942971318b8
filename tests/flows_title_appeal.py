"""政工职评 and 人工申诉 as BPMN (issue 7 items 3 and 8), run in both modes: embedded
(tests/e2e/test_title_appeal.py) and against the real stack. Each scenario takes a `Gateway`
and uses the demo accounts.

- 政工职评 (process "title_evaluation"): 张三 of 北京智能制造研究院 declares in two stages.
  资格审核: the qualification declaration (with 是否免考 / 免考类型 on the preview page) → the
  unit zhizao → 市科委 (kewei). 完善材料: 张三 adds the materials → zhizao → kewei → 市局
  (shiju) → three experts (two thirds decide) → the result on 张三's record.
- 人工申诉 (process "realname_appeal"): a person whose ID number is bound to another account
  files an appeal in identity; workflow starts the process from identity.appeal.filed; an
  admin (lane "admin") approves or rejects it; identity applies the outcome from
  workflow.instance.completed and tells the person (SMS, their appeal list, a prompt).
"""
from __future__ import annotations

import itertools
import uuid

from .support import Gateway, Reply, User

PROCESS = "title_evaluation"
QUALIFICATION = {
    "declared_title": "政工师",
    "basic_info_confirmed": True,
    "current_position": "党委办公室主任",
    "summary": "从事思想政治工作十年，负责院党建与职工思想教育。",
    "education": [{"school": "中国人民大学", "degree": "硕士", "from": "2010-09", "to": "2013-07"}],
    "work_history": [{"employer": "北京智能制造研究院", "position": "党委办公室主任",
                      "from": "2013-08"}],
    "no_classified_material": True,
    "exam_exemption": "不免考",
}
MATERIALS = {
    "work_summary": "任现职以来牵头完成院党建工作体系建设，组织理论学习六十余场。",
    "achievements": [{"name": "新时代科研院所思想政治工作研究", "year": "2024", "role": "主持"}],
    "attachments": [{"kind": "work_summary", "file_id": str(uuid.UUID(int=7)),
                     "name": "任现职以来工作总结.pdf"}],
    "materials_confirmed": True,
}
TITLE = "政工职评：政工师"
UNIT, SUPERVISOR, BUREAU = "zhizao", "kewei", "shiju"
EXPERTS = ["zhuanjia", "zhuanjia2", "zhuanjia3"]
UNIT_HOLDER = "用人单位：北京智能制造研究院"
SUPERVISOR_HOLDER = "归口单位：市科学技术委员会"
ONE_OPEN = f"已有办理中的申请“{TITLE}”，请勿重复申请"  # rencai:onePerApplicant


def start(user: User, data: dict) -> Reply:
    return user.start(PROCESS, data)


def decide(gateway: Gateway, username: str, instance_id: str, decision: str,
           comment: str = "同意") -> dict:
    reply = gateway.login(username).complete(instance_id,
                     {"decision": decision, "comment": comment})
    assert reply.status == 200, reply
    return reply.body


def records(gateway: Gateway, user: User, instance_id: str) -> list[dict]:
    return gateway.eventually(lambda: [
        r for r in user.get("/api/identity/me/records").body if r["instance_id"] == instance_id])


# --- 政工职评 ---------------------------------------------------------------------------------

def declare(gateway: Gateway, data: dict = QUALIFICATION) -> tuple[User, dict]:
    applicant = gateway.login("zhangsan")
    reply = start(applicant, data)
    assert reply.status == 201, reply
    instance = reply.body
    assert instance["title"] == TITLE
    assert instance["status"] == "running" and instance["stage"] == "用人单位审核中"
    assert instance["current_stage"][0]["holder"] == UNIT_HOLDER
    assert instance["result"]["declaration_stage"] == "资格审核"
    return applicant, instance


def pass_qualification(gateway: Gateway, applicant: User, instance_id: str) -> dict:
    """Stage one: the unit, then the supervising body approve; stage two opens."""
    assert decide(gateway, UNIT, instance_id, "approve")["stage"] == "归口单位审核中"
    # Stage two is not open before stage one passed: nothing for the applicant to fill.
    assert applicant.task_of(instance_id) is None
    opened = decide(gateway, SUPERVISOR, instance_id, "approve")
    assert opened["status"] == "running" and opened["stage"] == "待申请人完善材料"
    assert opened["current_stage"][0]["holder"] == "申请人"
    assert opened["current_stage"][0]["title"] == "完善材料"
    assert opened["result"] == {"declaration_stage": "完善材料", "qualification": "资格审核通过"}
    assert "return_reason" not in applicant.instance(instance_id)
    return opened


def add_materials(applicant: User, instance_id: str, data: dict = MATERIALS) -> dict:
    reply = applicant.complete(instance_id, data)
    assert reply.status == 200, reply
    body = reply.body
    assert body["stage"] == "用人单位审核中" and body["current_stage"][0]["holder"] == UNIT_HOLDER
    # The materials add to the qualification declaration; reviewers see both.
    assert body["application"]["declared_title"] == "政工师"
    assert body["application"]["work_summary"] == data["work_summary"]
    return body


def score(gateway: Gateway, username: str, instance_id: str, decision: str) -> Reply:
    return gateway.login(username).complete(instance_id,
                    {"score": 88 if decision == "approve" else 52, "decision": decision,
                     "comment": "材料翔实" if decision == "approve" else "业绩不足"})


def title_approved(gateway: Gateway) -> dict:
    applicant, instance = declare(gateway)
    iid = instance["id"]
    pass_qualification(gateway, applicant, iid)
    assert gateway.eventually(lambda: f"您的申请“{TITLE}”已进入“完善材料”阶段，请及时办理" in applicant.prompts())
    add_materials(applicant, iid)
    # Stage two: the same unit and supervising body review again (same level: four eyes holds).
    decide(gateway, UNIT, iid, "approve")
    assert decide(gateway, SUPERVISOR, iid, "approve")["stage"] == "市局审核中"
    assert decide(gateway, BUREAU, iid, "approve")["stage"] == "专家评审中"
    for expert in EXPERTS[:2]:
        reply = score(gateway, expert, iid, "approve")
        assert reply.status == 200, reply
    final = applicant.instance(iid)
    assert final["status"] == "completed" and final["outcome"] == "approved"
    assert final["result"]["expert_panel"]["approve"] == 2
    assert final["result"]["evaluation"] == "评审通过"
    assert gateway.login(EXPERTS[2]).task_of(iid) is None
    assert [(e["stage"], e["action"]) for e in final["timeline"]] == [
        ("提交申请", "submit"), ("用人单位审核", "approve"), ("归口单位审核", "approve"),
        ("完善材料", "submit"), ("用人单位审核", "approve"), ("归口单位审核", "approve"),
        ("市局审核", "approve"), ("专家评审", "approve"), ("专家评审", "approve")]
    # The result is fed back to the person: their record and a prompt.
    mine = records(gateway, applicant, iid)
    assert mine and mine[0]["outcome"] == "approved", mine
    assert gateway.eventually(lambda: f"您的申请“{TITLE}”已审核通过" in applicant.prompts())
    return final


# (stage, reviewer, task title) of every review where an application can be rejected/returned
REVIEWS = [("资格审核", UNIT, "用人单位审核"), ("资格审核", SUPERVISOR, "归口单位审核"),
           ("完善材料", UNIT, "用人单位审核"), ("完善材料", SUPERVISOR, "归口单位审核"),
           ("完善材料", BUREAU, "市局审核")]


def _reach(gateway: Gateway, index: int) -> tuple[User, str]:
    """A new declaration that waits at review number `index` of REVIEWS."""
    applicant, instance = declare(gateway)
    iid = instance["id"]
    if index >= 2:
        pass_qualification(gateway, applicant, iid)
        add_materials(applicant, iid)
    for earlier in range(2 if index >= 2 else 0, index):
        decide(gateway, REVIEWS[earlier][1], iid, "approve")
    return applicant, iid


def title_rejected_at(gateway: Gateway, index: int) -> dict:
    stage, reviewer, task_title = REVIEWS[index]
    applicant, iid = _reach(gateway, index)
    reason = f"{stage}{task_title}：不符合政工职评申报条件"
    decide(gateway, reviewer, iid, "reject", reason)
    final = applicant.instance(iid)
    assert final["status"] == "rejected" and final["outcome"] == "rejected"
    last = final["last_action"]
    assert (last["stage"], last["action"], last["comment"]) == (task_title, "reject", reason)
    assert applicant.task_of(iid) is None
    mine = records(gateway, applicant, iid)
    assert mine and mine[0]["outcome"] == "rejected", mine
    return final


def title_returned_at(gateway: Gateway, index: int) -> dict:
    """A return in stage one hands back the qualification declaration; in stage two the
    materials. The resubmission starts again at the unit, in the same stage."""
    stage, reviewer, task_title = REVIEWS[index]
    applicant, iid = _reach(gateway, index)
    reason = f"{task_title}：请补充说明"
    decide(gateway, reviewer, iid, "return", reason)
    returned = applicant.instance(iid)
    assert returned["status"] == "returned" and returned["return_reason"] == reason
    assert returned["stage"] == "退回申请人修改中"
    expected = "修改资格审核信息后重新提交" if stage == "资格审核" else "修改完善材料后重新提交"
    assert returned["current_stage"][0]["title"] == expected
    assert returned["result"]["declaration_stage"] == stage
    # Returned is still open: no second declaration meanwhile (rencai:onePerApplicant).
    again = start(applicant, QUALIFICATION)
    assert again.status == 409 and again.body["detail"] == ONE_OPEN, again
    if stage == "资格审核":
        # The declaration form comes back whole; a wrong form is refused with the field named.
        bad = applicant.complete(iid, MATERIALS)
        assert bad.status == 422, bad
        fixed = {**QUALIFICATION, "summary": QUALIFICATION["summary"] + "（已补充）"}
        reply = applicant.complete(iid, fixed)
        assert reply.status == 200, reply
        assert reply.body["application"]["summary"].endswith("（已补充）")
        assert reply.body["current_stage"][0]["holder"] == UNIT_HOLDER
        pass_qualification(gateway, applicant, iid)
        add_materials(applicant, iid)
    else:
        fixed = {**MATERIALS, "work_summary": MATERIALS["work_summary"] + "（已补充）"}
        body = add_materials(applicant, iid, fixed)
        assert body["result"]["declaration_stage"] == "完善材料"
    for _, later, _ in REVIEWS[2:]:
        decide(gateway, later, iid, "approve")
    for expert in EXPERTS[:2]:
        assert score(gateway, expert, iid, "approve").status == 200
    final = applicant.instance(iid)
    assert final["outcome"] == "approved"
    actions = [e["action"] for e in final["timeline"]]
    assert actions.count("return") == 1 and actions.count("resubmit") == 1
    return final


def experts_reject(gateway: Gateway) -> dict:
    applicant, iid = _reach(gateway, 4)
    decide(gateway, BUREAU, iid, "approve")
    for expert in EXPERTS[:2]:
        assert score(gateway, expert, iid, "reject").status == 200
    final = applicant.instance(iid)
    assert final["status"] == "rejected" and final["result"]["evaluation"] == "评审未通过"
    assert final["result"]["expert_panel"]["reject"] == 2
    return final


def exemption_rule(gateway: Gateway) -> None:
    """是否免考 is required, one of 不免考 and the 免考类型 — the same field, exam_exemption, as
    申请计划项目's."""
    applicant = gateway.login("zhangsan")
    without = {k: v for k, v in QUALIFICATION.items() if k != "exam_exemption"}
    reply = start(applicant, without)
    assert reply.status == 422 and reply.body["errors"] == {"exam_exemption": "请填写是否免考"}, reply
    reply = start(applicant, {**QUALIFICATION, "exam_exemption": "免试"})
    assert reply.status == 422 and reply.body["errors"] == {"exam_exemption": "是否免考的取值不正确"}
    reply = start(applicant, {**QUALIFICATION, "exam_exempt": True})
    assert reply.status == 422 and "exam_exempt" in reply.body["errors"], reply  # the old name
    reply = start(applicant, {**QUALIFICATION, "no_classified_material": False})
    assert reply.status == 422 and "no_classified_material" in reply.body["errors"], reply
    # The form the client renders carries the seed's wording.
    form = {p["process_key"]: p for p in applicant.get("/api/workflow/processes").body}[PROCESS]
    text = str(form)
    assert "是否免考" in text and "业绩突出免考" in text

    exempt = {**QUALIFICATION, "exam_exemption": "业绩突出免考"}
    _, instance = declare(gateway, exempt)
    seen = gateway.login(UNIT).instance(instance["id"])["application"]
    assert seen["exam_exemption"] == "业绩突出免考"
    # The materials stage cannot be skipped to: nothing to fill before stage one passed,
    # and the materials form is required whole.
    assert applicant.task_of(instance["id"]) is None
    decide(gateway, UNIT, instance["id"], "approve")
    decide(gateway, SUPERVISOR, instance["id"], "approve")
    empty = applicant.complete(instance["id"], {"materials_confirmed": True})
    assert empty.status == 422 and "work_summary" in empty.body["errors"], empty
    decide_withdraw = applicant.post(f"/api/workflow/instances/{instance['id']}/withdraw", {})
    assert decide_withdraw.status == 409  # reviews have begun
    add_materials(applicant, instance["id"])
    decide(gateway, UNIT, instance["id"], "reject", "演示结束")


def withdraw(user: User, instance_id: str) -> dict:
    reply = user.post(f"/api/workflow/instances/{instance_id}/withdraw", {"reason": "重新填写"})
    assert reply.status == 200, reply
    assert reply.body["status"] == "withdrawn"
    return reply.body


def one_open_per_person(gateway: Gateway) -> None:
    """rencai:onePerApplicant: a person has one 政工职评 open at a time. A second start is
    refused (409, nothing written) while the first runs; another person is not held up; once
    the first has ended (withdrawn) a new one may start."""
    applicant, first = declare(gateway)
    before = applicant.get("/api/workflow/instances?per_page=100").body["total"]
    second = start(applicant, {**QUALIFICATION, "declared_title": "高级政工师"})
    assert second.status == 409, second
    assert second.headers["Content-Type"].startswith("application/problem+json")
    assert second.body["detail"] == ONE_OPEN
    assert applicant.get("/api/workflow/instances?per_page=100").body["total"] == before
    entry = applicant.catalogue()["title_evaluation"]  # the service list says so beforehand
    assert entry["can_start"] is False and entry["reason"] == ONE_OPEN
    other = gateway.login("lisi")  # 北京市第一实验中学: their own declaration is not held up
    theirs = start(other, QUALIFICATION)
    assert theirs.status == 201, theirs
    withdraw(other, theirs.body["id"])

    withdraw(applicant, first["id"])
    assert applicant.catalogue()["title_evaluation"]["can_start"] is True
    _, again = declare(gateway)
    assert again["id"] != first["id"]
    withdraw(applicant, again["id"])  # later scenarios start afresh


def no_affiliation_no_title_evaluation(gateway: Gateway) -> None:
    reply = start(gateway.login("zhouqi"), QUALIFICATION)
    assert reply.status == 403 and reply.body["detail"] == "您未关联单位，请先关联单位后再办理此业务"
    assert start(gateway.login(UNIT), QUALIFICATION).status == 403


# --- 人工申诉 ---------------------------------------------------------------------------------

APPEAL_PROCESS = "realname_appeal"
ADMIN_HOLDER = "管理员：市人力资源和社会保障局"
EVIDENCE = "5f0c6a52-4c1e-4a53-9b1f-0f7d1a2b3c4d"
_numbers = itertools.count(1)


def new_id_number() -> str:
    from services.identity.rules import with_check_digit

    return with_check_digit(f"110105198807{next(_numbers) % 28 + 1:02d}{next(_numbers) % 900 + 100:03d}")


def appeal_parties(gateway: Gateway, make_person) -> tuple[str, User, dict, User, dict]:
    """(ID number, holder, their /me, appellant, their /me): the number is bound to the holder;
    the appellant's real-name check is refused with 换绑 / 人工申诉 offered.
    `make_person(id_number or None) -> username` creates a person account with a phone."""
    id_number = new_id_number()
    holder = gateway.login(make_person(id_number))
    appellant = gateway.login(make_person(None))
    refused = appellant.post("/api/identity/me/real-name", {"consent": True, "name": "孙悟空", "id_number": id_number})
    assert refused.status == 409 and "人工申诉" in refused.body["detail"], refused
    return (id_number, holder, holder.get("/api/identity/me").body, appellant,
            appellant.get("/api/identity/me").body)


def file_appeal(gateway: Gateway, appellant: User, id_number: str) -> tuple[dict, dict]:
    """The appeal in identity and the review instance workflow started from its event."""
    reply = appellant.post("/api/identity/me/appeals", {
        "name": "孙悟空", "id_number": id_number, "reason": "本人身份证被他人冒用注册",
        "evidence_file_id": EVIDENCE})
    assert reply.status == 201 and reply.body["status"] == "pending", reply
    appeal = reply.body

    def started():
        items = appellant.get("/api/workflow/instances?per_page=100").body["items"]
        return next((i for i in items if i["process_key"] == APPEAL_PROCESS
                     and i["business_key"] == appeal["id"]), None)

    instance = gateway.eventually(started)
    assert instance, "workflow did not start the review from identity.appeal.filed"
    assert instance["status"] == "running" and instance["stage"] == "管理员处理中"
    assert instance["title"] == "实名认证人工申诉：孙**"
    assert instance["current_stage"][0]["holder"] == ADMIN_HOLDER
    assert instance["current_stage"][0]["title"] == "人工申诉审核"
    return appeal, instance


def my_appeal(gateway: Gateway, appellant: User, appeal_id: str, status: str) -> dict | None:
    def decided():
        mine = appellant.get("/api/identity/me/appeals").body
        return next((a for a in mine if a["id"] == appeal_id and a["status"] == status), None)

    return gateway.eventually(decided)


def sms_texts(gateway: Gateway, phone: str) -> list[str]:
    return gateway.sms_texts(phone)


def appeal_only_from_identity(gateway: Gateway) -> None:
    """Nobody starts the review over workflow's API, the catalogue does not offer it, and
    identity has no decision endpoint any more (the process is the one source of truth)."""
    person = gateway.login("zhouqi")
    refused = person.post("/api/workflow/instances", {"process_key": APPEAL_PROCESS, "data": {
        "appeal_id": "x", "account_id": "x", "name": "周*", "id_number": "110***********0032",
        "reason": "冒用", "evidence_file_id": EVIDENCE}})
    assert refused.status == 403 and refused.body["detail"] == "此业务由系统自动发起，不能直接申请"
    keys = [e["process_key"] for e in person.get("/api/workflow/catalogue").body]
    assert APPEAL_PROCESS not in keys and PROCESS in keys
    assert APPEAL_PROCESS not in [p["process_key"]
                                  for p in person.get("/api/workflow/processes").body]
    admin = gateway.login("admin")
    gone = admin.post("/api/identity/appeals/x/decision", {"decision": "approve"})
    assert gone.status in (404, 405), gone


def appeal_rejected(gateway: Gateway, make_person) -> dict:
    id_number, holder, holder_me, appellant, me = appeal_parties(gateway, make_person)
    appeal, instance = file_appeal(gateway, appellant, id_number)
    iid = instance["id"]
    admin = gateway.login("admin")
    # Only the admins hold it; the reviewer sees the masked data and the evidence.
    assert gateway.login("shiju").task_of(iid) is None
    seen = admin.instance(iid)["application"]
    assert seen["id_number"] == id_number[:3] + "*" * 11 + id_number[-4:]
    assert seen["name"] == "孙**" and seen["evidence_file_id"] == EVIDENCE
    assert id_number not in str(admin.instance(iid))
    # In identity it stays pending while the process runs.
    listed = admin.get("/api/identity/appeals?status=pending&per_page=100").body["items"]
    assert appeal["id"] in [a["id"] for a in listed]

    missing = admin.complete(iid, {"decision": "reject"})
    assert missing.status == 422 and missing.body["errors"] == {"comment": "请填写审核意见"}
    reason = "证明材料无法证明身份证为本人所有"
    reply = admin.complete(iid, {"decision": "reject", "comment": reason})
    assert reply.status == 200 and reply.body["status"] == "rejected", reply

    decided = my_appeal(gateway, appellant, appeal["id"], "rejected")
    assert decided and decided["comment"] == reason and decided["decided_at"], decided
    assert f"人工申诉未通过，原因：{reason}" in "".join(sms_texts(gateway, me["phone"]))
    assert gateway.eventually(lambda: "您的申请“实名认证人工申诉：孙**”未通过审核，请查看审核意见" in appellant.prompts())
    # Nothing moved: the holder keeps the number; the appellant is still unverified.
    assert holder.get("/api/identity/me").body["verified"] is True
    assert appellant.get("/api/identity/me").body["verified"] is False
    final = appellant.instance(iid)
    assert final["last_action"]["comment"] == reason
    assert final["last_action"]["actor_name"] == "管理员审核人员"
    return final


def appeal_approved(gateway: Gateway, make_person) -> dict:
    id_number, holder, holder_me, appellant, me = appeal_parties(gateway, make_person)
    appeal, instance = file_appeal(gateway, appellant, id_number)
    again = appellant.post("/api/identity/me/appeals", {
        "name": "孙悟空", "id_number": id_number, "reason": "再提交一次申诉",
        "evidence_file_id": EVIDENCE})
    assert again.status == 409, again
    reply = gateway.login("admin").complete(instance["id"],
                     {"decision": "approve", "comment": "材料属实"})
    assert reply.status == 200 and reply.body["status"] == "completed", reply

    decided = my_appeal(gateway, appellant, appeal["id"], "approved")
    assert decided and decided["comment"] == "材料属实", decided
    assert gateway.eventually(lambda: appellant.get("/api/identity/me").body["verified"])
    assert appellant.get("/api/identity/me").body["id_number"] == id_number
    # The binding moved: the number left the holder's account, whose sessions ended at once.
    assert holder.get("/api/identity/me").status == 401
    holder = gateway.login(holder_me["username"])
    assert holder.get("/api/identity/me").body["verified"] is False
    assert any("人工申诉已通过" in text for text in sms_texts(gateway, me["phone"]))
    # The holder was told when it was filed and when it moved: by SMS and on their pages.
    holder_sms = "".join(sms_texts(gateway, holder_me["phone"]))
    assert "提出了人工申诉" in holder_sms and "已换绑到申诉人的账号" in holder_sms
    assert gateway.eventually(lambda: len([p for p in holder.prompts()
                                           if "人工申诉" in p]) >= 2), holder.prompts()
    records = gateway.eventually(lambda: [
        r for r in appellant.get("/api/identity/me/records").body
        if r["instance_id"] == instance["id"]])
    assert records and records[0]["outcome"] == "approved"
    return appellant.instance(instance["id"])


def appeal_withdrawn(gateway: Gateway, make_person) -> None:
    """Withdrawn before an admin acts: identity closes the appeal; the person may appeal again."""
    id_number, _, _, appellant, _ = appeal_parties(gateway, make_person)
    appeal, instance = file_appeal(gateway, appellant, id_number)
    reply = appellant.post(f"/api/workflow/instances/{instance['id']}/withdraw",
                           {"reason": "材料准备不全"})
    assert reply.status == 200 and reply.body["status"] == "withdrawn", reply
    assert gateway.login("admin").task_of(instance["id"]) is None
    assert my_appeal(gateway, appellant, appeal["id"], "withdrawn")
    second, _ = file_appeal(gateway, appellant, id_number)
    assert second["id"] != appeal["id"]
