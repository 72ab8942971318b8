"""The engine's guard rails: unsafe BPMN is refused at deploy, expressions run restricted."""

import pytest

from services.common.config import PROJECT_ROOT
from services.workflow import engine

PLAN = (PROJECT_ROOT / "bpmn" / "plan_project.bpmn").read_bytes()


def _with_condition(expression: str) -> bytes:
    return PLAN.replace(b'decision == "reject"', expression.encode(), 1)


@pytest.mark.parametrize("expression", [
    '__import__("os").system("id")',
    "decision.__class__.__mro__",
    "open('/etc/passwd').read()",
    "exec('1')",
], ids=["import", "dunder", "open", "exec"])
def test_unsafe_expressions_are_refused_at_deploy(expression):
    with pytest.raises(engine.UnsafeBpmn):
        engine.check_bpmn(_with_condition(expression.replace('"', "&quot;")), "plan_project")


def test_invalid_bpmn_is_refused():
    with pytest.raises(engine.UnsafeBpmn):
        engine.check_bpmn(b"<not-bpmn/>", "plan_project")
    with pytest.raises(engine.UnsafeBpmn):
        engine.check_bpmn(PLAN, "no_such_process")


def test_a_restricted_expression_cannot_reach_builtins_at_run_time():
    environment = engine.RestrictedEnvironment()
    assert environment.evaluate("len(items) > 1", {"items": [1, 2]}) is True
    with pytest.raises(NameError):
        environment.evaluate("open", {})


def test_a_workflow_survives_serialization_between_steps():
    workflow = engine.new_workflow(PLAN, "plan_project", {"project_name": "x", "experts": ["e"]})
    for decision in ("approve", "approve", "approve", "approve"):
        workflow = engine.restore(engine.dump(workflow))
        (task,) = engine.ready_user_tasks(workflow)
        engine.complete(workflow, str(task.id), {"decision": decision, "score": 80})
    assert workflow.is_completed() and engine.outcome(workflow) == "approved"
