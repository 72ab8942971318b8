"""workflow's use cases: deploy definitions, start instances, the inbox, completing tasks,
and what an applicant or reviewer sees of an instance."""
from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path

from lxml import etree
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.common.auth import Claims
from services.common.bus import Outbox
from services.common.db import Database, paginate, utcnow
from services.common.errors import Conflict, Forbidden, NotFound, ValidationFailed

from . import engine, forms
from .model import DECISION_TITLES, AuditEntry, Definition, Instance, Task
from .routing import candidate_group, holder_title, org_name, unit_of

NOT_YOUR_TASK = "待办任务不存在或不属于您"


# --- definitions ----------------------------------------------------------------------------

def _checksum(xml: bytes, process_forms: dict) -> str:
    digest = hashlib.sha256(xml)
    digest.update(json.dumps(process_forms, sort_keys=True, ensure_ascii=False).encode())
    return digest.hexdigest()


def deploy(db: Database, process_key: str, xml: bytes, process_forms: dict) -> Definition:
    """Deploys a new version unless the latest one has the same BPMN and forms."""
    engine.check_bpmn(xml, process_key)
    if "start" not in process_forms:
        raise ValidationFailed(f"流程 {process_key} 缺少申请表单 start.schema.json")
    checksum = _checksum(xml, process_forms)
    process = etree.fromstring(xml).find(f"bpmn:process[@id='{process_key}']", engine.BPMN_NS)
    name = process.get("name") or process_key
    try:
        with db.transaction() as session:
            latest = _latest(session, process_key)
            if latest is not None and latest.checksum == checksum:
                return latest
            definition = Definition(id=str(uuid.uuid4()), process_key=process_key, name=name,
                                    version=(latest.version + 1) if latest else 1,
                                    checksum=checksum, bpmn_xml=xml, forms=process_forms,
                                    deployed_at=utcnow())
            session.add(definition)
        return definition
    except IntegrityError:
        # Another process deployed the same files at the same moment: use theirs.
        with db.reading() as session:
            return _latest(session, process_key)


def deploy_directory(db: Database, bpmn_dir: Path) -> list[Definition]:
    """At start: bpmn/<key>.bpmn with bpmn/forms/<key>/, deployed when new."""
    return [deploy(db, path.stem, path.read_bytes(), forms.load_forms(bpmn_dir / "forms" / path.stem))
            for path in sorted(bpmn_dir.glob("*.bpmn"))]


def _latest(session: Session, process_key: str) -> Definition | None:
    return session.scalars(select(Definition).where(Definition.process_key == process_key)
                           .order_by(Definition.version.desc())).first()


def list_processes(db: Database) -> list[dict]:
    with db.reading() as session:
        keys = session.scalars(select(Definition.process_key).distinct()).all()
        latest = [_latest(session, key) for key in sorted(keys)]
    return [{"process_key": d.process_key, "name": d.name, "version": d.version,
             "start_form": forms.resolved_schema(d.process_key, d.forms, "start")} for d in latest]


# --- instances ------------------------------------------------------------------------------

def _audit(session: Session, instance: Instance, claims: Claims, stage: str, action: str,
           comment: str | None = None) -> None:
    session.add(AuditEntry(instance_id=instance.id, at=utcnow(), actor_id=claims.sub,
                           actor_name=claims.name, actor_org=org_name(session, claims.org),
                           stage=stage, action=action, comment=comment))


def _open_new_tasks(session: Session, outbox: Outbox, instance: Instance, workflow) -> None:
    """Writes a task row for every user task the engine has made ready and not yet seen."""
    known = set(session.scalars(select(Task.id).where(Task.instance_id == instance.id)))
    for ready in engine.ready_user_tasks(workflow):
        task_id = str(ready.id)
        if task_id in known:
            continue
        group = candidate_group(session, ready.task_spec.lane, instance)
        task = Task(id=task_id, instance_id=instance.id, task_key=ready.task_spec.bpmn_id,
                    title=ready.task_spec.bpmn_name or ready.task_spec.bpmn_id,
                    lane=ready.task_spec.lane, candidate_group=group, status="ready",
                    version=1, created_at=utcnow())
        session.add(task)
        outbox.add(session, "workflow.task.created", task_id,
                   {"task_id": task_id, "instance_id": instance.id, "task_key": task.task_key,
                    "title": task.title, "candidate_group": group})


