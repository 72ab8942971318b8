"""The walking skeleton's scenarios (申请计划项目), run in both modes: embedded
(tests/e2e) and against the real stack (tests/stack). Each takes a `Gateway`."""
from __future__ import annotations

from .support import APPLICATION, Gateway, Reply, User, photo

# (reviewer username, stage title) in review order for 张三 of 北京智能制造研究院; the last
# level is a panel of three experts who score in parallel (two thirds decide).
CHAIN = [("zhizao", "用人单位审核"), ("kewei", "归口单位审核"), ("shiju", "市局审核"),
         ("zhuanjia", "专家评审")]
EXPERTS = ["zhuanjia", "zhuanjia2", "zhuanjia3"]
STAGES = ["用人单位审核中", "归口单位审核中", "市局审核中", "专家评审中"]


def score(expert: User, instance_id: str, decision: str, comment: str = "同意",
          points: int = 85) -> Reply:
    """An expert's opinion: a score, a recommendation and a comment."""
    task_id = expert.task_of(instance_id)
    assert task_id, f"no expert task on {instance_id}"
    return expert.post(f"/api/workflow/tasks/{task_id}/complete",
                       {"data": {"score": points, "decision": decision, "comment": comment}})


def act(gateway: Gateway, level: int, instance_id: str, decision: str, comment: str) -> None:
    """One level decides: a reviewer, or (the expert level) two of the three experts."""
    if level < 3:
        reply = gateway.login(CHAIN[level][0]).decide(instance_id, decision, comment)
        assert reply.status == 200, reply
        return
    for username in EXPERTS[:2]:
        reply = score(gateway.login(username), instance_id, decision, comment)
        assert reply.status == 200, reply


def upload_materials(applicant: User) -> list[dict]:
    """专业工作主要经历（附件）: the applicant uploads the education certificate and a work
    proof through files; the start form's `attachments` that name them."""
    return [{"kind": "education_certificate", "name": "博士学位证书.pdf",
             "file_id": applicant.upload("degree", "博士学位证书.pdf")},
            {"kind": "work_proof", "name": "劳动合同.pdf",
             "file_id": applicant.upload("labour_contract", "劳动合同.pdf")}]


def shows_attachments(gateway: Gateway, reviewer: User, instance_id: str,
                      materials: list[dict]) -> bool:
    """files shows the reviewer exactly these attachments of the application, at once: the
    events locking and opening them were applied before the step that raised them answered
    (issue 11 §3)."""
    reply = reviewer.get(f"/api/files/instances/{instance_id}/attachments")
    return reply.status == 200 and \
        sorted(a["id"] for a in reply.body) == sorted(m["file_id"] for m in materials)


def approve_all(gateway: Gateway) -> dict:
    applicant = gateway.login("zhangsan")
    materials = upload_materials(applicant)
    instance = applicant.submit({**APPLICATION, "attachments": materials})
    assert instance["current_stage"][0]["holder"] == "用人单位：北京智能制造研究院"
    assert instance["status"] == "running" and instance["stage"] == STAGES[0]
    # files locked what the application references and opened it to the unit's reviewers.
    assert shows_attachments(gateway, gateway.login(CHAIN[0][0]), instance["id"], materials)
    for level in range(4):
        assert applicant.instance(instance["id"])["stage"] == STAGES[level]
        act(gateway, level, instance["id"], "approve", "同意")
    final = applicant.instance(instance["id"])
    assert final["status"] == "completed" and final["outcome"] == "approved"
    assert final["current_stage"] == []
    assert [(e["stage"], e["action"]) for e in final["timeline"]] == \
        [("提交申请", "submit")] + [(stage, "approve") for _, stage in CHAIN] + \
        [("专家评审", "approve")]
    # Two of three experts agreed: the panel closed, the third expert's task went away.
    assert final["result"]["expert_panel"]["approve"] == 2
    assert gateway.login(EXPERTS[2]).task_of(instance["id"]) is None

    # workflow.instance.completed crosses the bus to identity: the result is on the record.
    records = gateway.eventually(lambda: [
        r for r in applicant.get("/api/identity/me/records").body
        if r["instance_id"] == instance["id"]])
    assert records and records[0]["outcome"] == "approved", records
    return final


