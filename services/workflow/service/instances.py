"""Instances: start a business, complete a task, withdraw, incidents and their retry, and what
an applicant or reviewer sees of an instance."""
from __future__ import annotations

import dataclasses
import uuid

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.common import audit as audit_log
from services.common.auth import Claims
from services.common.bus import Outbox
from services.common.db import Database, paginate, utcnow
from services.common.errors import Conflict, Forbidden, NotFound, ValidationFailed

from .. import engine, forms, hooks
from ..model import STATUS_TITLES, AuditEntry, Definition, Instance, OrgEntry, Task
from ..routing import org_name, shown_name, unit_by_association_code, unit_of
from ..settings import ProcessSettings
from .base import (ACTIVE, audit, audit_view, check_four_eyes, compare_and_swap, created,
                   definition_of, engine_context, fail, instance_summary, instance_view,
                   is_admin, is_staff, load_instance, open_instance, publish_end, step_rows,
                   swap, sync, withdrawable)
from . import rules
from .catalogue import NO_AFFILIATION, start_refusal
from .reads import DefinitionSpec, current_spec

ENGINE_ERRORS = engine.ENGINE_ERRORS  # a process's own faults become incidents; our bugs do not


def start_context(session: Session, claims: Claims, settings: ProcessSettings,
                  application: dict) -> dict:
    """Where a start's routing context comes from, as the process's settings say
    (rencai:unitFrom: the core's sources here, a business's through its hooks.UnitSource):
    {unit_id, unit_name, subject_id, subject_name}. Who may start at all is
    catalogue.start_refusal's."""
    context: dict = {"subject_id": None, "subject_name": None}
    own_unit = unit_of(session, claims.sub) if claims.kind == "person" else None
    source = settings.unit_from
    if source == "association_code":
        code = str(application.get("association_code") or "")
        unit = unit_by_association_code(session, code) if code else None
        if unit is None:
            raise NotFound("未找到该关联代码对应的单位，请向单位核实后重新输入",
                           {"association_code": "未找到对应的单位"})
        unit_id = unit.org_id
    elif source == "account":
        org = session.get(OrgEntry, claims.org) if claims.org else None
        if org is None or org.kind != "unit":
            raise Forbidden("此业务仅限用人单位申请")
        unit_id = org.org_id
    elif source == "affiliation":
        if own_unit is None:
            raise Forbidden(NO_AFFILIATION)
        unit_id = own_unit
    else:  # a business's (settings.py refused any source nobody registered)
        unit_id = hooks.unit_sources()[source].resolve(session, claims, application)
    context.update(unit_id=unit_id, unit_name=org_name(session, unit_id))
    field = settings.subject_field
    if field:
        subject = str(application.get(field) or "")
        if not subject or unit_of(session, subject) != unit_id:
            raise ValidationFailed("该人员不是本单位在职员工，不能为其申请",
                                   {field: "不是本单位在职员工"})
        context.update(subject_id=subject, subject_name=application.get("employee_name"))
    return context


def _refuse_second(session: Session, process_key: str, applicant_id: str,
                   subject_id: str | None) -> None:
    """One open instance per applicant (or, when a unit applies for people, per person) for
    processes that are about the applicant or a subject rather than a project."""
    open_one = open_instance(session, process_key, applicant_id, subject_id)
    if open_one is not None:
        raise Conflict(f"已有办理中的申请“{open_one.title}”，请勿重复申请")


def start_instance(db: Database, outbox: Outbox, claims: Claims, process_key: str,
                   application: dict, business_key: str | None = None) -> Instance:
    """提交业务申请 over the API."""
    with db.transaction() as session:
        return _start(session, outbox, claims, process_key, application, business_key)


def start_instance_view(db: Database, outbox: Outbox, claims: Claims, process_key: str,
                        application: dict, business_key: str | None = None) -> dict:
    """`start_instance` and the new instance as its applicant sees it, in one transaction."""
    with db.transaction() as session:
        return _actor_view(session, claims, _start(session, outbox, claims, process_key,
                                                   application, business_key))


def _start(session: Session, outbox: Outbox, claims: Claims, process_key: str,
           application: dict, business_key: str | None) -> Instance:
    definition = current_spec(session, process_key)
    if definition is None:
        raise NotFound("业务不存在或未开放")
    return start_in(session, outbox, claims, definition, application, business_key)


def _actor_view(session: Session, claims: Claims, instance: Instance) -> dict:
    """The instance as the one who just acted on it sees it, built in the action's own
    transaction: their audit_log entry is in it, so neither the may-see check nor an
    "application.viewed" entry of its own is needed."""
    return instance_view(session, instance,
                         staff=is_staff(claims) and instance.applicant_id != claims.sub)