def start_instance(db: Database, outbox: Outbox, claims: Claims, process_key: str,
                   application: dict) -> Instance:
    if claims.kind != "person":
        raise Forbidden("仅个人账号可以提交业务申请")
    with db.transaction() as session:
        definition = _latest(session, process_key)
        if definition is None:
            raise NotFound("业务不存在或未开放")
        forms.validate(process_key, definition.forms, "start", application)
        unit_id = unit_of(session, claims.sub)
        if unit_id is None:
            raise Forbidden("您未关联单位，请先关联单位后再办理此业务")
        workflow = engine.new_workflow(definition.bpmn_xml, process_key, application)
        now = utcnow()
        instance = Instance(id=str(uuid.uuid4()), definition_id=definition.id,
                            process_key=process_key,
                            title=f"{definition.name}：{application.get('project_name', '')}".rstrip("："),
                            applicant_id=claims.sub, applicant_name=claims.name, unit_id=unit_id,
                            status="running", application=application,
                            serialized=engine.dump(workflow), version=1, started_at=now,
                            updated_at=now)
        session.add(instance)
        session.flush()
        _audit(session, instance, claims, "提交申请", "submit")
        outbox.add(session, "workflow.instance.started", instance.id,
                   {"instance_id": instance.id, "process_key": process_key,
                    "title": instance.title, "applicant_id": claims.sub, "unit_id": unit_id,
                    "attachment_ids": application.get("attachment_ids", [])})
        _open_new_tasks(session, outbox, instance, workflow)
    return instance


def complete_task(db: Database, outbox: Outbox, claims: Claims, task_id: str, data: dict) -> Instance:
    """Completes a task with its form data. Compare-and-swap on the task and the instance
    versions: of two reviewers acting at once, one wins and the other gets 409."""
    with db.transaction() as session:
        task = session.get(Task, task_id)
        if task is None or task.candidate_group not in claims.groups:
            raise NotFound(NOT_YOUR_TASK)
        if task.status != "ready":
            raise Conflict("该任务已被处理，请刷新待办列表")
        instance = session.get(Instance, task.instance_id)
        definition = session.get(Definition, instance.definition_id)
        forms.validate(instance.process_key, definition.forms, task.task_key, data)

        now = utcnow()
        claimed = session.execute(update(Task).where(
            Task.id == task.id, Task.version == task.version, Task.status == "ready",
        ).values(status="completed", version=task.version + 1, completed_at=now,
                 completed_by=claims.sub))
        if claimed.rowcount != 1:
            raise Conflict("该任务已被处理，请刷新待办列表")

        workflow = engine.restore(instance.serialized)
        engine.complete(workflow, task.id, data)
        # The applicant's own tasks edit the application; reviewers' tasks decide on it.
        applicant_task = task.lane == "applicant"
        action = "resubmit" if applicant_task else data["decision"]
        changes = {"serialized": engine.dump(workflow), "version": instance.version + 1,
                   "updated_at": now}
        if applicant_task:
            changes["application"] = data
        if workflow.is_completed():
            changes.update(status="completed", outcome=engine.outcome(workflow), completed_at=now)
        swapped = session.execute(update(Instance).where(
            Instance.id == instance.id, Instance.version == instance.version).values(**changes))
        if swapped.rowcount != 1:
            raise Conflict("申请已被他人处理，请刷新后重试")
        session.refresh(instance)

        _audit(session, instance, claims, task.title, action, data.get("comment"))
        if applicant_task:
            outbox.add(session, "workflow.instance.resubmitted", instance.id,
                       {"instance_id": instance.id, "applicant_id": instance.applicant_id,
                        "attachment_ids": data.get("attachment_ids", [])})
        outbox.add(session, "workflow.task.completed", task.id,
                   {"task_id": task.id, "instance_id": instance.id, "task_key": task.task_key,
                    "decision": action, "actor_id": claims.sub})
        _open_new_tasks(session, outbox, instance, workflow)
        if instance.status == "completed":
            outbox.add(session, "workflow.instance.completed", instance.id,
                       {"instance_id": instance.id, "process_key": instance.process_key,
                        "title": instance.title, "applicant_id": instance.applicant_id,
                        "unit_id": instance.unit_id, "outcome": instance.outcome,
                        "completed_at": now.isoformat()})
    return instance


