"""SpiffWorkflow behind a small surface: parse and check BPMN, run it with RestrictedPython,
serialize it.

Conditions and scripts in BPMN come from admins' uploads, so they are untrusted: they are
compiled with RestrictedPython (no imports, no dunder access, no I/O builtins) both when a
definition is deployed (unsafe BPMN is refused) and every time they run, within a budget
(sandbox.py). What the runtime cannot run is refused at deploy (model_problems).
"""
from __future__ import annotations

import copy
from datetime import datetime
from functools import lru_cache

from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser import BpmnParser, BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.defaults import BoundaryEvent, EndEvent, UserTask
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.util.task import TaskState

from .sandbox import BudgetExceeded, RestrictedEnvironment, budgeted, expression_problem

BPMN_NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
RENCAI_NS = "https://rencai.example/bpmn/extensions"
# Every element whose text is an expression or a script the engine will run.
EXPRESSION_TAGS = [("conditionExpression", "eval"), ("completionCondition", "eval"),
                   ("loopCardinality", "eval"), ("timeDuration", "eval"), ("timeDate", "eval"),
                   ("timeCycle", "eval"), ("script", "exec")]


class UnsafeBpmn(Exception):
    """A definition that cannot be deployed: invalid BPMN or an unsafe expression. `element`
    names the BPMN element at fault when there is one."""

    def __init__(self, message: str, element: str | None = None):
        super().__init__(message)
        self.element = element


MAX_CALL_DEPTH = 5  # call activities inside call activities, refused at validation beyond
# Spiff's parser recurses along the flow, one level per element, so a model must stay well
# under Python's recursion limit; no business process comes near it.
MAX_FLOW_NODES = 300
MAX_ELEMENTS = 5_000


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


# What the runtime runs: every flow node not listed here is refused at validation, naming
# the element, rather than deployed to fail, stall or hang later.
RUNNABLE = {"startEvent", "endEvent", "intermediateThrowEvent", "intermediateCatchEvent",
            "boundaryEvent", "userTask", "scriptTask", "subProcess", "callActivity",
            "exclusiveGateway", "inclusiveGateway", "parallelGateway"}
NOT_RUNNABLE = {
    "serviceTask": "服务任务（serviceTask）：平台不调用外部服务，请改为脚本任务或用户任务",
    "sendTask": "发送任务（sendTask）：平台不收发流程消息",
    "receiveTask": "接收任务（receiveTask）：平台不收发流程消息，流程会一直等待",
    "manualTask": "人工任务（manualTask）不会进入任何人的待办，请改为泳道中的用户任务（userTask）",
    "task": "未指定类型的任务（task）不会进入任何人的待办，请改为用户任务（userTask）或脚本任务（scriptTask）",
    "businessRuleTask": "业务规则任务（businessRuleTask）：平台不支持决策表",
    "eventBasedGateway": "事件网关（eventBasedGateway）：平台不支持",
    "complexGateway": "复杂网关（complexGateway）：平台不支持",
    "transaction": "事务子流程（transaction）：平台不支持",
    "adHocSubProcess": "自由子流程（adHocSubProcess）：平台不支持"}
# The events each kind of event node may carry: timers are the only events the platform
# delivers; none at all for a start event (instances start over the API or from the bus).
EVENT_DEFINITIONS = {"startEvent": set(), "endEvent": {"terminateEventDefinition"},
                     "intermediateThrowEvent": set(),
                     "intermediateCatchEvent": {"timerEventDefinition"},
                     "boundaryEvent": {"timerEventDefinition"}}
EVENT_TITLES = {"startEvent": "开始事件", "endEvent": "结束事件",
                "intermediateThrowEvent": "中间抛出事件", "intermediateCatchEvent": "中间捕获事件",
                "boundaryEvent": "边界事件"}
def _local_name(node) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def _owner_id(node) -> str | None:
    """The id of the nearest element holding `node` (a script's task, a condition's flow)."""
    while node is not None and node.get("id") is None:
        node = node.getparent()
    return node.get("id") if node is not None else None


def _call_problems(processes: dict, process_key: str) -> dict[str, str]:
    """Each call activity must call another process of the same file, without a cycle and
    at most MAX_CALL_DEPTH deep (a process calling itself would run until the server gives
    up). Depth-first over the call graph: linear in the model."""
    problems: dict[str, str] = {}
    calls = {key: [(node.get("id"), (node.get("calledElement") or "").strip())
                   for node in process.iter(f"{{{BPMN_NS['bpmn']}}}callActivity")]
             for key, process in processes.items()}
    depth: dict[str, int] = {}
    path: list[str] = []

    def visit(key: str) -> int:
        if key in depth:
            return depth[key]
        path.append(key)
        deepest = 0
        for element, called in calls[key]:
            if called not in processes:
                problems[element] = f"调用活动调用的流程 {called or '（未填写）'} 不在本文件中"
            elif called in path:
                cycle = " → ".join(path[path.index(called):] + [called])
                problems[element] = f"调用活动形成循环调用：{cycle}"
            else:
                deepest = max(deepest, visit(called) + 1)
        path.pop()
        depth[key] = deepest
        return deepest

    if visit(process_key) > MAX_CALL_DEPTH and not problems:
        problems[process_key] = f"调用活动嵌套超过 {MAX_CALL_DEPTH} 层"
    return problems


