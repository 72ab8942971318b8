"""Two bugs seen in the admin console (issue 14): a wait in the applicant's lane right after
the start was shown as 退回修改 (status returned, 修改后重新提交 in the timeline) though
nothing had been returned; and a waiting task migrated to a new version kept the old
version's title (and stage)."""
from __future__ import annotations

from tests.e2e.test_workflow_features import SIMPLE_FORMS, TWO_STEP, _deploy, _start, _two_step
from tests.support import APPLICATION

FILL_FIRST = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:rencai="https://rencai.example/bpmn/extensions" id="d_fill_first" targetNamespace="t">
  <bpmn:process id="fill_first" name="先补充材料" isExecutable="true" rencai:fourEyes="false">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="l_app" name="applicant"><bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>fill</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="l_unit" name="unit"><bpmn:flowNodeRef>review</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end_approved</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="fill" />
    <bpmn:userTask id="fill" name="补充材料" />
    <bpmn:sequenceFlow id="f2" sourceRef="fill" targetRef="review" />
    <bpmn:userTask id="review" name="单位审核" />
    <bpmn:sequenceFlow id="f3" sourceRef="review" targetRef="end_approved" />
    <bpmn:endEvent id="end_approved" />
  </bpmn:process>
</bpmn:definitions>"""


def test_the_applicants_first_task_is_their_next_step_not_a_return(gateway, embedded):
    _deploy(embedded, "fill_first", FILL_FIRST,
            {"start": {"type": "object"}, "fill": {"type": "object"},
             "review": SIMPLE_FORMS["review"]})
    applicant = gateway.login("zhangsan")
    instance = _start(applicant, "fill_first")
    assert instance["status"] == "running", instance
    assert instance["stage"] == "待申请人补充材料"
    assert "return_reason" not in applicant.instance(instance["id"])
    assert applicant.complete(instance["id"], {}).status == 200
    trail = applicant.instance(instance["id"])["timeline"]
    assert [e["action"] for e in trail] == ["submit", "submit"]  # no 修改后重新提交
    assert gateway.login("zhizao").decide(instance["id"], "approve", "同意").status == 200


def test_a_real_return_is_still_a_return(gateway):
    applicant, unit = gateway.login("zhangsan"), gateway.login("zhizao")
    instance = applicant.submit()  # plan_project
    assert unit.decide(instance["id"], "return", "请补充附件").status == 200
    returned = applicant.instance(instance["id"])
    assert returned["status"] == "returned" and returned["return_reason"] == "请补充附件"
    assert applicant.complete(instance["id"], dict(APPLICATION)).status == 200
    actions = [e["action"] for e in applicant.instance(instance["id"])["timeline"]]
    assert actions[-1] == "resubmit"


def test_a_migrated_waiting_task_takes_the_new_versions_title(gateway, embedded):
    _two_step(embedded, "two_step_renamed", four_eyes="false")
    instance = _start(gateway.login("zhangsan"), "two_step_renamed")
    unit, admin = gateway.login("zhizao"), gateway.login("admin")
    renamed = TWO_STEP.format(key="two_step_renamed", four_eyes="false", script="level = 1") \
        .replace('name="初审"', 'name="单位初审（新）"')
    version = _deploy(embedded, "two_step_renamed", renamed, SIMPLE_FORMS).version
    moved = admin.post("/api/workflow/admin/definitions/two_step_renamed/migrations",
                       {"version": version, "dry_run": False})
    assert moved.status == 200 and moved.body["moved"] == [instance["id"]], moved
    task = unit.get(f"/api/workflow/tasks/{unit.task_of(instance['id'])}").body
    assert task["title"] == "单位初审（新）"
    seen = admin.instance(instance["id"])
    assert [s["title"] for s in seen["current_stage"]] == ["单位初审（新）"]
