"""The engine-level rules 政工职评 and 人工申诉 rely on: the two declaration stages in one
process, the declaration task convention, processes started by an event, and the forms'
conditional 免考类型."""
from pathlib import Path

import pytest

from services.common.config import PROJECT_ROOT
from services.common.errors import ValidationFailed
from services.workflow import engine, forms
from services.workflow.service.definitions import validate_definition

TITLE = (PROJECT_ROOT / "bpmn" / "title_evaluation.bpmn").read_bytes()
APPEAL = (PROJECT_ROOT / "bpmn" / "realname_appeal.bpmn").read_bytes()
TITLE_FORMS = forms.load_forms(Path(PROJECT_ROOT / "bpmn" / "forms" / "title_evaluation"))
APPEAL_FORMS = forms.load_forms(Path(PROJECT_ROOT / "bpmn" / "forms" / "realname_appeal"))


def _ready(workflow) -> list[str]:
    return [engine.task_key(t) for t in engine.ready_user_tasks(workflow)]


def _do(workflow, data: dict) -> None:
    (task,) = engine.ready_user_tasks(workflow)
    engine.complete(workflow, str(task.id), data)


def test_both_definitions_pass_the_deploy_checks():
    validate_definition("title_evaluation", TITLE, TITLE_FORMS)
    validate_definition("realname_appeal", APPEAL, APPEAL_FORMS)


def test_stage_two_opens_only_after_the_supervising_body_approves_stage_one():
    workflow = engine.new_workflow(TITLE, "title_evaluation", {"experts": ["e1", "e2", "e3"]})
    assert _ready(workflow) == ["unit_review"]
    _do(workflow, {"decision": "approve"})
    assert _ready(workflow) == ["supervisor_review"]
    _do(workflow, {"decision": "return", "comment": "补充"})
    assert _ready(workflow) == ["revise"]  # stage one: the qualification declaration
    _do(workflow, {})
    _do(workflow, {"decision": "approve"})
    _do(workflow, {"decision": "approve"})
    assert _ready(workflow) == ["declare_materials"]
    assert engine.workflow_data(workflow)["declaration_stage"] == "完善材料"
    _do(workflow, {})
    _do(workflow, {"decision": "approve"})
    _do(workflow, {"decision": "return", "comment": "补充"})
    assert _ready(workflow) == ["revise_materials"]  # stage two: the materials
    _do(workflow, {})
    _do(workflow, {"decision": "approve"})
    _do(workflow, {"decision": "approve"})
    assert _ready(workflow) == ["bureau_review"]


def test_declaration_tasks_and_event_started_processes_are_marked_in_the_bpmn():
    assert engine.is_declaration("declare_materials") and not engine.is_declaration("revise")
    assert engine.start_event_of(APPEAL, "realname_appeal") == "identity.appeal.filed"
    assert engine.start_event_of(TITLE, "title_evaluation") is None
    unknown = APPEAL.replace(b'rencai:startEvent="identity.appeal.filed"',
                             b'rencai:startEvent="orgs.unit.deleted"')
    with pytest.raises(ValidationFailed) as refused:
        validate_definition("realname_appeal", unknown, APPEAL_FORMS)
    assert "rencai:startEvent" in refused.value.errors["bpmn.process"]


BASE = {"declared_title": "政工师", "basic_info_confirmed": True, "current_position": "主任",
        "summary": "思想政治工作", "work_history": [{"employer": "某单位", "position": "主任"}],
        "no_classified_material": True}


@pytest.mark.parametrize("extra, errors", [
    ({}, {"exam_exemption": "请填写是否免考"}),
    ({"exam_exemption": "其他"}, {"exam_exemption": "是否免考的取值不正确"}),
], ids=["choose", "known-types"])
def test_the_exemption_is_one_choice_as_in_plan_project(extra, errors):
    with pytest.raises(ValidationFailed) as refused:
        forms.validate("title_evaluation", TITLE_FORMS, "start", {**BASE, **extra})
    assert refused.value.errors == errors


@pytest.mark.parametrize("choice", ["不免考", "业绩突出免考", "年龄条件免考"])
def test_valid_exemption_choices(choice):
    forms.validate("title_evaluation", TITLE_FORMS, "start", {**BASE, "exam_exemption": choice})


def test_the_exemption_has_one_shape_in_both_forms():
    """One concept, one name: 是否免考 is the same field in 申请计划项目 and 政工职评."""
    import json

    from services.common.config import PROJECT_ROOT

    shapes = [json.loads((PROJECT_ROOT / "bpmn" / "forms" / key / "start.schema.json")
                         .read_text())["properties"]["exam_exemption"]
              for key in ("plan_project", "title_evaluation")]
    assert shapes[0]["type"] == shapes[1]["type"] and shapes[0]["enum"] == shapes[1]["enum"]