# --- what people see ------------------------------------------------------------------------

def inbox(db: Database, claims: Claims, status: str, page: int, per_page: int) -> dict:
    with db.reading() as session:
        query = (select(Task, Instance).join(Instance, Instance.id == Task.instance_id)
                 .where(Task.candidate_group.in_(sorted(claims.groups)), Task.status == status)
                 .order_by(Task.created_at.desc(), Task.id))
        result = paginate(session, query, page, per_page)
    result["items"] = [
        {"id": task.id, "title": task.title, "task_key": task.task_key, "status": task.status,
         "created_at": task.created_at, "completed_at": task.completed_at,
         "instance_id": instance.id, "instance_title": instance.title,
         "process_key": instance.process_key, "applicant_name": instance.applicant_name}
        for task, instance in result["items"]]
    return result


def task_detail(db: Database, claims: Claims, task_id: str) -> dict:
    with db.reading() as session:
        task = session.get(Task, task_id)
        if task is None or task.candidate_group not in claims.groups:
            raise NotFound(NOT_YOUR_TASK)
        instance = session.get(Instance, task.instance_id)
        definition = session.get(Definition, instance.definition_id)
        form = forms.resolved_schema(instance.process_key, definition.forms, task.task_key)
        detail = _instance_view(session, instance)
    return {"id": task.id, "title": task.title, "task_key": task.task_key,
            "status": task.status, "version": task.version, "created_at": task.created_at,
            "form": form, "instance": detail}


def my_instances(db: Database, claims: Claims, page: int, per_page: int) -> dict:
    with db.reading() as session:
        query = (select(Instance).where(Instance.applicant_id == claims.sub)
                 .order_by(Instance.started_at.desc(), Instance.id))
        result = paginate(session, query, page, per_page)
        result["items"] = [_instance_summary(session, instance) for instance in result["items"]]
    return result


def instance_detail(db: Database, claims: Claims, instance_id: str) -> dict:
    """The applicant, and the reviewers the instance passed or waits for, may look."""
    with db.reading() as session:
        instance = session.get(Instance, instance_id)
        if instance is None:
            raise NotFound("申请不存在")
        groups = set(session.scalars(select(Task.candidate_group)
                                     .where(Task.instance_id == instance_id)))
        if instance.applicant_id != claims.sub and not (groups & claims.groups):
            raise NotFound("申请不存在")
        return _instance_view(session, instance)


def _instance_summary(session: Session, instance: Instance) -> dict:
    waiting = session.scalars(select(Task).where(Task.instance_id == instance.id,
                                                 Task.status == "ready")).all()
    last = session.scalars(select(AuditEntry).where(AuditEntry.instance_id == instance.id)
                           .order_by(AuditEntry.id.desc())).first()
    return {
        "id": instance.id, "process_key": instance.process_key, "title": instance.title,
        "status": instance.status, "outcome": instance.outcome,
        "started_at": instance.started_at, "completed_at": instance.completed_at,
        "current_stage": [{"task_id": t.id, "title": t.title,
                           "holder": holder_title(session, t.candidate_group)} for t in waiting],
        "last_action": _audit_view(last) if last else None,
    }


def _instance_view(session: Session, instance: Instance) -> dict:
    timeline = session.scalars(select(AuditEntry).where(AuditEntry.instance_id == instance.id)
                               .order_by(AuditEntry.id)).all()
    return {**_instance_summary(session, instance), "applicant_name": instance.applicant_name,
            "application": instance.application,
            "timeline": [_audit_view(entry) for entry in timeline]}


def _audit_view(entry: AuditEntry) -> dict:
    return {"at": entry.at, "stage": entry.stage, "action": entry.action,
            "action_title": DECISION_TITLES.get(entry.action, entry.action),
            "actor_name": entry.actor_name, "actor_org": entry.actor_org,
            "comment": entry.comment}
