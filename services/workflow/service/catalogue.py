"""The portal's business side (seeds 001/002): the service catalogue with eligibility,
restrictions, in-progress businesses, notices and per-user prompts made from bus events."""
from __future__ import annotations

import uuid

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.common import audit as audit_log
from services.common.auth import Claims
from services.common.db import Database, paginate, utcnow
from services.common.errors import Conflict, DomainError, Forbidden, NotFound

from .. import engine, forms, hooks
from ..model import Definition, Instance, Notice, Prompt, Restriction
from ..routing import org_name, pending_unit_of, person_basics, unit_of
from .base import ACTIVE, instance_summary, is_admin, open_instance
from ..settings import ProcessSettings
from .definitions import current_definition
from .rules import UNDER_REVIEW, eligibility_problem

NO_AFFILIATION = "您未关联单位，请先关联单位后再办理此业务"
STARTER_REFUSALS = {("person",): "仅个人账号可以提交业务申请",
                    ("unit",): "此业务仅限用人单位申请，个人不能直接申请"}


def _subjects(session: Session, claims: Claims) -> list[str]:
    subjects = [claims.sub]
    if claims.org:
        subjects.append(claims.org)
    elif claims.kind == "person":
        unit = unit_of(session, claims.sub)
        if unit:
            subjects.append(unit)
    return subjects


def _restriction(session: Session, claims: Claims, process_key: str) -> Restriction | None:
    return session.scalars(select(Restriction).where(
        Restriction.process_key == process_key,
        Restriction.subject_id.in_(_subjects(session, claims)))).first()


def start_refusal(session: Session, claims: Claims, settings: ProcessSettings,
                  process_key: str) -> DomainError | None:
    """Why this account may not start the process now, as the error a start raises; the
    service list shows its words. None: it may (the form and its unit are checked at start)."""
    if claims.kind not in settings.starters:
        return Forbidden(STARTER_REFUSALS.get(settings.starters, "您的账号类型不能办理此业务"))
    if claims.kind == "person":
        own, pending = unit_of(session, claims.sub), pending_unit_of(session, claims.sub)
        if settings.affiliation == "required" and own is None:
            return Forbidden(NO_AFFILIATION)
        if settings.affiliation == "forbidden" and own is not None:
            return Conflict(f"您已关联“{org_name(session, own) or '单位'}”，如需更换单位，"
                            "请先由原单位解除关联")
        if settings.affiliation == "forbidden" and pending is not None:
            return Conflict(f"您已申请关联“{org_name(session, pending) or '单位'}”，正在等待单位"
                            "确认，请勿重复申请")
    restriction = _restriction(session, claims, process_key)
    if restriction is not None:
        return Forbidden(f"您暂不能办理此业务：{restriction.reason}")
    if settings.one_per_applicant and \
            (open_one := open_instance(session, process_key, claims.sub)) is not None:
        return Conflict(f"已有办理中的申请“{open_one.title}”，请勿重复申请")
    problem = eligibility_problem(session, claims, settings, process_key)  # 业务权限
    if problem:
        return (Conflict if problem == UNDER_REVIEW else Forbidden)(problem)
    return None


def prefill(db: Database, claims: Claims, process_key: str) -> dict:
    """基础信息确认: what the platform knows of the person (the submitted personal profile, kept
    from identity's events, and the unit), and the start form's fields filled from it."""
    if claims.kind != "person":
        raise Forbidden("仅个人账号有个人基础信息")
    with db.reading() as session:
        definition = current_definition(session, process_key)
        if definition is None:
            raise NotFound("业务不存在或未开放")
        known = person_basics(session, claims.sub)
        basic = {key: known[key] for key in ("name", "gender", "ethnicity", "political_status",
                                             "education_level", "unit_name")}
        form = {
            "education": [{"school": e.get("school"),
                           "degree": "、".join(filter(None, (e.get("level"), e.get("degree")))),
                           **({"to": e["graduated"]} if e.get("graduated") else {})}
                          for e in known["education"] or [] if e.get("school")],
            "work_history": [{key: w[key] for key in ("employer", "position", "from", "to")
                              if w.get(key)}
                             for w in known["work_history"] or [] if w.get("employer")],
        }
        fields = forms.resolved_schema(process_key, definition.forms, "start").get(
            "properties", {})
        return {"basic_info": basic, "profile_complete": known["profile_complete"],
                "form": {key: value for key, value in form.items() if key in fields and value}}


def catalogue(db: Database, claims: Claims) -> list[dict]:
    """人才服务列表: every open business, whether this account may start it and if not why."""
    with db.reading() as session:
        keys = sorted(session.scalars(select(Definition.process_key).distinct()))
        entries = []
        for key in keys:
            definition = current_definition(session, key)
            if definition is None or engine.start_event_of(definition.bpmn_xml, key):
                continue  # gone, or started by an event (e.g. 人工申诉 from identity)
            settings = engine.process_settings(definition.bpmn_xml, key)
            refusal = start_refusal(session, claims, settings, key)
            restriction = _restriction(session, claims, key)
            reason = refusal.detail if refusal else None
            business = hooks.business_of(settings, key)  # a business with its own page
            entry = business.entry if business is not None else None
            entries.append({"process_key": key, "name": definition.name,
                            "version": definition.version, "can_start": reason is None,
                            "reason": reason, "restricted": restriction is not None,
                            "entry": entry})
    return entries


