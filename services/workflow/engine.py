"""SpiffWorkflow behind a small surface: parse and check BPMN, run it with RestrictedPython,
serialize it.

Conditions and scripts in BPMN come from admins' uploads, so they are untrusted: they are
compiled with RestrictedPython (no imports, no dunder access, no I/O builtins) both when a
definition is deployed (unsafe BPMN is refused) and every time they run, within a budget
(sandbox.py). What the runtime cannot run is refused at deploy (validation.py).
"""
from __future__ import annotations

import copy
import json
from datetime import datetime
from functools import lru_cache

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser import BpmnParser
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.defaults import BoundaryEvent, EndEvent, UserTask
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.util.task import TaskState

from . import settings
from .sandbox import BudgetExceeded, RestrictedEnvironment, budgeted
from .settings import BPMN_NS, RENCAI_NS  # noqa: F401 - the names BPMN is read by
from .validation import (MAX_CALL_DEPTH, MAX_ELEMENTS, MAX_FLOW_NODES,  # noqa: F401
                         UnsafeBpmn, check_bpmn, model_problems)


def _engine_steps(workflow: BpmnWorkflow) -> None:
    with budgeted() as budget:
        workflow.do_engine_steps(will_complete_task=budget.task)


class RencaiScriptEngine(PythonScriptEngine):
    """A multi-instance child evaluates its completion condition with its own data, which
    holds a stale copy of the output collection; give it the panel's results so far."""

    def evaluate(self, task, expression, external_context=None):
        parent = task.parent
        spec = parent.task_spec if parent is not None else None
        if isinstance(spec, MultiInstanceTask) and spec.data_output is not None \
                and spec.data_output.bpmn_id in parent.data:
            name = spec.data_output.bpmn_id
            data = {**task.data, name: parent.data[name]}
            try:
                return self.environment.evaluate(expression, data, external_context)
            except Exception as error:  # noqa: BLE001 - reported like Spiff's own errors
                from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
                raise WorkflowTaskException(f"Error evaluating expression '{expression}'",
                                            task=task, exception=error) from error
        return super().evaluate(task, expression, external_context)


# What the engine raises for a process's own faults (a script or a condition that fails, data
# a step needs and lacks, a budget used up): these become incidents for admins. Anything else
# is a bug of ours and must surface as one, not hide in an incident.
ENGINE_ERRORS = (SpiffWorkflowException, BudgetExceeded)


def describe(error: Exception) -> str:
    """An engine error as admins read it: in Chinese, naming the element it happened at."""
    task = getattr(error, "task", None)
    spec = getattr(task, "task_spec", None)
    element = getattr(spec, "bpmn_id", None) or getattr(error, "id", None)
    name = getattr(spec, "bpmn_name", None)
    where = (f"环节“{name}”（{element}）" if name and element else
             f"环节（{element}）" if element else "流程")
    # Spiff raises its WorkflowTaskException while handling the script's own exception.
    cause = error.__cause__ or (error.__context__ if isinstance(error, WorkflowException)
                                else None) or error
    line = getattr(error, "line_number", None)
    at = f"第 {line} 行" if line else ""
    if isinstance(cause, BudgetExceeded):
        what = f"运行超出限制：{cause}"
    elif isinstance(cause, NameError):
        what = f"的脚本或条件{at}使用了不存在的数据项 {getattr(cause, 'name', None) or cause}"
    elif isinstance(cause, ZeroDivisionError):
        what = f"的脚本或条件{at}除数为零"
    elif isinstance(cause, KeyError):
        what = f"的脚本或条件{at}取不到数据项 {cause}"
    elif isinstance(cause, (TypeError, ValueError, AttributeError, IndexError)):
        what = f"的脚本或条件{at}数据类型或取值不符（{type(cause).__name__}: {cause}）"
    elif cause is not error:
        what = f"的脚本或条件{at}出错（{type(cause).__name__}: {cause}）"
    else:
        what = f"无法继续运行（{error}）"
    return f"{where}{what}"


