"""What a process's settings switch on at start and resubmission, for every business alike
(settings.py): the unit's 业务权限 as eligibility (rencai:permission, grantsPermission), the
registered check (rencai:check), personal fields kept masked and sealed (rencai:piiFields),
one open instance per unit and value (rencai:uniqueField); and the full value of a personal
field for whom it is theirs or whose task needs it.

业务权限 comes from workflow's read model of orgs (UnitPermission, kept from
orgs.permission.changed); a unit's district and 单位认证 from OrgEntry (district_id from
orgs.org.registered / updated, certified from orgs.unit.certified)."""
from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from services.common import audit as audit_log
from services.common.auth import Claims
from services.common.db import Database
from services.common.errors import Conflict, Forbidden, NotFound, ValidationFailed

from .. import checks, engine, hooks
from ..model import Definition, Instance, OrgEntry, Task
from ..routing import attachments_known, org_name, permission_of
from ..settings import ProcessSettings
from .base import ACTIVE, check_four_eyes

# {title}: the permission's title, as its business registers it (hooks.permission_title).
# A business may say it in its own words (Business.permission_refusals).
NO_PERMISSION = "尚未开通{title}业务权限，请先在“业务权限开通”中申请开通"
PERMISSION_REFUSALS = {
    None: NO_PERMISSION, "withdrawn": NO_PERMISSION,
    "pending": "{title}业务权限正在审核中，审核通过后方可办理",
    "rejected": "业务权限审核不通过：{reason}。请点击“重新申请”修改后再次提交",
}
USABLE = ("approved", "re_review")  # 修改资料 under re-review: the permission stays usable
NOT_CERTIFIED = "单位尚未通过单位认证，请先在“我的认证”中选择“单位认证”，上传营业执照完成认证"
NO_DISTRICT = "单位未登记注册地所在区，无法确定审核的区委人才办，请联系管理员"
UNDER_REVIEW = "业务权限申请正在审核中，请勿重复提交"


def _unit(session: Session, claims: Claims) -> OrgEntry | None:
    org = session.get(OrgEntry, claims.org) if claims.org else None
    return org if org is not None and org.kind == "unit" else None


def eligibility_problem(session: Session, claims: Claims, settings: ProcessSettings,
                        process_key: str) -> str | None:
    """Why this unit account may not start the process now (业务权限; part of
    catalogue.start_refusal), or None."""
    if not (settings.permission or settings.grants_permission) or claims.kind != "unit":
        return None
    unit = _unit(session, claims)
    if unit is None:
        return None  # start_context refuses with its own words
    if settings.permission:
        row = permission_of(session, unit.org_id, settings.permission)
        state = row.state if row else None
        if state not in USABLE:
            business = hooks.business_of(settings, process_key)
            refusals = {**PERMISSION_REFUSALS, **(business.permission_refusals if business else {})}
            return refusals.get(state, NO_PERMISSION).format(
                reason=(row.reason if row else None) or "请查看审核意见",
                title=hooks.permission_title(settings.permission))
    if settings.grants_permission:
        if not unit.certified:
            return NOT_CERTIFIED
        if not unit.district_id or session.get(OrgEntry, unit.district_id) is None:
            return NO_DISTRICT
        # One open application per unit: workflow's own instances say so at once.
        if session.scalars(select(Instance.id).where(
                Instance.process_key == process_key, Instance.unit_id == unit.org_id,
                Instance.status.in_(ACTIVE))).first():
            return UNDER_REVIEW
    return None


def on_start(session: Session, claims: Claims, settings: ProcessSettings, process_key: str,
             application: dict, context: dict) -> dict:
    """Start rules of the process's settings; returns the application to store (checked,
    personal fields protected)."""
    owner = context.get("unit_id") if claims.kind == "unit" else claims.sub
    application = checks.run_check(settings.check, application,
                                   _with_files(session, context, application, owner))
    application = checks.protect(settings.pii_fields, application)
    _refuse_duplicate(session, settings, process_key, context.get("unit_id"), application)
    return application


def on_resubmit(session: Session, settings: ProcessSettings, instance: Instance,
                data: dict) -> dict:
    """The applicant's 重新申请 / 修改后重新提交: the same checks, the same protection."""
    owner = instance.unit_id if instance.applicant_kind == "unit" else instance.applicant_id
    data = checks.run_check(settings.check, data, _with_files(
        session, {"unit_name": org_name(session, instance.unit_id)}, data, owner))
    data = checks.protect(settings.pii_fields, data, instance.application)
    _refuse_duplicate(session, settings, instance.process_key, instance.unit_id, data,
                      instance.id)
    return data


def _with_files(session: Session, context: dict, data: dict, owner_id: str | None) -> dict:
    """The check's context plus the files the form's attachments name, as files holds them."""
    ids = [a.get("file_id") for a in data.get("attachments") or [] if isinstance(a, dict)]
    return {**context, "owner_id": owner_id, "files": attachments_known(session, ids)}


def _refuse_duplicate(session: Session, settings: ProcessSettings, process_key: str,
                      unit_id: str | None,
                      application: dict, own_id: str | None = None) -> None:
    """rencai:uniqueField: one open instance per unit and value (by blind index if personal)."""
    field = settings.unique_field
    if not field:
        return
    key = f"{field}_index" if field in settings.pii_fields else field
    value = application.get(key)
    if not value:
        return
    for other in session.scalars(select(Instance).where(
            Instance.process_key == process_key, Instance.unit_id == unit_id,
            Instance.status.in_(ACTIVE), Instance.id != (own_id or ""))):
        if (other.application or {}).get(key) == value:
            raise Conflict(f"该人员已有办理中的申报“{other.title}”，请勿重复申报",
                           {field: "已有办理中的申报"})


# --- the full personal number, for whom it is theirs or whose task needs it ------------------

def reveal_personal(db: Database, claims: Claims, instance_id: str, field: str,
                    reason: str | None = None) -> dict:
    """An application's personal field (rencai:piiFields) in full. Shown to the person it
    belongs to, and to a reviewer holding an open task of the application (checking the
    number is part of deciding it); no one else: units, other staff and admins see it masked.
    Every such view is on the audit log."""
    with db.transaction() as session:
        instance = session.get(Instance, instance_id)
        if instance is None:
            raise NotFound("申请不存在")
        definition = session.get(Definition, instance.definition_id)
        if field not in engine.process_settings(definition.bpmn_xml,
                                                instance.process_key).pii_fields:
            raise ValidationFailed("该项不是申请中的个人敏感信息", {"field": "不是个人敏感信息字段"})
        person = instance.subject_id or (instance.applicant_id
                                         if instance.applicant_kind in (None, "person") else None)
        owner = claims.kind == "person" and claims.sub == person
        reviewing = None
        for task in session.scalars(select(Task).where(
                Task.instance_id == instance.id, Task.status == "ready",
                or_(Task.candidate_group.in_(sorted(claims.groups) or [""]),
                    Task.assignee == claims.sub))):
            try:  # one who may not decide it (four eyes) does not need the number either
                check_four_eyes(session, instance, task, claims.sub)
            except Forbidden:
                continue
            reviewing = task.id
            break
        if not (owner or reviewing):
            raise Forbidden("仅本人或正在审核该申请的审核人员可以查看完整信息")
        value = checks.reveal(instance.application or {}, field)
        audit_log.record(session, "application.personal_data_viewed", "instance", instance.id,
                         subject_id=person, claims=claims, reason=reason,
                         detail={"field": field, "as": "owner" if owner else "task holder",
                                 "task_id": reviewing, "process_key": instance.process_key})
    return {"field": field, "value": value}
