"""The admins' view of running business: search every instance (business, status, applicant,
unit, dates) and an instance's trace on its diagram (the version it runs on, the path taken,
what waits now)."""
from __future__ import annotations

import copy
from datetime import date, datetime, time, timezone

from sqlalchemy import select

from services.common.auth import Claims
from services.common.bus import Outbox
from services.common.db import Database, paginate, utcnow
from services.common.errors import Conflict, Forbidden, NotFound, ValidationFailed

from .. import engine
from ..model import Definition, Instance, Task
from .base import ACTIVE, audit, instance_summary, is_admin, load_instance, swap, sync


def _admin(claims: Claims) -> None:
    if not is_admin(claims):
        raise Forbidden("仅管理员可以查询全部申请")


def search(db: Database, claims: Claims, query: dict) -> dict:
    _admin(claims)
    q = select(Instance)
    if query.get("process_key"):
        q = q.where(Instance.process_key == query["process_key"])
    if query.get("status") == "active":
        q = q.where(Instance.status.in_(("running", "returned", "failed")))
    elif query.get("status"):
        q = q.where(Instance.status == query["status"])
    if query.get("applicant"):
        q = q.where(Instance.applicant_name.contains(query["applicant"], autoescape=True))
    if query.get("unit_id"):
        q = q.where(Instance.unit_id == query["unit_id"])
    if query.get("started_from"):
        q = q.where(Instance.started_at >= _day(query["started_from"]))
    if query.get("started_to"):
        q = q.where(Instance.started_at <= _day(query["started_to"], end=True))
    with db.reading() as session:
        result = paginate(session, q.order_by(Instance.started_at.desc(), Instance.id),
                          query["page"], query["per_page"])
        versions = dict(session.execute(select(Definition.id, Definition.version).where(
            Definition.id.in_({i.definition_id for i in result["items"]}))).all())
        result["items"] = [{**instance_summary(session, i), "version": versions[i.definition_id],
                            "unit_id": i.unit_id} for i in result["items"]]
    return result


def _day(value: date, end: bool = False) -> datetime:
    """A date's first (or, for `end`, last) instant, UTC."""
    return datetime.combine(value, time.max if end else time.min, tzinfo=timezone.utc)


def trace(db: Database, claims: Claims, instance_id: str) -> dict:
    """Element ids of the instance's BPMN: those completed (the path taken) and those waiting,
    with the version's number and its data."""
    _admin(claims)
    with db.reading() as session:
        instance = session.get(Instance, instance_id)
        if instance is None:
            raise NotFound("申请不存在")
        definition = session.get(Definition, instance.definition_id)
        waiting = session.scalars(select(Task.task_key).where(
            Task.instance_id == instance.id, Task.status == "ready")).all()
        workflow = engine.restore(instance.serialized)
    done = sorted({t.task_spec.bpmn_id for t in workflow.get_tasks(state=engine.TaskState.COMPLETED)
                   if getattr(t.task_spec, "bpmn_id", None)})
    return {"instance_id": instance.id, "process_key": instance.process_key,
            "version": definition.version, "status": instance.status,
            "incident": instance.incident, "done": done, "current": sorted(set(waiting)),
            "data": instance.application}


def move(db: Database, outbox: Outbox, claims: Claims, instance_id: str, task_key: str,
         reason: str) -> Instance:
    """Moves a stuck instance to another user task of its definition (Camunda's "modify"):
    back to a task on the path taken (that run waits again, what came after is dropped) or
    forward / sideways to a task not reached (what waits now is dropped, the task is entered
    as if its flow had arrived). The move and its reason are audited."""
    _admin(claims)
    with db.transaction() as session:
        instance = load_instance(session, instance_id)
        if instance.status not in ACTIVE + ("failed",):
            raise Conflict("只能移动办理中或办理异常的申请")
        workflow = engine.restore(instance.serialized)
        if any(engine.task_key(t) == task_key for t in engine.ready_user_tasks(workflow)):
            raise ValidationFailed("申请正在该环节等待办理，无需移动",
                                   {"task_key": "申请正在该环节等待办理，无需移动"})
        task = engine.move_back(workflow, task_key) or _move_to(workflow, task_key)
        now = utcnow()
        row = session.get(Task, str(task.id))
        if row is not None:  # the same engine task waits again: its row is ready again
            row.status, row.completed_at, row.completed_by = "ready", None, None
            row.completed_by_name, row.decision, row.version = None, None, row.version + 1
            row.assignee = row.assignee_name = row.claimed_at = None
        changes = sync(session, outbox, instance, workflow, now)
        swap(session, instance, {**changes, "serialized": engine.dump(workflow),
                                 "incident": None, "updated_at": now})
        audit(session, instance, claims, "管理员移动环节", "move", reason, role="admin",
              detail={"to": task_key})
    return instance


def _move_to(workflow, task_key: str):
    """A move to a user task the instance has not completed: the one place it waits now (a
    ready user task, or the step that failed) is dropped with its timers and panel, and the
    target is entered from the same parent — through its boundary events' split when it has
    timers, so its time limits start afresh. Refused (422) for a task the top-level process
    does not have, or when it waits in several places at once (parallel branches)."""
    from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
    from SpiffWorkflow.bpmn.specs.defaults import UserTask
    from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask

    def refuse(text):
        raise ValidationFailed(text, {"task_key": text})

    target = next((spec for spec in workflow.spec.task_specs.values()
                   if isinstance(spec, UserTask) and spec.bpmn_id == task_key), None)
    if target is None:
        refuse("该流程没有这个用户任务")
    waiting = engine.ready_user_tasks(workflow) + workflow.get_tasks(state=engine.TaskState.ERROR)
    exits = set()
    for task in waiting:
        while task.parent is not None and isinstance(
                task.parent.task_spec, (BoundaryEventSplit, MultiInstanceTask)):
            task = task.parent  # the timers beside it, the panel around it, go too
        exits.add(task)
    exits = {t for t in exits if t.workflow is workflow}
    if len(exits) != 1:
        refuse("申请同时在多个环节等待（或不在可移动的环节），只能移回已走过的环节")
    [current] = exits
    entry = next((spec for spec in target.inputs if isinstance(spec, BoundaryEventSplit)),
                 target)
    data = copy.deepcopy(current.data)
    parent = current.parent
    for task in list(current):  # its timers stop waiting (Spiff's event manager holds them)
        workflow.event_manager.remove_task(task)
    workflow._remove_task(current.id)  # Spiff has no public "cancel this branch only"
    entered = parent._add_child(entry, engine.TaskState.FUTURE)
    workflow.reset_from_task_id(entered.id, data=data)
    engine.run(workflow)
    ready = [t for t in engine.ready_user_tasks(workflow) if engine.task_key(t) == task_key]
    if not ready:
        refuse("未能进入该环节")
    return ready[0]