SCRIPT_ENGINE = RencaiScriptEngine(environment=RestrictedEnvironment())
SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure())


@lru_cache(maxsize=64)
def _specs(xml: bytes, process_key: str):
    parser = BpmnParser()
    parser.add_bpmn_str(xml)
    return parser.get_spec(process_key), parser.get_subprocess_specs(process_key)


def new_workflow(xml: bytes, process_key: str, data: dict, run: bool = True) -> BpmnWorkflow:
    """A new workflow with the start data; `run=False` leaves the first engine steps to the
    caller (so that a failing script leaves a workflow to keep as an incident)."""
    spec, subprocesses = _specs(xml, process_key)
    workflow = BpmnWorkflow(spec, subprocesses, script_engine=SCRIPT_ENGINE)
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(copy.deepcopy(data))
    if run:
        _engine_steps(workflow)
    return workflow


def run(workflow: BpmnWorkflow) -> None:
    _engine_steps(workflow)


def restore(serialized: str) -> BpmnWorkflow:
    """SERIALIZER.deserialize_json, the process specs taken from a cache: every instance of a
    version carries the same specs, and rebuilding them was ~40 % of a restore. The registry
    passes objects it does not know through, so the cached specs go in the dict's place."""
    dct = json.loads(serialized)
    SERIALIZER.migrate(dct)
    specs = json.dumps([dct["spec"], dct.get("subprocess_specs", {})], ensure_ascii=False)
    dct["spec"], dct["subprocess_specs"] = _restored_specs(specs)
    workflow = SERIALIZER.from_dict(dct)
    workflow.script_engine = SCRIPT_ENGINE
    return workflow


@lru_cache(maxsize=64)
def _restored_specs(specs: str):
    """Shared by the instances restored from the same specs, as _specs' are by new workflows:
    the engine does not change a spec while it runs."""
    spec, subprocess_specs = json.loads(specs)
    return (SERIALIZER.registry.restore(spec),
            {name: SERIALIZER.registry.restore(value) for name, value in subprocess_specs.items()})


def dump(workflow: BpmnWorkflow) -> str:
    return SERIALIZER.serialize_json(workflow)


def ready_user_tasks(workflow: BpmnWorkflow):
    return [task for task in workflow.get_tasks(state=TaskState.READY)
            if isinstance(task.task_spec, UserTask)]


def task_state(workflow: BpmnWorkflow, task_id: str) -> str | None:
    """READY / COMPLETED / CANCELLED ... of a task, None when the tree no longer holds it."""
    import uuid

    task = workflow.get_task_from_id(uuid.UUID(task_id))
    return TaskState.get_name(task.state) if task is not None else None


def task_key(task) -> str:
    return task.task_spec.bpmn_id or task.task_spec.name


def panel_member(task) -> str | None:
    """For a child of a multi-instance task, the item it was made for (e.g. an expert's
    account id), which the service turns into the task's assignee."""
    spec = task.parent.task_spec if task.parent is not None else None
    if isinstance(spec, MultiInstanceTask) and spec.input_item is not None:
        item = task.data.get(spec.input_item.bpmn_id)
        return item if isinstance(item, str) else None
    return None


def _timer_due(task) -> datetime | None:
    value = task._get_internal_data("event_value")
    if not isinstance(value, str):
        return None
    try:
        return TimerEventDefinition.get_datetime(value)
    except ValueError:
        return None


def deadlines(task) -> tuple[datetime | None, datetime | None]:
    """(due, remind) of a user task: its interrupting and non-interrupting boundary timers."""
    due = remind = None
    holder = task.parent if task.parent is not None else None
    # A multi-instance child's boundary events hang off the multi-instance task's parent.
    if holder is not None and isinstance(holder.task_spec, MultiInstanceTask):
        holder = holder.parent
    for sibling in (holder.children if holder is not None else []):
        spec = sibling.task_spec
        if isinstance(spec, BoundaryEvent) and sibling.state == TaskState.WAITING \
                and isinstance(spec.event_definition, TimerEventDefinition):
            when = _timer_due(sibling)
            if when is None:
                continue
            if spec.cancel_activity:
                due = min(due, when) if due else when
            else:
                remind = min(remind, when) if remind else when
    return due, remind