def model_problems(xml: bytes, process_key: str) -> dict[str, str]:
    """{element id: why} for everything in the model the runtime cannot run: elements and
    events it does not support, call activities it cannot resolve, expressions the sandbox
    refuses; {"": why} when the model is too large. One pass over the elements."""
    try:
        root = etree.fromstring(xml)
    except etree.XMLSyntaxError as error:
        return {"": f"BPMN 文件无效：XML 格式错误：{error}"}
    count = sum(1 for _ in root.iter())
    nodes = sum(1 for node in root.iter() if _local_name(node) in RUNNABLE or
                _local_name(node) in NOT_RUNNABLE)
    if count > MAX_ELEMENTS or nodes > MAX_FLOW_NODES:
        return {"": f"流程过大：共 {nodes} 个环节、{count} 个元素（上限 {MAX_FLOW_NODES} 个环节、"
                    f"{MAX_ELEMENTS} 个元素），请拆分为多个流程"}
    processes = {p.get("id"): p for p in root.iterfind("bpmn:process", BPMN_NS)}
    if process_key not in processes:
        return {"": f"BPMN 中没有编号为 {process_key} 的流程"}
    problems: dict[str, str] = {}
    called = {(node.get("calledElement") or "").strip()
              for node in root.iter(f"{{{BPMN_NS['bpmn']}}}callActivity")}
    for key, process in processes.items():
        if key != process_key and key not in called and process.get("isExecutable") == "false":
            continue  # another party's pool, drawn for the reader: never run
        for node in process.iter():
            tag = _local_name(node)
            if tag in NOT_RUNNABLE:
                problems[node.get("id") or tag] = NOT_RUNNABLE[tag]
            elif tag in EVENT_DEFINITIONS:
                kinds = {_local_name(child) for child in node
                         if _local_name(child).endswith("EventDefinition")
                         or _local_name(child) == "eventDefinitionRef"}
                refused = sorted(kinds - EVENT_DEFINITIONS[tag])
                if refused:
                    problems[node.get("id") or tag] = (
                        f"{EVENT_TITLES[tag]}不支持 {'、'.join(refused)}："
                        "平台只支持空事件和定时事件（结束事件还可以是终止事件）")
        for tag, mode in EXPRESSION_TAGS:
            for node in process.iterfind(f".//bpmn:{tag}", BPMN_NS):
                problem = expression_problem(node.text or "", mode)
                if problem:
                    problems.setdefault(_owner_id(node) or tag, problem)
    problems.update(_call_problems(processes, process_key))
    return problems


def check_bpmn(xml: bytes, process_key: str) -> None:
    """Refuses BPMN that the runtime cannot run (model_problems), then BPMN that fails the
    schema or SpiffWorkflow's parser."""
    for element, problem in model_problems(xml, process_key).items():
        raise UnsafeBpmn(f"{element}：{problem}" if element else problem, element or None)
    try:
        parser = BpmnParser(validator=BpmnValidator())
        parser.add_bpmn_str(xml)
        parser.get_spec(process_key)
        parser.get_subprocess_specs(process_key)
    except ValidationException as error:
        element = getattr(error, "id", None) or None
        where = f"元素 {element}：" if element else ""
        raise UnsafeBpmn(f"BPMN 文件无效：{where}{error}", element) from error
    except (etree.XMLSyntaxError, RecursionError, ValueError, KeyError, TypeError) as error:
        raise UnsafeBpmn(f"BPMN 文件无效：{error}") from error


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
    workflow = SERIALIZER.deserialize_json(serialized)
    workflow.script_engine = SCRIPT_ENGINE
    return workflow


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


@lru_cache(maxsize=64)
def start_event_of(xml: bytes, process_key: str) -> str | None:
    """rencai:startEvent="identity.appeal.filed": the bus event that starts the process
    (service/triggers.py; the event's data is the start data, its account_id the applicant).
    Nobody starts such a process over the API, and the catalogue does not offer it."""
    process = etree.fromstring(xml).find(f"bpmn:process[@id='{process_key}']", BPMN_NS)
    value = process.get(f"{{{RENCAI_NS}}}startEvent") if process is not None else None
    return (value or "").strip() or None