def start_in(session: Session, outbox: Outbox, claims: Claims,
             definition: Definition | DefinitionSpec, application: dict,
             business_key: str | None = None, entry: str | None = None) -> Instance:
    """Starts an instance in the caller's transaction. `entry` names the page a process with
    its own entry is started from: the name of the business whose page it is (hooks.Business
    .entry, e.g. 技能竞赛's 提交审核); the API's start has none."""
    process_key = definition.process_key
    settings = engine.process_settings(definition.bpmn_xml, process_key)
    business = hooks.business_of(settings, process_key)
    if business is not None and business.entry and entry != business.name:
        raise Forbidden(business.entry_refusal)
    if engine.start_event_of(definition.bpmn_xml, process_key):
        raise Forbidden("此业务由系统自动发起，不能直接申请")
    refusal = start_refusal(session, claims, settings, process_key)
    if refusal is not None:
        raise refusal
    forms.validate(process_key, definition.forms, "start", application)
    context = start_context(session, claims, settings, application)
    unit_id, subject_id = context["unit_id"], context["subject_id"]
    if subject_id or settings.affiliation == "forbidden":
        _refuse_second(session, process_key, claims.sub, subject_id)
    application = rules.on_start(session, claims, settings, process_key, application, context)
    if business is not None and business.on_start is not None:
        application = business.on_start(session, claims, settings, application, context)
    if business_key and session.scalars(select(Instance.id).where(
            Instance.process_key == process_key, Instance.business_key == business_key,
            Instance.status.in_(ACTIVE))).first():
        raise Conflict("该业务编号已有办理中的申请", {"business_key": "业务编号已存在办理中的申请"})
    suffix = application.get(settings.title_field) or context.get(settings.title_field) or ""
    return create_instance(session, outbox, definition, claims, application, suffix=suffix,
                           unit_id=unit_id, subject_id=subject_id, business_key=business_key,
                           variables={"unit_name": context["unit_name"]})


def create_instance(session: Session, outbox: Outbox, definition: Definition | DefinitionSpec,
                    applicant: Claims, application: dict, *, suffix: str, unit_id: str,
                    subject_id: str | None, business_key: str | None,
                    variables: dict) -> Instance:
    """The instance of a start that passed its checks (over the API, or from an event): its
    row, the 提交申请 audit entry, workflow.instance.started, and the engine run up to its
    first waiting task; a failing script makes it an incident."""
    now = utcnow()
    applicant = dataclasses.replace(applicant, name=shown_name(session, applicant))
    instance = Instance(id=str(uuid.uuid4()), definition_id=definition.id,
                        process_key=definition.process_key, business_key=business_key,
                        title=f"{definition.name}：{suffix}".rstrip("："),
                        applicant_id=applicant.sub, applicant_name=applicant.name,
                        unit_id=unit_id, applicant_kind=applicant.kind, subject_id=subject_id,
                        status="running", stage="", application=application,
                        serialized="", version=1, started_at=now, updated_at=now)
    # Inserted once, at the flush, with the engine's state (swap fills in a new instance).
    session.add(instance)
    created(session, instance)
    audit(session, instance, applicant, "提交申请", "submit", role="applicant")
    outbox.add(session, "workflow.instance.started", instance.id,
               {"instance_id": instance.id, "process_key": definition.process_key,
                "title": instance.title, "applicant_id": applicant.sub,
                "applicant_name": applicant.name, "applicant_kind": applicant.kind,
                "unit_id": unit_id or None, "subject_id": subject_id,
                "business_key": business_key,
                "attachment_ids": application.get("attachment_ids", [])})
    workflow = engine.new_workflow(
        definition.bpmn_xml, definition.process_key,
        {**application, **variables, **engine_context(session, instance)}, run=False)
    try:
        engine.run(workflow)
    except ENGINE_ERRORS as error:
        _save_failed(session, outbox, instance, workflow, error, "提交申请")
        return instance
    changes = sync(session, outbox, instance, workflow, now)
    swap(session, instance, {**changes, "serialized": engine.dump(workflow)})
    publish_end(session, outbox, instance)
    return instance


def complete_task(db: Database, outbox: Outbox, claims: Claims, task_id: str, data: dict) -> Instance:
    """Completes a task with its form data. Compare-and-swap on the task and the instance
    versions: of two reviewers acting at once, one wins and the other gets 409."""
    with db.transaction() as session:
        return _complete(session, outbox, claims, task_id, data)


def complete_task_view(db: Database, outbox: Outbox, claims: Claims, task_id: str,
                       data: dict) -> dict:
    """`complete_task` and the instance as its actor sees it afterwards, in one transaction:
    the response is built inside it rather than in a second session."""
    with db.transaction() as session:
        return _actor_view(session, claims, _complete(session, outbox, claims, task_id, data))


