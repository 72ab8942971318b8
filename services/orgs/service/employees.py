"""A unit's employees (员工管理): the lists of requests and employees, an employee's details,
position and labour contract, unlinking (解除关联, refused while the employee has business in
progress), and that read model of workflow: which businesses are in progress for whom
(workflow.instance.started / completed, which also carry the affiliation and permission
processes on to their own modules). Requests and decisions are in affiliation.py."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common import audit
from services.common.auth import Claims
from services.common.bus import Outbox
from services.common.db import Database, paginate, utcnow
from services.common.errors import Conflict, ValidationFailed
from services.common.pii import blind_index

from ..model import PERMISSION_PROCESSES, Affiliation, BusinessInProgress, PersonProfile
from .access import changeable_unit, visible_unit
from .affiliation import (AFFILIATION_PROCESS, _audited, _payload, _unit_affiliation,
                          employee_view, on_affiliation_completed, on_affiliation_started)
from .permissions import on_permission_completed, on_permission_started

CHINA = timezone(timedelta(hours=8))  # dates users pick are Beijing dates


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, CHINA)


def list_affiliations(db: Database, claims: Claims, unit_id: str, query: dict) -> dict:
    """The pending list (status=pending, by request date) or the active list
    (status=approved, by approval date), filtered by name, ID number and date range."""
    status = query.get("status", "pending")
    with db.reading() as session:
        visible_unit(session, claims, unit_id)
        when = Affiliation.requested_at if status == "pending" else Affiliation.decided_at
        stmt = select(Affiliation).where(Affiliation.unit_id == unit_id,
                                         Affiliation.status == status)
        if query.get("name"):
            stmt = stmt.where(Affiliation.person_name.contains(query["name"].strip()))
        if query.get("id_number"):
            stmt = stmt.where(Affiliation.id_number_index == blind_index(query["id_number"]))
        if query.get("date_from"):
            stmt = stmt.where(when >= _day_start(query["date_from"]))
        if query.get("date_to"):
            stmt = stmt.where(when < _day_start(query["date_to"] + timedelta(days=1)))
        result = paginate(session, stmt.order_by(when.desc(), Affiliation.id),
                          query["page"], query["per_page"])
    result["items"] = [employee_view(a) for a in result["items"]]
    return result


def employee_detail(db: Database, claims: Claims, unit_id: str, affiliation_id: str) -> dict:
    """An employee's details for the unit (and those above it): ID and phone numbers masked
    for everyone (least privilege: the full number is the person's own, or a reviewer's whose
    task needs it, in workflow); each view is on the audit log."""
    with db.transaction() as session:
        visible_unit(session, claims, unit_id)
        affiliation = _unit_affiliation(session, unit_id, affiliation_id)
        busy = _businesses_in_progress(session, affiliation)
        profile = session.get(PersonProfile, affiliation.person_id)
        audit.record(session, "employee.viewed", "affiliation", affiliation.id,
                     subject_id=affiliation.person_id, claims=claims,
                     detail={"unit_id": unit_id, "masked": True})
    view = employee_view(affiliation)
    view["businesses_in_progress"] = busy
    # The tabs: general, education, study and work history, as the person last submitted.
    view["profile"] = None if profile is None else {
        "name": profile.name, "gender": profile.gender,
        "education_level": profile.education_level, "education": profile.education,
        "study_history": profile.study_history, "work_history": profile.work_history}
    return view


def update_employment(db: Database, claims: Claims, unit_id: str, affiliation_id: str,
                      data: dict) -> dict:
    """Current position and labour contract of an active employee."""
    with db.transaction() as session:
        changeable_unit(session, claims, unit_id)
        affiliation = _unit_affiliation(session, unit_id, affiliation_id, "approved")
        merged = {field: data.get(field, getattr(affiliation, field))
                  for field in ("position", "contract_term", "contract_start", "contract_end",
                                "contract_file_id")}
        if merged["contract_term"] == "fixed" and merged["contract_start"] and \
                not merged["contract_end"]:
            raise ValidationFailed("固定期限劳动合同请填写合同终止日期",
                                   {"contract_end": "请填写合同终止日期"})
        if merged["contract_start"] and merged["contract_end"] and \
                merged["contract_end"] <= merged["contract_start"]:
            raise ValidationFailed("合同终止日期应晚于起始日期",
                                   {"contract_end": "应晚于合同起始日期"})
        before = {field: getattr(affiliation, field) for field in merged}
        for field, value in merged.items():
            setattr(affiliation, field, value)
        audit.record(session, "employee.updated", "affiliation", affiliation.id,
                     subject_id=affiliation.person_id, claims=claims, before=before,
                     after=merged)
        return employee_view(affiliation)


def _businesses_in_progress(session: Session, affiliation: Affiliation) -> list[dict]:
    rows = session.scalars(select(BusinessInProgress).where(
        BusinessInProgress.applicant_id == affiliation.person_id,
        BusinessInProgress.unit_id == affiliation.unit_id)
        .order_by(BusinessInProgress.started_at)).all()
    return [{"instance_id": r.instance_id, "process_key": r.process_key, "title": r.title,
             "started_at": r.started_at} for r in rows]


def _unlink_refusals(session: Session, affiliation: Affiliation) -> list[str]:
    return [f"该员工有正在办理的业务“{b['title']}”，业务办结后才能解除关联"
            for b in _businesses_in_progress(session, affiliation)]


def unlink_check(db: Database, claims: Claims, unit_id: str, affiliation_id: str) -> dict:
    """Whether the employee may be unlinked now, and if not, why (before the confirm box)."""
    with db.reading() as session:
        changeable_unit(session, claims, unit_id)
        affiliation = _unit_affiliation(session, unit_id, affiliation_id, "approved")
        reasons = _unlink_refusals(session, affiliation)
    return {"allowed": not reasons, "reasons": reasons}


def unlink_employee(session: Session, outbox: Outbox, affiliation: Affiliation,
                    actor_id: str | None, reason: str) -> None:
    if affiliation.status != "approved":
        raise Conflict("该人员不是在职员工，不能解除关联")
    reasons = _unlink_refusals(session, affiliation)
    if reasons:
        raise Conflict("不满足解除关联条件：" + "；".join(reasons), {"_schema": reasons[0]})
    before = _audited(affiliation)
    affiliation.status, affiliation.unlinked_at = "unlinked", utcnow()
    affiliation.unlink_reason, affiliation.open_person_id = reason, None
    audit.record(session, "affiliation.unlinked", "affiliation", affiliation.id,
                 subject_id=affiliation.person_id, actor_id=actor_id,
                 actor_kind=None if actor_id else "system", before=before,
                 after=_audited(affiliation), reason=reason)
    outbox.add(session, "orgs.affiliation.unlinked", affiliation.id,
               _payload(affiliation, reason=reason))


def unlink(db: Database, outbox: Outbox, claims: Claims, unit_id: str, affiliation_id: str,
           reason: str) -> dict:
    if not (reason or "").strip():
        raise ValidationFailed("请填写解除关联原因", {"reason": "请填写解除关联原因"})
    with db.transaction() as session:
        changeable_unit(session, claims, unit_id)
        affiliation = _unit_affiliation(session, unit_id, affiliation_id)
        unlink_employee(session, outbox, affiliation, claims.sub, reason.strip())
        return employee_view(affiliation)


def on_instance_started(session: Session, outbox: Outbox, envelope: dict) -> None:
    data = envelope["data"]
    if data.get("process_key") == AFFILIATION_PROCESS:
        on_affiliation_started(session, outbox, data)
    if data.get("process_key") in PERMISSION_PROCESSES:
        on_permission_started(session, outbox, envelope)
    # A unit applying for an employee: the business is the employee's (subject_id).
    session.merge(BusinessInProgress(
        instance_id=data["instance_id"],
        applicant_id=data.get("subject_id") or data["applicant_id"],
        unit_id=data.get("unit_id"), process_key=data.get("process_key", ""),
        title=data.get("title") or data.get("process_key", ""),
        started_at=datetime.fromisoformat(envelope["occurred_at"])
        if envelope.get("occurred_at") else utcnow()))


def on_instance_completed(session: Session, outbox: Outbox, envelope: dict) -> None:
    data = envelope["data"]
    row = session.get(BusinessInProgress, data["instance_id"])
    if row is not None:
        session.delete(row)
        session.flush()
    if data.get("process_key") == AFFILIATION_PROCESS:
        if row is None and session.get(Affiliation, data["instance_id"]) is None:
            # The end overtook the start (a redelivered start): fail so that the bus retries
            # and, failing that, parks it for replay instead of losing the decision.
            raise LookupError(f"affiliation {data['instance_id']} ended before it was recorded")
        on_affiliation_completed(session, outbox, data)
    if data.get("process_key") in PERMISSION_PROCESSES:
        on_permission_completed(session, outbox, envelope)
