"""The engine's newer guard rails and mechanics: every kind of expression is sandboxed at
validation, panels close on their completion condition, timers expose their due times."""
import dataclasses

import pytest

from services.common.config import PROJECT_ROOT
from services.workflow import engine

PLAN = (PROJECT_ROOT / "bpmn" / "plan_project.bpmn").read_bytes()


@pytest.mark.parametrize("old, new", [
    (b'"P5D"', b'__import__(&quot;os&quot;).getcwd()'),
    (b'"P3D"', b'open(&quot;/etc/passwd&quot;).read()'),
    (b'decision = "approve" if', b'x = ().__class__\ndecision = "approve" if'),
    (b'len(experts) * 2 or', b'len(experts) * 2 or getattr(experts, &quot;x&quot;) or'),
], ids=["timer-import", "timer-open", "script-dunder", "completion-getattr"])
def test_hostile_code_anywhere_is_refused(old, new):
    assert old in PLAN
    with pytest.raises(engine.UnsafeBpmn):
        engine.check_bpmn(PLAN.replace(old, new, 1), "plan_project")


def _to_experts(experts):
    workflow = engine.new_workflow(PLAN, "plan_project", {"experts": experts})
    for _ in range(3):
        (task,) = engine.ready_user_tasks(workflow)
        engine.complete(workflow, str(task.id), {"decision": "approve"})
    return workflow


def test_two_thirds_rejecting_close_the_panel_early():
    workflow = _to_experts(["a", "b", "c"])
    tasks = engine.ready_user_tasks(workflow)
    assert [engine.panel_member(t) for t in tasks] == ["a", "b", "c"]
    for task in tasks[:2]:
        engine.complete(workflow, str(task.id), {"decision": "reject", "score": 40, "comment": "x"})
        workflow = engine.restore(engine.dump(workflow))
    assert workflow.is_completed() and engine.outcome(workflow) == "rejected"
    assert engine.task_state(workflow, str(tasks[2].id)) == "CANCELLED"
    assert engine.workflow_data(workflow)["expert_result"]["reject"] == 2


def test_review_tasks_have_a_due_date_and_a_reminder():
    workflow = engine.new_workflow(PLAN, "plan_project", {})
    (task,) = engine.ready_user_tasks(workflow)
    due, remind = engine.deadlines(task)
    assert due and remind and remind < due
    assert engine.next_timer_at(workflow) == remind
    # plan_project keeps the defaults: persons start it, affiliated, routed by their unit;
    # its one check is that of the attachments.
    assert dataclasses.asdict(engine.process_settings(PLAN, "plan_project")) == {
        "four_eyes": True, "starters": ("person",), "affiliation": "required",
        "unit_from": "affiliation", "subject_field": None, "title_field": "project_name",
        "permission": None, "grants_permission": None, "pii_fields": (), "unique_field": None,
        "check": "plan_project", "one_per_applicant": False, "start_event": None,
        "business": None}


def test_who_starts_a_process_and_where_its_unit_comes_from_are_its_data():
    from pathlib import Path

    bpmn = Path(__file__).resolve().parents[2] / "bpmn"
    affiliation = engine.process_settings((bpmn / "affiliation.bpmn").read_bytes(), "affiliation")
    assert (affiliation.starters, affiliation.affiliation, affiliation.unit_from) == \
        (("person",), "forbidden", "association_code")
    permit = engine.process_settings((bpmn / "work_permit.bpmn").read_bytes(), "work_permit")
    assert (permit.starters, permit.unit_from, permit.subject_field) == \
        (("unit",), "account", "employee_id")
    bad = PLAN.replace(b'rencai:fourEyes="true"', b'rencai:fourEyes="true" rencai:unitFrom="account"')
    assert engine.settings_problem(bad, "plan_project") == \
        'rencai:unitFrom="account" 要求 rencai:starter="unit"'
    contest = engine.process_settings((bpmn / "skills_competition.bpmn").read_bytes(),
                                      "skills_competition")
    assert (contest.starters, contest.affiliation, contest.unit_from,
            contest.pii_fields) == (("person",), "none", "competition", ("id_number", "phone"))
    bad = PLAN.replace(b'rencai:fourEyes="true"', b'rencai:fourEyes="true" rencai:starter="unit" '
                                                  b'rencai:unitFrom="competition"')
    assert engine.settings_problem(bad, "plan_project") == \
        'rencai:unitFrom="competition" 要求 rencai:starter="person"'
    bad = PLAN.replace(b'rencai:fourEyes="true"', b'rencai:fourEyes="true" rencai:starter="robot"')
    assert engine.settings_problem(bad, "plan_project").startswith("rencai:starter")
    assert engine.settings_problem(PLAN, "plan_project") is None