def _complete(session: Session, outbox: Outbox, claims: Claims, task_id: str,
              data: dict) -> Instance:
    task, instance = step_rows(session, claims, task_id)
    if task.status != "ready":
        raise Conflict("该任务已被处理，请刷新待办列表")
    if task.assignee and task.assignee != claims.sub:
        raise Forbidden(f"该任务已由{task.assignee_name or '他人'}认领，您不能办理")
    if task.owner is not None:
        raise Forbidden(f"委派的任务请处理后交回{task.owner_name or '委派人'}，由其办理")
    if instance.status not in ACTIVE:
        raise Conflict(f"申请当前状态为“{STATUS_TITLES.get(instance.status)}”，不能办理")
    check_four_eyes(session, instance, task, claims.sub)
    definition = definition_of(session, instance)
    forms.validate(instance.process_key, definition.forms, task.task_key, data)
    if task.lane == "applicant":  # checks and personal-data protection, as at start
        settings = engine.process_settings(definition.bpmn_xml, instance.process_key)
        data = rules.on_resubmit(session, settings, instance, data)
        business = hooks.business_of(settings, instance.process_key)
        if business is not None and business.on_resubmit is not None:
            data = business.on_resubmit(session, settings, instance, data)

    applicant_task = task.lane == "applicant"
    # 修改后重新提交 only after a return (status returned, base.sync); the applicant's own
    # next step (a declaration stage, a task right after the start) is a submission.
    action = ("resubmit" if instance.status == "returned" and
              not engine.is_declaration(task.task_key) else "submit") \
        if applicant_task else data.get("decision", "approve")
    now = utcnow()
    done = {"status": "completed", "version": task.version + 1, "completed_at": now,
            "completed_by": claims.sub, "completed_by_name": claims.name, "decision": action}
    if not compare_and_swap(session, task, done, only_ready=True):  # (the step's sync reads it)
        raise Conflict("该任务已被处理，请刷新待办列表")

    audit(session, instance, claims, task.title, action, data.get("comment"),
          role=task.lane, task_id=task.id,
          detail={"score": data["score"]} if "score" in data else None)
    if applicant_task:
        outbox.add(session, "workflow.instance.resubmitted", instance.id,
                   {"instance_id": instance.id, "applicant_id": instance.applicant_id,
                    "applicant_kind": instance.applicant_kind or "person",
                    "unit_id": instance.unit_id,
                    "attachment_ids": data.get("attachment_ids", [])})
    outbox.add(session, "workflow.task.completed", task.id,
               {"task_id": task.id, "instance_id": instance.id, "task_key": task.task_key,
                "decision": action, "actor_id": claims.sub})
    workflow = engine.restore(instance.serialized)
    context = engine_context(session, instance)
    try:
        engine.complete(workflow, task.id, {**data, **context})
    except ENGINE_ERRORS as error:
        if applicant_task:
            instance.application = data
        _save_failed(session, outbox, instance, workflow, error, task.title)
        return instance
    changes = sync(session, outbox, instance, workflow, now)
    changes.update(serialized=engine.dump(workflow), updated_at=now)
    if applicant_task:  # the start form again replaces the application; others add to it
        start_form = forms.resolved_schema(instance.process_key, definition.forms, "start")
        replaces = forms.resolved_schema(instance.process_key, definition.forms,
                                         task.task_key) == start_form
        changes["application"] = data if replaces else {**instance.application, **data}
    swap(session, instance, changes)
    publish_end(session, outbox, instance)
    return instance


def _save_failed(session: Session, outbox: Outbox, instance: Instance, workflow, error,
                 stage: str) -> None:
    """The step failed inside the engine: keep the workflow as it stands (the failed task in
    ERROR) so an admin can fix the data and retry."""
    try:
        serialized = engine.dump(workflow)
    except Exception:  # noqa: BLE001 - keep the last good state then
        serialized = instance.serialized
    swap(session, instance, {"serialized": serialized, "application": instance.application})
    fail(session, outbox, instance, error, stage)


