"""SpiffWorkflow behind a small surface: parse and check BPMN, run it with RestrictedPython,
serialize it.

Conditions and scripts in BPMN come from admins' uploads, so they are untrusted: they are
compiled with RestrictedPython (no imports, no dunder access, no I/O builtins) both when a
definition is deployed (unsafe BPMN is refused) and every time they run.
"""
from __future__ import annotations

import ast
import builtins
import copy
from functools import lru_cache

from lxml import etree
from RestrictedPython import compile_restricted, limited_builtins, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (full_write_guard, guarded_iter_unpack_sequence,
                                     safer_getattr)
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser import BpmnParser, BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.defaults import EndEvent, UserTask
from SpiffWorkflow.util.task import TaskState

BPMN_NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
# Helpers a BPMN expression may call; everything else is out of reach.
ALLOWED_HELPERS = {"len": len, "min": min, "max": max, "sorted": sorted, "any": any, "all": all,
                   "str": str, "int": int, "float": float, "bool": bool, "round": round}


class UnsafeBpmn(Exception):
    """A definition that cannot be deployed: invalid BPMN or an unsafe expression."""


@lru_cache(maxsize=1024)
def _compile(source: str, mode: str):
    return compile_restricted(source, filename="<bpmn>", mode=mode)


def _restricted_globals() -> dict:
    builtins = {**safe_builtins, **limited_builtins, **ALLOWED_HELPERS}
    return {"__builtins__": builtins, "_getattr_": safer_getattr,
            "_getitem_": default_guarded_getitem, "_getiter_": default_guarded_getiter,
            "_write_": full_write_guard, "_iter_unpack_sequence_": guarded_iter_unpack_sequence}


class RestrictedEnvironment(TaskDataEnvironment):
    """Spiff's task-data environment, but every expression runs under RestrictedPython."""

    def evaluate(self, expression, context, external_context=None):
        scope = _restricted_globals()
        scope.update(external_context or {})
        scope.update(copy.deepcopy(context))
        return eval(_compile(expression, "eval"), scope)  # noqa: S307 - restricted code

    def execute(self, script, context, external_context=None):
        scope = _restricted_globals()
        scope.update(external_context or {})
        scope.update(context)
        exec(_compile(script, "exec"), scope)  # noqa: S102 - restricted code
        for name, value in scope.items():
            if not name.startswith("_") and not callable(value) and name not in ALLOWED_HELPERS:
                context[name] = value
        return True


SCRIPT_ENGINE = PythonScriptEngine(environment=RestrictedEnvironment())
SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure())


def check_bpmn(xml: bytes, process_key: str) -> None:
    """Refuses BPMN that fails the schema, lacks the process, or holds unsafe code."""
    try:
        parser = BpmnParser(validator=BpmnValidator())
        parser.add_bpmn_str(xml)
        parser.get_spec(process_key)
    except (ValidationException, etree.XMLSyntaxError, Exception) as error:
        raise UnsafeBpmn(f"BPMN 文件无效：{error}") from error
    root = etree.fromstring(xml)
    expressions = [(node.text or "", "eval") for node in root.iterfind(".//bpmn:conditionExpression", BPMN_NS)]
    expressions += [(node.text or "", "exec") for node in root.iterfind(".//bpmn:script", BPMN_NS)]
    allowed = set(_restricted_globals()["__builtins__"])
    for source, mode in expressions:
        try:
            compile_restricted(source, filename="<bpmn>", mode=mode)
        except SyntaxError as error:
            raise UnsafeBpmn(f"流程表达式不安全或有语法错误：{source.strip()[:80]}（{error}）") from error
        # Builtins outside the allow-list (open, getattr, globals, ...) would only fail when
        # the process reaches them; refuse them now.
        names = {node.id for node in ast.walk(ast.parse(source.strip(), mode=mode))
                 if isinstance(node, ast.Name)}
        forbidden = sorted(name for name in names & set(dir(builtins)) if name not in allowed)
        if forbidden:
            raise UnsafeBpmn(f"流程表达式使用了不允许的函数：{'、'.join(forbidden)}")


@lru_cache(maxsize=64)
def _specs(xml: bytes, process_key: str):
    parser = BpmnParser()
    parser.add_bpmn_str(xml)
    return parser.get_spec(process_key), parser.get_subprocess_specs(process_key)


def new_workflow(xml: bytes, process_key: str, data: dict) -> BpmnWorkflow:
    spec, subprocesses = _specs(xml, process_key)
    workflow = BpmnWorkflow(spec, subprocesses, script_engine=SCRIPT_ENGINE)
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(copy.deepcopy(data))
    workflow.do_engine_steps()
    return workflow


def restore(serialized: str) -> BpmnWorkflow:
    workflow = SERIALIZER.deserialize_json(serialized)
    workflow.script_engine = SCRIPT_ENGINE
    return workflow


def dump(workflow: BpmnWorkflow) -> str:
    return SERIALIZER.serialize_json(workflow)


def ready_user_tasks(workflow: BpmnWorkflow):
    return [task for task in workflow.get_tasks(state=TaskState.READY)
            if isinstance(task.task_spec, UserTask)]


def complete(workflow: BpmnWorkflow, task_id: str, data: dict) -> None:
    import uuid

    task = workflow.get_task_from_id(uuid.UUID(task_id))
    task.data.update(copy.deepcopy(data))
    task.run()
    workflow.do_engine_steps()


def outcome(workflow: BpmnWorkflow) -> str | None:
    """'approved' / 'rejected' from the end event reached (ids end_approved / end_rejected)."""
    for task in workflow.get_tasks(state=TaskState.COMPLETED):
        if isinstance(task.task_spec, EndEvent) and task.task_spec.bpmn_id:
            return task.task_spec.bpmn_id.removeprefix("end_")
    return None