def reject_at(gateway: Gateway, level: int) -> dict:
    applicant = gateway.login("zhangsan")
    instance = applicant.submit()
    for earlier in range(level):
        act(gateway, earlier, instance["id"], "approve", "同意")
    stage = CHAIN[level][1]
    reason = f"{stage}：材料不符合申报条件"
    act(gateway, level, instance["id"], "reject", reason)

    final = applicant.instance(instance["id"])
    assert final["status"] == "rejected" and final["outcome"] == "rejected"
    last = final["last_action"]
    assert (last["stage"], last["action"], last["comment"]) == (stage, "reject", reason)
    assert last["actor_name"] and last["actor_org"]  # who rejected, and for which body
    records = gateway.eventually(lambda: [
        r for r in applicant.get("/api/identity/me/records").body
        if r["instance_id"] == instance["id"]])
    assert records and records[0]["outcome"] == "rejected", records
    return final


def return_and_resubmit(gateway: Gateway) -> dict:
    applicant = gateway.login("zhangsan")
    instance = applicant.submit()
    assert gateway.login("zhizao").decide(instance["id"], "approve", "同意").status == 200
    reason = "请补充受教育情况的起止时间"
    assert gateway.login("kewei").decide(instance["id"], "return", reason).status == 200

    returned = applicant.instance(instance["id"])
    assert returned["status"] == "returned" and returned["return_reason"] == reason
    assert returned["current_stage"][0]["holder"] == "申请人"
    assert returned["last_action"]["action"] == "return"
    assert returned["last_action"]["comment"] == reason

    # The resubmission needs its attachments too; it adds a proof of the earlier position.
    materials = upload_materials(applicant)
    fixed = {**APPLICATION, "summary": APPLICATION["summary"] + "（已补充）",
             "attachments": [m for m in materials if m["kind"] != "work_proof"]}
    task_id = applicant.task_of(instance["id"])
    reply = applicant.post(f"/api/workflow/tasks/{task_id}/complete", {"data": fixed})
    assert reply.status == 422 and reply.body["errors"] == \
        {"attachments.work_proof": "请至少上传一份工作经历证明"}, reply
    earlier = {"kind": "work_proof", "name": "原单位工作证明.pdf",
               "file_id": applicant.upload("other", "原单位工作证明.pdf")}
    fixed["attachments"] = materials + [earlier]
    reply = applicant.post(f"/api/workflow/tasks/{task_id}/complete", {"data": fixed})
    assert reply.status == 200, reply
    resubmitted = reply.body
    # It starts again at the unit, with the corrected application.
    assert resubmitted["current_stage"][0]["holder"] == "用人单位：北京智能制造研究院"
    assert resubmitted["application"]["summary"].endswith("（已补充）")
    assert shows_attachments(gateway, gateway.login(CHAIN[0][0]), instance["id"],
                             fixed["attachments"])

    for level in range(4):
        act(gateway, level, instance["id"], "approve", "同意")
    final = applicant.instance(instance["id"])
    assert final["outcome"] == "approved"
    assert [e["action"] for e in final["timeline"]] == \
        ["submit", "approve", "return", "resubmit", "approve", "approve", "approve", "approve",
         "approve"]
    return final


def attachments_required(gateway: Gateway) -> None:
    """专业工作主要经历（附件）: without the education certificate (or without any work proof)
    the application is refused, 422 naming the slot, and nothing is written."""
    applicant = gateway.login("zhangsan")
    before = applicant.get("/api/workflow/instances?per_page=100").body["total"]
    materials = upload_materials(applicant)
    reply = applicant.start("plan_project", {**APPLICATION, "attachments": [
        m for m in materials if m["kind"] != "education_certificate"]})
    assert reply.status == 422, reply
    assert reply.headers["Content-Type"].startswith("application/problem+json")
    assert reply.body["errors"] == {"attachments.education_certificate": "请上传学历学位证书"}
    reply = applicant.start("plan_project", {**APPLICATION, "attachments": []})
    assert reply.status == 422 and reply.body["errors"] == {
        "attachments.education_certificate": "请上传学历学位证书",
        "attachments.work_proof": "请至少上传一份工作经历证明"}, reply
    reply = applicant.start("plan_project", {
        k: v for k, v in APPLICATION.items() if k != "attachments"})
    assert reply.status == 422 and "attachments" in reply.body["errors"], reply
    reply = applicant.start("plan_project", {**APPLICATION, "attachments": materials + [
        {"kind": "passport", "file_id": materials[0]["file_id"], "name": "护照.pdf"}]})
    assert reply.status == 422 and any(
        k.startswith("attachments") for k in reply.body["errors"]), reply
    assert applicant.get("/api/workflow/instances?per_page=100").body["total"] == before


