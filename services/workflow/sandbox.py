"""The sandbox of BPMN conditions and scripts: RestrictedPython (no imports, no dunder access,
no I/O builtins), plus a budget. Guards compiled into every loop, comprehension and function,
and around the operators that make huge values in one step, count against the budget of the
engine run they belong to, so an endless loop stops as an error the engine turns into an
incident instead of holding a request and the database."""
from __future__ import annotations

import ast
import builtins
import copy
import operator
import threading
import time
from contextlib import contextmanager
from functools import lru_cache

from RestrictedPython import (RestrictingNodeTransformer, compile_restricted_eval,
                              compile_restricted_exec, limited_builtins, safe_builtins)
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (full_write_guard, guarded_iter_unpack_sequence,
                                     guarded_unpack_sequence, safer_getattr)
from SpiffWorkflow.bpmn.script_engine import TaskDataEnvironment

# Helpers a BPMN expression may call; everything else is out of reach.
ALLOWED_HELPERS = {"len": len, "min": min, "max": max, "sorted": sorted, "any": any, "all": all,
                   "str": str, "int": int, "float": float, "bool": bool, "round": round,
                   "sum": sum, "abs": abs}


class BudgetExceeded(Exception):
    """A script, a condition or one run of the engine went over its budget: an endless loop
    becomes an incident, never a request that hangs while it holds the database."""


# The budget of one engine run (a start, a completion, a retry, a timer): the turns of loops,
# comprehension items and function calls inside scripts and conditions; the engine tasks it
# completes (a loop of scripts and gateways with no user task in it); and its time. The step
# and task counts are what normally stop a loop; the time, the thread's CPU time, is the
# backstop for slow steps. None of them depends on the machine's load, so a busy server never
# turns a good process into an incident.
STEP_BUDGET = 100_000
TASK_BUDGET = 500
TIME_BUDGET = 1.5
NUMBER_BITS = 100_000  # the largest integer ** << * may make (one C call, not budgeted by steps)
SEQUENCE_LIMIT = 100_000  # the longest string or list * may make
MAX_NESTING = 10  # subprocesses and call activities inside each other, stopped at run time


class _Budget:
    def __init__(self):
        self.steps = self.tasks = 0
        self.deadline = time.thread_time() + TIME_BUDGET
        self.exceeded: str | None = None

    def _over(self, why: str):
        self.exceeded = self.exceeded or why
        raise BudgetExceeded(self.exceeded)

    def step(self) -> bool:
        """Called by the guards compiled into every loop, comprehension and function."""
        self.steps += 1
        if self.exceeded or self.steps > STEP_BUDGET:
            self._over(f"脚本或条件执行超过 {STEP_BUDGET} 步，疑似死循环")
        if time.thread_time() > self.deadline:
            self._over(f"流程运行超过 {TIME_BUDGET:g} 秒，疑似死循环")
        return True

    def task(self, task) -> None:
        """Called before the engine runs each task of its own (gateways, scripts, events)."""
        self.tasks += 1
        why = (f"流程自动运行超过 {TASK_BUDGET} 个环节，疑似流程中有不经人工办理的循环"
               if self.tasks > TASK_BUDGET else
               f"子流程或调用活动嵌套超过 {MAX_NESTING} 层，疑似流程调用自身"
               if _nesting(task.workflow) > MAX_NESTING else
               f"流程运行超过 {TIME_BUDGET:g} 秒，疑似死循环"
               if time.thread_time() > self.deadline else None)
        if why:
            from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException

            task.error()  # so that an admin's retry runs it again
            self.exceeded = self.exceeded or why
            cause = BudgetExceeded(why)
            raise WorkflowTaskException(why, task=task, exception=cause) from cause


def _nesting(workflow) -> int:
    depth, top = 0, workflow.top_workflow
    while workflow is not top and depth <= MAX_NESTING:
        workflow, depth = workflow.parent_workflow, depth + 1
    return depth


_local = threading.local()


@contextmanager
def budgeted():
    """One budget for everything an engine call runs (nested calls share it)."""
    if getattr(_local, "budget", None) is not None:
        yield _local.budget
        return
    _local.budget = _Budget()
    try:
        yield _local.budget
    finally:
        _local.budget = None