def waiting_timers(workflow: BpmnWorkflow) -> dict[str, dict]:
    """{task id: {key, name, due, interrupting}} of every timer the workflow waits on."""
    timers = {}
    for task in workflow.get_tasks(state=TaskState.WAITING):
        spec = task.task_spec
        if isinstance(getattr(spec, "event_definition", None), TimerEventDefinition):
            timers[str(task.id)] = {"key": task_key(task), "name": spec.bpmn_name or task_key(task),
                                    "due": _timer_due(task),
                                    "interrupting": bool(getattr(spec, "cancel_activity", True)),
                                    "attached_to": getattr(task.parent.task_spec, "name", "")
                                    .removesuffix(".BoundaryEventSplit")}
    return timers


def next_timer_at(workflow: BpmnWorkflow) -> datetime | None:
    dues = [t["due"] for t in waiting_timers(workflow).values() if t["due"] is not None]
    return min(dues) if dues else None


def fire_due_timers(workflow: BpmnWorkflow) -> list[dict]:
    """Fires the timers whose time has come and runs the engine on; returns those fired."""
    before = waiting_timers(workflow)
    with budgeted():
        workflow.refresh_timers()
        _engine_steps(workflow)
    import uuid

    fired = []
    for task_id, timer in before.items():
        task = workflow.get_task_from_id(uuid.UUID(task_id))
        if task is not None and task.state == TaskState.COMPLETED:
            fired.append(timer)
    return fired


def complete(workflow: BpmnWorkflow, task_id: str, data: dict) -> None:
    import uuid

    task = workflow.get_task_from_id(uuid.UUID(task_id))
    task.data.update(copy.deepcopy(data))
    # A multi-instance child's form data is its output item (one expert's opinion).
    spec = task.parent.task_spec if task.parent is not None else None
    if isinstance(spec, MultiInstanceTask) and spec.output_item is not None:
        opinion = copy.deepcopy(data)
        if spec.input_item is not None:
            opinion[spec.input_item.bpmn_id] = task.data.get(spec.input_item.bpmn_id)
        task.data[spec.output_item.bpmn_id] = opinion
    with budgeted():
        task.run()
        _engine_steps(workflow)


def failed_tasks(workflow: BpmnWorkflow):
    return workflow.get_tasks(state=TaskState.ERROR)


def retry(workflow: BpmnWorkflow, data: dict) -> None:
    """Runs the failed tasks again with `data` merged in (an admin's fix), then goes on."""
    with budgeted():
        for task in failed_tasks(workflow):
            task.data.update(copy.deepcopy(data))
            task.run()
        _engine_steps(workflow)


def move_back(workflow: BpmnWorkflow, task_key: str):
    """An admin's 'modify' of a stuck instance: the latest completed run of the user task
    `task_key` becomes ready again (what came after it is dropped). The task, or None when
    the instance never completed that task."""
    done = [t for t in workflow.get_tasks(state=TaskState.COMPLETED)
            if isinstance(t.task_spec, UserTask) and t.task_spec.bpmn_id == task_key]
    if not done:
        return None
    task = max(done, key=lambda t: t.last_state_change)
    workflow.reset_from_task_id(task.id)
    return workflow.get_task_from_id(task.id)


def workflow_data(workflow: BpmnWorkflow) -> dict:
    """The data of the furthest task (what scripts have computed so far)."""
    return workflow.last_task.data if workflow.last_task is not None else {}


def cancel(workflow: BpmnWorkflow) -> None:
    workflow.cancel()