def withdraw(db: Database, outbox: Outbox, claims: Claims, instance_id: str,
             reason: str | None) -> Instance:
    with db.transaction() as session:
        instance = session.get(Instance, instance_id)
        if instance is None or instance.applicant_id != claims.sub:
            raise NotFound("申请不存在")
        if not withdrawable(session, instance):
            raise Conflict("审核已经开始，不能撤回；如需撤回请联系审核单位")
        now = utcnow()
        workflow = engine.restore(instance.serialized)
        engine.cancel(workflow)
        session.execute(update(Task).where(Task.instance_id == instance.id, Task.status == "ready")
                        .values(status="cancelled", completed_at=now))
        swap(session, instance, {"status": "withdrawn", "outcome": "withdrawn",
                                 "stage": STATUS_TITLES["withdrawn"], "completed_at": now,
                                 "updated_at": now, "next_timer_at": None,
                                 "serialized": engine.dump(workflow)})
        audit(session, instance, claims, "撤回申请", "withdraw", reason, role="applicant")
        outbox.add(session, "workflow.instance.withdrawn", instance.id,
                   {"instance_id": instance.id, "process_key": instance.process_key,
                    "applicant_id": instance.applicant_id,
                    "attachment_ids": instance.application.get("attachment_ids", [])})
        publish_end(session, outbox, instance)
    return instance


# --- incidents (admins) ---------------------------------------------------------------------

def incidents(db: Database, claims: Claims, page: int, per_page: int) -> dict:
    if not is_admin(claims):
        raise Forbidden("仅管理员可以查看办理异常")
    with db.reading() as session:
        query = (select(Instance).where(Instance.status == "failed")
                 .order_by(Instance.updated_at.desc(), Instance.id))
        result = paginate(session, query, page, per_page)
        result["items"] = [{**instance_summary(session, i), "incident": i.incident}
                           for i in result["items"]]
    return result


def retry(db: Database, outbox: Outbox, claims: Claims, instance_id: str, data: dict) -> Instance:
    """An admin fixes the process data (merged into the failed task's data) and runs it again."""
    if not is_admin(claims):
        raise Forbidden("仅管理员可以处理办理异常")
    with db.transaction() as session:
        instance = load_instance(session, instance_id)
        if instance.status != "failed":
            raise Conflict("该申请没有待处理的异常")
        workflow = engine.restore(instance.serialized)
        if not engine.failed_tasks(workflow):
            raise Conflict("该申请没有可重试的环节")
        now = utcnow()
        audit(session, instance, claims, "异常处理", "retry", None, role="admin",
              detail={"data": data})
        try:
            engine.retry(workflow, {**data, **engine_context(session, instance)})
        except ENGINE_ERRORS as error:
            _save_failed(session, outbox, instance, workflow, error, "异常处理")
            return instance
        changes = sync(session, outbox, instance, workflow, now)
        swap(session, instance, {**changes, "serialized": engine.dump(workflow),
                                 "incident": None, "updated_at": now})
        publish_end(session, outbox, instance)
    return instance


# --- what people see ------------------------------------------------------------------------

def my_instances(db: Database, claims: Claims, page: int, per_page: int,
                 status: str | None = None) -> dict:
    with db.reading() as session:
        query = select(Instance).where(Instance.applicant_id == claims.sub)
        if status == "active":
            query = query.where(Instance.status.in_(ACTIVE + ("failed",)))
        elif status:
            query = query.where(Instance.status == status)
        query = query.order_by(Instance.started_at.desc(), Instance.id)
        result = paginate(session, query, page, per_page)
        result["items"] = [instance_summary(session, i, staff=False) for i in result["items"]]
    return result


def _may_see(session: Session, claims: Claims, instance: Instance) -> bool:
    if instance.applicant_id == claims.sub or is_admin(claims):
        return True
    rows = session.execute(select(Task.candidate_group, Task.assignee)
                           .where(Task.instance_id == instance.id)).all()
    return any(group in claims.groups or assignee == claims.sub for group, assignee in rows)


def instance_detail(db: Database, claims: Claims, instance_id: str) -> dict:
    """The applicant, the reviewers the instance passed or waits for, and admins may look."""
    with db.transaction() as session:
        instance = session.get(Instance, instance_id)
        if instance is None or not _may_see(session, claims, instance):
            raise NotFound("申请不存在")
        staff = is_staff(claims) and instance.applicant_id != claims.sub
        if staff:  # someone else's application (its personal data masked) seen by staff
            audit_log.record(session, "application.viewed", "instance", instance.id,
                             subject_id=instance.subject_id or instance.applicant_id,
                             claims=claims, detail={"process_key": instance.process_key})
        return instance_view(session, instance, staff=staff)


def audit_trail(db: Database, claims: Claims, instance_id: str) -> list[dict]:
    """Every row (claims, comments, timers, incidents...): for staff who may see it."""
    with db.reading() as session:
        instance = session.get(Instance, instance_id)
        if instance is None or not _may_see(session, claims, instance) \
                or instance.applicant_id == claims.sub:
            raise NotFound("申请不存在")
        rows = session.scalars(select(AuditEntry).where(AuditEntry.instance_id == instance_id)
                               .order_by(AuditEntry.id)).all()
        return [audit_view(row) for row in rows]