class _BudgetedPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy, plus a call of the budget's guard at the top of every loop
    body, in every comprehension and in every function (so that a tight `while True: pass`,
    which makes no call and no line event, still stops), and the operators that can make
    huge values in one C call (** << *) go through a guard that refuses huge results."""

    GUARDED_OPS = {ast.Pow: "**", ast.LShift: "<<", ast.Mult: "*"}

    def visit(self, node):
        result = super().visit(node)
        if isinstance(node, (ast.Module, ast.Expression, ast.Interactive)):
            ast.fix_missing_locations(result)
        return result

    @staticmethod
    def _guard() -> ast.Call:
        return ast.Call(func=ast.Name("_budget_", ast.Load()), args=[], keywords=[])

    def visit_While(self, node):
        node = super().visit_While(node)
        node.body.insert(0, ast.copy_location(ast.Expr(self._guard()), node))
        return node

    def visit_For(self, node):
        node = super().visit_For(node)
        node.body.insert(0, ast.copy_location(ast.Expr(self._guard()), node))
        return node

    def visit_FunctionDef(self, node):
        node = super().visit_FunctionDef(node)
        node.body.insert(0, ast.copy_location(ast.Expr(self._guard()), node))
        return node

    def visit_Lambda(self, node):
        node = super().visit_Lambda(node)
        node.body = ast.copy_location(ast.BoolOp(ast.And(), [self._guard(), node.body]), node.body)
        return node

    def visit_comprehension(self, node):
        node = super().visit_comprehension(node)
        node.ifs.insert(0, self._guard())
        return node

    def visit_BinOp(self, node):
        node = super().visit_BinOp(node)
        symbol = self.GUARDED_OPS.get(type(node.op))
        if symbol is None:
            return node
        return ast.copy_location(ast.Call(func=ast.Name("_arith_", ast.Load()),
                                          args=[ast.Constant(symbol), node.left, node.right],
                                          keywords=[]), node)


def _too_big(symbol: str, left, right) -> bool:
    ints = isinstance(left, int) and isinstance(right, int)
    if symbol == "**":
        return ints and right > 0 and abs(left) > 1 and left.bit_length() * right > NUMBER_BITS
    if symbol == "<<":
        return ints and left != 0 and right + left.bit_length() > NUMBER_BITS
    if ints:
        return left.bit_length() + right.bit_length() > NUMBER_BITS
    return any(isinstance(seq, (str, bytes, list, tuple)) and isinstance(n, int)
               and len(seq) * n > SEQUENCE_LIMIT for seq, n in ((left, right), (right, left)))


_OPERATORS = {"**": operator.pow, "<<": operator.lshift, "*": operator.mul,
              "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul,
              "/=": operator.itruediv, "//=": operator.ifloordiv, "%=": operator.imod,
              "**=": operator.ipow, "<<=": operator.ilshift, ">>=": operator.irshift,
              "&=": operator.iand, "|=": operator.ior, "^=": operator.ixor}


def _arith(symbol: str, left, right):
    if _too_big(symbol.removesuffix("="), left, right):
        raise BudgetExceeded(f"运算 {symbol} 的结果过大")
    if symbol not in _OPERATORS:
        raise SyntaxError(f"不支持的运算 {symbol}")
    return _OPERATORS[symbol](left, right)


def _pow(base, exponent, modulo=None):
    if modulo is None and _too_big("**", base, exponent):
        raise BudgetExceeded("运算 ** 的结果过大")
    return pow(base, exponent, modulo)


def _apply(function, *args, **kwargs):
    return function(*args, **kwargs)


@lru_cache(maxsize=1024)
def _compile(source: str, mode: str):
    result = compile_restricted_exec(source, "<bpmn>", policy=_BudgetedPolicy) if mode == "exec" \
        else compile_restricted_eval(source, "<bpmn>", policy=_BudgetedPolicy)
    if result.errors:
        raise SyntaxError("; ".join(result.errors))
    return result.code


def restricted_globals(budget: _Budget | None = None) -> dict:
    builtins = {**safe_builtins, **limited_builtins, **ALLOWED_HELPERS, "pow": _pow}
    return {"__builtins__": builtins, "_getattr_": safer_getattr,
            "_getitem_": default_guarded_getitem, "_getiter_": default_guarded_getiter,
            "_write_": full_write_guard, "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
            "_unpack_sequence_": guarded_unpack_sequence, "_apply_": _apply,
            "_inplacevar_": _arith, "_arith_": _arith,
            "_budget_": (budget or _Budget()).step}


def _run_budgeted(code, scope: dict, mode: str):
    budget = getattr(_local, "budget", None) or _Budget()
    scope["_budget_"] = budget.step
    result = eval(code, scope) if mode == "eval" else exec(code, scope)  # noqa: S102,S307
    if budget.exceeded:  # the script caught the guard's exception and went on
        raise BudgetExceeded(budget.exceeded)
    return result


class RestrictedEnvironment(TaskDataEnvironment):
    """Spiff's task-data environment, but every expression runs under RestrictedPython and
    within the budget of the engine run."""

    def evaluate(self, expression, context, external_context=None):
        scope = restricted_globals()
        scope.update(external_context or {})
        scope.update(copy.deepcopy(context))
        return _run_budgeted(_compile(expression, "eval"), scope, "eval")

    def execute(self, script, context, external_context=None):
        scope = restricted_globals()
        scope.update(external_context or {})
        scope.update(context)
        _run_budgeted(_compile(script, "exec"), scope, "exec")
        for name, value in scope.items():
            if not name.startswith("_") and not callable(value) and name not in ALLOWED_HELPERS:
                context[name] = value
        return True


# What each RestrictedPython hook stands for, for a script that needs one we do not give.
HOOK_SYNTAX = {"_print_": "print", "__metaclass__": "class 定义", "__name__": "class 定义"}


def _code_names(code) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            names |= _code_names(const)
    return names


def expression_problem(source: str, mode: str) -> str | None:
    """Why a condition or script cannot run under the sandbox, or None."""
    try:
        code = _compile(source, mode)
        tree = ast.parse(source.strip(), mode=mode)
    except SyntaxError as error:
        return f"表达式不安全或有语法错误：{source.strip()[:80]}（{error}）"
    if any(isinstance(node, (ast.Import, ast.ImportFrom)) for node in ast.walk(tree)):
        return "脚本不能导入模块（import）"
    provided = restricted_globals()
    allowed = set(provided["__builtins__"])
    # Builtins outside the allow-list (open, getattr, globals, ...) would only fail when
    # the process reaches them; refuse them now.
    names = {node.id for node in ast.walk(tree)
             if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
    forbidden = sorted(name for name in names & set(dir(builtins)) if name not in allowed)
    if forbidden:
        return f"表达式使用了不允许的函数：{'、'.join(forbidden)}"
    # Syntax RestrictedPython turns into a hook we do not give (print, class) fails at run time.
    hooks = sorted(name for name in _code_names(code)
                   if name.startswith("_") and name.endswith("_") and name not in provided)
    if hooks:
        return f"表达式使用了平台不支持的写法：{'、'.join(HOOK_SYNTAX.get(h, h) for h in hooks)}"
    return None