STARTERS = ("person", "unit")
AFFILIATION_RULES = ("required", "forbidden", "none")
UNIT_SOURCES = ("affiliation", "association_code", "account", "competition")


@lru_cache(maxsize=64)
def process_settings(xml: bytes, process_key: str) -> dict:
    """Per-process switches, data of the process deployed with it (attributes of <process>):

    rencai:fourEyes="false"          relax four eyes (default true)
    rencai:starter="person unit"     account kinds that may start it (default person)
    rencai:affiliation="required"    the person must be affiliated (default), "forbidden"
                                     (must not be yet: the affiliation request) or "none"
    rencai:unitFrom="affiliation"    where the routing unit comes from: the person's
                                     affiliation (default), "association_code" (the unit the
                                     person names by its 单位关联代码 in the start form field
                                     `association_code`), "account" (the unit account), or
                                     "competition" (the committee of the published competition
                                     a registration names; started only by 报名's 提交审核)
    rencai:subjectField="employee_id"  the start form field naming the subject person (a unit
                                     applies for an affiliated employee)
    rencai:titleField="project_name" the start form field (or resolved context, e.g.
                                     unit_name / subject_name) that completes the title
    rencai:permission="talent_intro" the applying unit must hold this 业务权限 (approved, or
                                     modified after approval and under re-review)
    rencai:grantsPermission="talent_intro"  the process is the application for that 业务权限
                                     (one open application per unit; the unit needs a district)
    rencai:piiFields="id_number"     personal form fields: stored masked (+ encrypted and a
                                     blind index beside them), never in plain text
    rencai:uniqueField="id_number"   one open instance per unit and value of this field
    rencai:check="talent_demand"     a registered server-side check of the form data
                                     (checks.py), e.g. attachment naming rules
    rencai:onePerApplicant="true"    one open (running or returned) instance per applicant:
                                     a second start is refused until the first has ended
                                     (default false; implied by subjectField, per subject,
                                     and by affiliation="forbidden")
    """
    process = etree.fromstring(xml).find(f"bpmn:process[@id='{process_key}']", BPMN_NS)

    def attr(name: str, default: str) -> str:
        value = process.get(f"{{{RENCAI_NS}}}{name}") if process is not None else None
        return (value or default).strip()

    return {"four_eyes": attr("fourEyes", "true").lower() != "false",
            "starters": tuple(attr("starter", "person").split()),
            "affiliation": attr("affiliation", "required"),
            "unit_from": attr("unitFrom", "affiliation"),
            "subject_field": attr("subjectField", "") or None,
            "title_field": attr("titleField", "project_name"),
            "permission": attr("permission", "") or None,
            "grants_permission": attr("grantsPermission", "") or None,
            "pii_fields": tuple(attr("piiFields", "").split()),
            "unique_field": attr("uniqueField", "") or None,
            "check": attr("check", "") or None,
            "one_per_applicant": attr("onePerApplicant", "false").lower() == "true"}


@lru_cache(maxsize=64)
def stage_titles(xml: bytes, process_key: str) -> dict[str, str]:
    """{task or end event id: rencai:stage} — the status words a process gives its user tasks
    and end events (e.g. 待审核, 待复审, 未通过, 已完成), shown instead of the lane's."""
    process = etree.fromstring(xml).find(f"bpmn:process[@id='{process_key}']", BPMN_NS)
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


def settings_problem(xml: bytes, process_key: str) -> str | None:
    """Why the process's start settings are not usable, or None."""
    settings = process_settings(xml, process_key)
    if not settings["starters"] or any(s not in STARTERS for s in settings["starters"]):
        return f"rencai:starter 只能是 {'、'.join(STARTERS)}"
    if settings["affiliation"] not in AFFILIATION_RULES:
        return f"rencai:affiliation 只能是 {'、'.join(AFFILIATION_RULES)}"
    if settings["unit_from"] not in UNIT_SOURCES:
        return f"rencai:unitFrom 只能是 {'、'.join(UNIT_SOURCES)}"
    if settings["unit_from"] == "account" and settings["starters"] != ("unit",):
        return "rencai:unitFrom=\"account\" 要求 rencai:starter=\"unit\""
    if settings["unit_from"] == "competition" and settings["starters"] != ("person",):
        return "rencai:unitFrom=\"competition\" 要求 rencai:starter=\"person\""
    from .checks import CHECKS

    if settings["check"] and settings["check"] not in CHECKS:
        return f"rencai:check 只能是 {'、'.join(sorted(CHECKS))}"
    if settings["permission"] and settings["unit_from"] != "account":
        return "rencai:permission 要求 rencai:unitFrom=\"account\""
    if settings["grants_permission"] and settings["unit_from"] != "account":
        return "rencai:grantsPermission 要求 rencai:unitFrom=\"account\""
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