def in_progress(db: Database, claims: Claims) -> dict:
    """在办业务: a person's own, or (unit accounts) its people's."""
    with db.reading() as session:
        query = select(Instance).where(Instance.status.in_(ACTIVE + ("failed",)))
        if claims.kind == "unit" and claims.org:
            query = query.where(Instance.unit_id == claims.org)
        else:  # their own, and what a unit applies for them (e.g. 工作居住证)
            query = query.where((Instance.applicant_id == claims.sub)
                                | (Instance.subject_id == claims.sub))
        rows = session.scalars(query.order_by(Instance.started_at.desc()).limit(100)).all()
        items = [{**instance_summary(session, i, staff=claims.kind != "person"),
                  "applicant_name": i.applicant_name} for i in rows]
    return {"items": items, "message": None if items else "没有正在办理中的业务"}


def certificates(db: Database, claims: Claims) -> dict:
    """有效证件信息展示: the valid certificates (工作居住证) the person holds, issued by an
    approved process that names them as its subject. Empty items: the panel is not shown."""
    today = utcnow().date().isoformat()
    with db.reading() as session:
        rows = session.scalars(select(Instance).where(
            Instance.subject_id == claims.sub, Instance.status == "completed",
            Instance.outcome == "approved").order_by(Instance.completed_at.desc())).all()
    items = []
    for instance in rows:
        result = instance.result or {}
        if not result.get("certificate") or not result.get("number"):
            continue
        if result.get("valid_until", "") < today:
            continue
        items.append({"kind": result["certificate"], "number": result["number"],
                      "holder_name": result.get("holder_name"),
                      "unit_name": result.get("unit_name"),
                      "valid_from": result.get("valid_from"),
                      "valid_until": result.get("valid_until"), "instance_id": instance.id})
    return {"items": items, "show": bool(items)}


# --- restrictions (admins) ------------------------------------------------------------------

def _admin(claims: Claims) -> None:
    if not is_admin(claims):
        raise Forbidden("仅管理员可以进行此操作")


def _restriction_view(r: Restriction) -> dict:
    return {"id": r.id, "subject_id": r.subject_id, "process_key": r.process_key,
            "reason": r.reason, "created_by": r.created_by, "created_at": r.created_at}


def restrict(db: Database, claims: Claims, subject_id: str, process_key: str, reason: str) -> dict:
    _admin(claims)
    try:
        with db.transaction() as session:
            if current_definition(session, process_key) is None:
                raise NotFound("业务不存在")
            row = Restriction(id=str(uuid.uuid4()), subject_id=subject_id,
                              process_key=process_key, reason=reason,
                              created_by=claims.name or claims.sub, created_at=utcnow())
            session.add(row)
            session.flush()  # a duplicate fails here, before it is audited
            audit_log.record(session, "restriction.created", "restriction", row.id,
                             subject_id=subject_id, claims=claims,
                             after=_restriction_view(row), reason=reason)
        return _restriction_view(row)
    except IntegrityError:
        raise Conflict("该对象已被限制办理此业务", {"subject_id": "已存在限制"})


def restrictions(db: Database, claims: Claims) -> list[dict]:
    _admin(claims)
    with db.reading() as session:
        return [_restriction_view(r) for r in session.scalars(
            select(Restriction).order_by(Restriction.created_at.desc()))]


def lift(db: Database, claims: Claims, restriction_id: str) -> None:
    _admin(claims)
    with db.transaction() as session:
        row = session.get(Restriction, restriction_id)
        if row is None:
            raise NotFound("限制不存在")
        # Lifted, not forgotten: what the restriction was stays on the audit log.
        audit_log.record(session, "restriction.lifted", "restriction", row.id,
                         subject_id=row.subject_id, claims=claims,
                         before=_restriction_view(row))
        session.delete(row)


# --- notices and prompts --------------------------------------------------------------------

def publish_notice(db: Database, claims: Claims, title: str, body: str,
                   attachment_ids: list[str]) -> dict:
    _admin(claims)
    with db.transaction() as session:
        notice = Notice(id=str(uuid.uuid4()), title=title, body=body,
                        attachment_ids=attachment_ids, published_by=claims.name or claims.sub,
                        published_at=utcnow())
        session.add(notice)
    return _notice_view(notice)


def _notice_view(n: Notice) -> dict:
    return {"id": n.id, "title": n.title, "body": n.body, "attachment_ids": n.attachment_ids,
            "published_by": n.published_by, "published_at": n.published_at}


def notices(db: Database, page: int, per_page: int) -> dict:
    with db.reading() as session:
        result = paginate(session, select(Notice).order_by(Notice.published_at.desc(),
                                                           Notice.id), page, per_page)
    result["items"] = [_notice_view(n) for n in result["items"]]
    return result


def prompts(db: Database, claims: Claims, page: int, per_page: int) -> dict:
    with db.reading() as session:
        query = select(Prompt).where(Prompt.user_id == claims.sub) \
            .order_by(Prompt.created_at.desc(), Prompt.id.desc())
        result = paginate(session, query, page, per_page)
        unread = session.scalar(select(func.count()).select_from(Prompt).where(
            Prompt.user_id == claims.sub, Prompt.read_at.is_(None)))
    result["items"] = [{"id": p.id, "text": p.text, "instance_id": p.instance_id,
                        "created_at": p.created_at, "read": p.read_at is not None}
                       for p in result["items"]]
    result["unread"] = unread
    return result


def mark_prompts_read(db: Database, claims: Claims) -> None:
    with db.transaction() as session:
        session.execute(update(Prompt).where(Prompt.user_id == claims.sub,
                                             Prompt.read_at.is_(None)).values(read_at=utcnow()))
