"""An admin moves a stuck instance to ANY user task of its definition (Camunda's "modify"):
forward past a task and a script, into a review with time limits (its timers start afresh),
and back again; each move with its reason in the audit trail."""
from __future__ import annotations

from tests.e2e.test_workflow_features import _start, _two_step


def _move(admin, instance_id, task_key, reason="测试移动"):
    return admin.post(f"/api/workflow/admin/instances/{instance_id}/move",
                      {"task_key": task_key, "reason": reason})


def test_an_admin_moves_an_instance_forward_past_a_task_and_a_script(gateway, embedded):
    _two_step(embedded, "two_step_forward", four_eyes="false", script="level = priority * 2")
    instance = _start(gateway.login("zhangsan"), "two_step_forward")
    unit, admin = gateway.login("zhizao"), gateway.login("admin")
    assert _move(unit, instance["id"], "second").status == 403
    same = _move(admin, instance["id"], "first")
    assert same.status == 422 and same.body["errors"]["task_key"] == "申请正在该环节等待办理，无需移动"
    unknown = _move(admin, instance["id"], "compute")  # a script, not a user task
    assert unknown.status == 422 and unknown.body["errors"]["task_key"] == "该流程没有这个用户任务"
    first_task = unit.task_of(instance["id"])

    moved = _move(admin, instance["id"], "second", "初审已线下完成，直接复审")
    assert moved.status == 200, moved
    assert [s["task_key"] for s in moved.body["current_stage"]] == ["second"]
    assert moved.body["status"] == "running" and moved.body["stage"] == "用人单位审核中"
    # The skipped task is no longer anyone's: its row is cancelled, the new one is ready.
    assert unit.task_of(instance["id"]) not in (None, first_task)
    assert unit.decide(instance["id"], "approve", "复审同意").status == 200
    assert gateway.login("zhangsan").instance(instance["id"])["status"] == "completed"
    trail = unit.get(f"/api/workflow/instances/{instance['id']}/audit").body
    assert [e["action"] for e in trail] == ["submit", "move", "approve"]
    assert trail[1]["comment"] == "初审已线下完成，直接复审"


def test_a_move_into_a_review_with_time_limits_starts_its_timers(gateway, embedded):
    applicant, admin = gateway.login("zhangsan"), gateway.login("admin")
    instance = applicant.submit()  # plan_project: waits at unit_review (with its timers)
    moved = _move(admin, instance["id"], "bureau_review", "归口单位审核权限调整，直接报市局")
    assert moved.status == 200, moved
    [stage] = moved.body["current_stage"]
    assert stage["task_key"] == "bureau_review"
    bureau = gateway.login("shiju")
    task_id = bureau.task_of(instance["id"])
    assert task_id and gateway.login("zhizao").task_of(instance["id"]) is None
    task = bureau.get(f"/api/workflow/tasks/{task_id}").body
    assert task["due_at"], task  # the boundary timers of bureau_review run from now
    # And back to the unit's review, which it had reached before: the earlier run waits again.
    back = _move(admin, instance["id"], "unit_review", "退回单位重新审核")
    assert back.status == 200 and [s["task_key"] for s in back.body["current_stage"]] == [
        "unit_review"]
    assert bureau.task_of(instance["id"]) is None
    trail = [e["action"] for e in admin.get(
        f"/api/workflow/instances/{instance['id']}/audit").body]
    assert trail == ["submit", "move", "move"]


def test_a_failed_instance_is_moved_past_the_script_that_fails(gateway, embedded):
    """An incident (a script that cannot run) is also got past by a move: the failed step is
    dropped, the next task waits, the incident is cleared."""
    _two_step(embedded, "two_step_past_incident", four_eyes="false", script="level = priority * 2")
    instance = _start(gateway.login("zhangsan"), "two_step_past_incident")
    unit, admin = gateway.login("zhizao"), gateway.login("admin")
    assert unit.decide(instance["id"], "approve", "初审同意").body["status"] == "failed"
    moved = _move(admin, instance["id"], "second", "等级已线下评定，跳过计算")
    assert moved.status == 200, moved
    assert moved.body["status"] == "running" and moved.body["incident"] is None
    assert [s["task_key"] for s in moved.body["current_stage"]] == ["second"]
    assert unit.decide(instance["id"], "approve", "复审同意").status == 200
    assert admin.instance(instance["id"])["status"] == "completed"