def outcome(workflow: BpmnWorkflow) -> str | None:
    """'approved' / 'rejected' from the end event reached (ids end_approved / end_rejected)."""
    for task in workflow.get_tasks(state=TaskState.COMPLETED):
        bpmn_id = task.task_spec.bpmn_id or ""
        if isinstance(task.task_spec, EndEvent) and bpmn_id.startswith("end_"):
            return bpmn_id.removeprefix("end_")
    return None


DECLARATION_PREFIX = "declare_"


def is_declaration(task_key: str) -> bool:
    """An applicant task whose id starts with declare_ is a further declaration stage the
    process opens after an approval (政工职评's 完善材料), not a return for corrections."""
    return task_key.startswith(DECLARATION_PREFIX)


def start_event_of(xml: bytes, process_key: str) -> str | None:
    """rencai:startEvent="identity.appeal.filed": the bus event that starts the process
    (service/triggers.py; the event's data is the start data, its account_id the applicant).
    Nobody starts such a process over the API, and the catalogue does not offer it."""
    return process_settings(xml, process_key).start_event


def process_settings(xml: bytes, process_key: str) -> settings.ProcessSettings:
    """The process's settings (settings.py: the rencai:* attributes of <process>, parsed
    once); a definition that passed validation always has usable ones."""
    return settings.parse(xml, process_key)


def settings_problem(xml: bytes, process_key: str) -> str | None:
    """Why the process's settings are not usable (naming the attribute), or None."""
    return settings.problem(xml, process_key)


@lru_cache(maxsize=64)
def stage_titles(xml: bytes, process_key: str) -> dict[str, str]:
    """{task or end event id: rencai:stage} — the status words a process gives its user tasks
    and end events (e.g. 待审核, 待复审, 未通过, 已完成), shown instead of the lane's."""
    process = settings.process_element(xml, process_key)
    if process is None:
        return {}
    return {node.get("id"): node.get(f"{{{RENCAI_NS}}}stage").strip()
            for node in process.iter() if isinstance(node.tag, str)
            and node.get(f"{{{RENCAI_NS}}}stage")}


def end_reached(workflow: BpmnWorkflow) -> str | None:
    """The id of the end event the finished workflow reached."""
    for task in workflow.get_tasks(state=TaskState.COMPLETED):
        if isinstance(task.task_spec, EndEvent) and task.task_spec.bpmn_id:
            return task.task_spec.bpmn_id
    return None


def _diff(xml: bytes, process_key: str, workflow: BpmnWorkflow):
    from SpiffWorkflow.bpmn.util.diff import diff_workflow

    spec, subprocesses = _specs(xml, process_key)
    top, _ = diff_workflow(SERIALIZER.registry, workflow, spec, subprocesses)
    return spec, subprocesses, top


def migration_problem(xml: bytes, process_key: str, workflow: BpmnWorkflow) -> str | None:
    """Why the workflow cannot move onto this spec (a task it waits on is gone), or None."""
    _, _, top = _diff(xml, process_key, workflow)
    live = [t for t in top.removed if t.state in (TaskState.READY, TaskState.WAITING,
                                                   TaskState.STARTED)]
    if live:
        names = sorted({t.task_spec.bpmn_name or t.task_spec.name for t in live})
        return f"目标版本删除了当前环节：{'、'.join(names)}"
    return None


def migrate_to(xml: bytes, process_key: str, workflow: BpmnWorkflow) -> BpmnWorkflow:
    """Moves the workflow onto another version of its spec (Spiff's diff and migrate)."""
    from SpiffWorkflow.bpmn.util.diff import migrate_workflow

    spec, subprocesses, top = _diff(xml, process_key, workflow)
    problem = migration_problem(xml, process_key, workflow)
    if problem:
        raise UnsafeBpmn(problem)
    migrate_workflow(top, workflow, spec)
    workflow.subprocess_specs = subprocesses
    _engine_steps(workflow)
    return workflow