def other_supervisor_is_shut_out(gateway: Gateway) -> None:
    applicant = gateway.login("zhangsan")
    instance = applicant.submit()
    assert gateway.login("zhizao").decide(instance["id"], "approve", "同意").status == 200
    own = gateway.login("kewei")
    task_id = own.task_of(instance["id"])
    assert task_id

    stranger = gateway.login("jiaowei")  # reviews for 市教委, not this unit's 市科委
    assert stranger.task_of(instance["id"]) is None
    assert stranger.get(f"/api/workflow/tasks/{task_id}").status == 404
    assert stranger.get(f"/api/workflow/instances/{instance['id']}").status == 404
    reply = stranger.post(f"/api/workflow/tasks/{task_id}/complete",
                          {"data": {"decision": "approve"}})
    assert reply.status == 404, reply
    assert own.task_of(instance["id"]) == task_id  # untouched
    # Another person cannot read the application either.
    assert gateway.login("lisi").get(f"/api/workflow/instances/{instance['id']}").status == 404


def second_completion_conflicts(gateway: Gateway) -> None:
    applicant = gateway.login("zhangsan")
    instance = applicant.submit()
    unit = gateway.login("zhizao")
    task_id = unit.task_of(instance["id"])
    path = f"/api/workflow/tasks/{task_id}/complete"
    assert unit.post(path, {"data": {"decision": "approve"}}).status == 200
    again = unit.post(path, {"data": {"decision": "approve"}})
    assert again.status == 409, again
    assert again.headers["Content-Type"].startswith("application/problem+json")
    assert again.body["detail"] == "该任务已被处理，请刷新待办列表"


IDENTITY_PROFILE = {
    "general": {"gender": "男", "ethnicity": "汉族", "political_status": "中共党员",
                "email": "zhangsan@example.cn", "address": "北京市朝阳区建国路 1 号"},
    "education": [{"level": "博士研究生", "degree": "博士", "school": "清华大学",
                   "major": "机械工程", "graduated": "2013-07"}],
    "study_history": [{"from": "2008-09", "to": "2013-07", "school": "清华大学",
                       "major": "机械工程"}],
    "work_history": [{"from": "2013-08", "employer": "北京智能制造研究院", "position": "研究员"}],
}


def basic_info_prefilled(gateway: Gateway) -> None:
    """基础信息确认 (seed 000): the plan-project form starts from the person's submitted
    profile (identity's profile events, kept by workflow) and their unit."""
    applicant = gateway.login("zhangsan")
    assert applicant.put("/api/identity/me/profile",
                         {**IDENTITY_PROFILE, "photo_file_id": photo(applicant)}).status == 200
    assert applicant.post("/api/identity/me/profile/submit", {}).status == 200

    def prefilled():
        reply = applicant.get("/api/workflow/processes/plan_project/prefill")
        assert reply.status == 200, reply
        return reply.body["profile_complete"] and reply.body

    known = gateway.eventually(prefilled)
    assert known, "the profile never reached workflow"
    assert known["basic_info"] == {"name": "张三", "gender": "男", "ethnicity": "汉族",
                                   "political_status": "中共党员", "education_level": "博士研究生",
                                   "unit_name": "北京智能制造研究院"}
    assert known["form"] == {
        "education": [{"school": "清华大学", "degree": "博士研究生、博士", "to": "2013-07"}],
        "work_history": [{"employer": "北京智能制造研究院", "position": "研究员",
                          "from": "2013-08"}]}
    instance = applicant.submit({**APPLICATION, **known["form"],
                                 "attachments": upload_materials(applicant)})
    assert instance["application"]["education"] == known["form"]["education"]
    withdrawn = applicant.post(f"/api/workflow/instances/{instance['id']}/withdraw", {})
    assert withdrawn.status == 200, withdrawn
    assert gateway.login("zhizao").get(
        "/api/workflow/processes/plan_project/prefill").status == 403
