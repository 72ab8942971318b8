"""The walking skeleton's scenarios (申请计划项目), run in both modes: embedded
(tests/e2e) and against the real stack (tests/stack). Each takes a `Gateway`."""
from __future__ import annotations

from .support import APPLICATION, Gateway, Reply, User

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


def approve_all(gateway: Gateway) -> dict:
    applicant = gateway.login("zhangsan")
    instance = applicant.submit()
    assert instance["current_stage"][0]["holder"] == "用人单位：北京智能制造研究院"
    assert instance["status"] == "running" and instance["stage"] == STAGES[0]
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

    fixed = {**APPLICATION, "summary": APPLICATION["summary"] + "（已补充）"}
    task_id = applicant.task_of(instance["id"])
    reply = applicant.post(f"/api/workflow/tasks/{task_id}/complete", {"data": fixed})
    assert reply.status == 200, reply
    resubmitted = reply.body
    # It starts again at the unit, with the corrected application.
    assert resubmitted["current_stage"][0]["holder"] == "用人单位：北京智能制造研究院"
    assert resubmitted["application"]["summary"].endswith("（已补充）")

    for level in range(4):
        act(gateway, level, instance["id"], "approve", "同意")
    final = applicant.instance(instance["id"])
    assert final["outcome"] == "approved"
    assert [e["action"] for e in final["timeline"]] == \
        ["submit", "approve", "return", "resubmit", "approve", "approve", "approve", "approve",
         "approve"]
    return final


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
