"""What the runtime can run, checked when a definition is validated or deployed: elements and
events it supports, call activities it can resolve, expressions the sandbox accepts, a size
it can parse; then the BPMN schema and SpiffWorkflow's own parser. Unsafe or unrunnable BPMN
is refused here, naming the element, rather than deployed to fail, stall or hang later."""
from __future__ import annotations

from lxml import etree
from SpiffWorkflow.bpmn.parser import BpmnParser, BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from .sandbox import expression_problem
from .settings import BPMN_NS

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
