"""People and units: the affiliation request (关联单位申请) and the unit's decision on it.

One path: every affiliation comes to be in `open_request` (a pending request, published as
orgs.affiliation.requested) and is decided in `approve_request` / `reject_request`. Its
entries:
  - the BPMN process "affiliation" (bpmn/affiliation.bpmn) in the workflow service, what the
    web pages start: `on_affiliation_started` opens the request (id = the instance's id), the
    unit decides in its task, `on_affiliation_completed` records the decision (both handed
    on by employees.on_instance_started / completed). Such a request is decided only there;
  - the direct endpoints (POST /me/affiliation-requests, .../approve, .../reject), kept for
    the API's clients: the same functions, without a process;
  - the demo seed (`approve_affiliation_directly`): open, then approve.
This table stays the one source of truth for the state; a unit's employees and unlinking
(解除关联) are in employees.py."""
from __future__ import annotations

import logging
import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.common import audit
from services.common.auth import Claims
from services.common.bus import Outbox
from services.common.db import Database, paginate, utcnow
from services.common.errors import Conflict, NotFound, ValidationFailed
from services.common.pii import blind_index, mask

from ..model import (AFFILIATION_TITLES, Affiliation, BusinessInProgress, Org, PersonIdentity,
                     PersonProfile, id_number_problem, normalise_association_code)
from .access import changeable_unit, require_person

log = logging.getLogger(__name__)


def _audited(affiliation: Affiliation) -> dict:
    """What the audit log keeps of an affiliation (numbers masked by the kit)."""
    return {"unit_id": affiliation.unit_id, "status": affiliation.status,
            "id_number": affiliation.id_number, "phone": affiliation.phone,
            "position": affiliation.position, "decision_comment": affiliation.decision_comment,
            "unlink_reason": affiliation.unlink_reason}


def _payload(affiliation: Affiliation, **extra) -> dict:
    return {"affiliation_id": affiliation.id, "person_id": affiliation.person_id,
            "unit_id": affiliation.unit_id, **extra}


# --- the person's side -------------------------------------------------------------------------

def request_affiliation(db: Database, outbox: Outbox, claims: Claims, data: dict) -> dict:
    """申请关联: the unit found by its association code gets a pending request."""
    require_person(claims)
    code = normalise_association_code(data["association_code"])
    id_number = (data.get("id_number") or "").strip().upper() or None
    if id_number and (problem := id_number_problem(id_number)):
        raise ValidationFailed(problem, {"id_number": problem})
    try:
        with db.transaction() as session:
            _refuse_someone_elses(session, claims.sub, id_number, data.get("phone"))
            unit = session.scalar(select(Org).where(Org.association_code == code,
                                                    Org.kind == "unit"))
            if unit is None:
                raise NotFound("未找到该关联代码对应的单位，请向单位核实后重新输入",
                               {"association_code": "未找到对应的单位"})
            affiliation = open_request(session, outbox, unit, claims.sub, claims.name,
                                       id_number=id_number, phone=data.get("phone"),
                                       claims=claims)
            return own_view(affiliation, unit)
    except IntegrityError:  # a concurrent second request won the race
        raise Conflict("您已提交过单位关联申请，请勿重复申请")


def open_request(session: Session, outbox: Outbox, unit: Org, person_id: str,
                 person_name: str | None, *, affiliation_id: str | None = None,
                 id_number: str | None = None, phone: str | None = None,
                 claims: Claims | None = None, actor_id: str | None = None) -> Affiliation:
    """The one place an Affiliation is made: the person's pending request to `unit` (refused
    while they have a pending or active link), published and audited. The name shown to the
    unit is the verified one orgs knows, else the one given."""
    _refuse_second_open_link(session, person_id)
    affiliation = Affiliation(
        id=affiliation_id or str(uuid.uuid4()), person_id=person_id,
        person_name=_known_name(session, person_id) or person_name or "",
        open_person_id=person_id, id_number=id_number,
        id_number_index=blind_index(id_number) if id_number else None, phone=phone,
        unit_id=unit.id, status="pending", requested_at=utcnow())
    session.add(affiliation)
    session.flush()
    outbox.add(session, "orgs.affiliation.requested", affiliation.id,
               _payload(affiliation, person_name=affiliation.person_name))
    audit.record(session, "affiliation.requested", "affiliation", affiliation.id,
                 subject_id=person_id, claims=claims, actor_id=actor_id,
                 actor_kind=None if claims or actor_id else "system",
                 after=_audited(affiliation))
    return affiliation


def _refuse_someone_elses(session: Session, person_id: str, id_number: str | None,
                          phone: str | None) -> None:
    """The ID number and phone a person types must be their own: those of their verified
    identity (identity.person.verified), compared by blind index."""
    if not id_number and not phone:
        return
    known = session.get(PersonIdentity, person_id)
    errors = {}
    if known is None or known.verified_at is None:
        field = "id_number" if id_number else "phone"
        errors[field] = "请先完成实名认证，再填写本人的身份证号和手机号"
    else:
        if id_number and blind_index(id_number) != known.id_number_index:
            errors["id_number"] = "身份证号与您实名认证的身份证号不一致，请填写本人的身份证号"
        if phone and blind_index(phone) != known.phone_index:
            errors["phone"] = "手机号与您账号绑定的手机号不一致，请填写本人的手机号"
    if errors:
        raise ValidationFailed("；".join(errors.values()), errors)


def on_person_rebound(session: Session, envelope: dict) -> None:
    """Consumer of identity.person.rebound: the released account holds no ID number now."""
    row = session.get(PersonIdentity, envelope["data"]["released_account_id"])
    if row is not None:
        row.id_number_index = row.verified_at = None


def _refuse_second_open_link(session: Session, person_id: str) -> None:
    row = session.execute(select(Affiliation, Org).join(Org, Org.id == Affiliation.unit_id)
                          .where(Affiliation.open_person_id == person_id)).first()
    if row is None:
        return
    affiliation, unit = row
    if affiliation.status == "pending":
        raise Conflict(f"您已申请关联“{unit.name}”，正在等待单位确认，请勿重复申请")
    raise Conflict(f"您已关联“{unit.name}”，如需更换单位，请先由原单位解除关联")


def own_view(affiliation: Affiliation, unit: Org) -> dict:
    return {"affiliation_id": affiliation.id, "unit_id": unit.id, "unit_name": unit.name,
            "status": affiliation.status, "status_title": AFFILIATION_TITLES[affiliation.status],
            "requested_at": affiliation.requested_at, "decided_at": affiliation.decided_at,
            "reason": affiliation.decision_comment if affiliation.status == "rejected"
            else affiliation.unlink_reason, "position": affiliation.position}


def my_affiliation(db: Database, claims: Claims) -> dict:
    """The person's home: the unit's name once affiliated."""
    require_person(claims)
    with db.reading() as session:
        row = session.execute(select(Affiliation, Org).join(Org, Org.id == Affiliation.unit_id)
                              .where(Affiliation.person_id == claims.sub,
                                     Affiliation.status == "approved")).first()
    if row is None:
        raise NotFound("您未关联单位，请点击进行关联")
    return own_view(*row)


def my_requests(db: Database, claims: Claims, page: int, per_page: int) -> dict:
    """The person's own requests, newest first, with the reason of a rejection or unlink."""
    require_person(claims)
    with db.reading() as session:
        result = paginate(session, select(Affiliation, Org)
                          .join(Org, Org.id == Affiliation.unit_id)
                          .where(Affiliation.person_id == claims.sub)
                          .order_by(Affiliation.requested_at.desc(), Affiliation.id),
                          page, per_page)
    result["items"] = [own_view(a, u) for a, u in result["items"]]
    return result


# --- the unit's side ---------------------------------------------------------------------------

def employee_view(affiliation: Affiliation) -> dict:
    """As the unit sees an employee: ID and phone numbers always masked."""
    show = mask
    return {
        "affiliation_id": affiliation.id, "person_id": affiliation.person_id,
        "person_name": affiliation.person_name, "id_number": show(affiliation.id_number),
        "phone": show(affiliation.phone), "unit_id": affiliation.unit_id,
        "status": affiliation.status, "status_title": AFFILIATION_TITLES[affiliation.status],
        "requested_at": affiliation.requested_at, "decided_at": affiliation.decided_at,
        "decision_comment": affiliation.decision_comment,
        "unlinked_at": affiliation.unlinked_at, "unlink_reason": affiliation.unlink_reason,
        "position": affiliation.position, "contract_term": affiliation.contract_term,
        "contract_start": affiliation.contract_start, "contract_end": affiliation.contract_end,
        "contract_file_id": affiliation.contract_file_id,
    }


def _unit_affiliation(session: Session, unit_id: str, affiliation_id: str,
                      status: str | None = None) -> Affiliation:
    affiliation = session.get(Affiliation, affiliation_id)
    if affiliation is None or affiliation.unit_id != unit_id:
        raise NotFound("未找到该人员的关联记录")
    if status is not None and affiliation.status != status:
        raise Conflict(f"该关联记录当前状态为“{AFFILIATION_TITLES[affiliation.status]}”，"
                       "不能进行此操作")
    return affiliation


def approve_request(session: Session, outbox: Outbox, affiliation: Affiliation,
                    actor_id: str | None, comment: str | None = None) -> None:
    if affiliation.status != "pending":
        raise Conflict("该申请已处理，请刷新后查看")
    before = _audited(affiliation)
    affiliation.status, affiliation.decided_at = "approved", utcnow()
    affiliation.decided_by, affiliation.decision_comment = actor_id, comment
    outbox.add(session, "orgs.affiliation.approved", affiliation.id, _payload(affiliation))
    audit.record(session, "affiliation.approved", "affiliation", affiliation.id,
                 subject_id=affiliation.person_id, actor_id=actor_id,
                 actor_kind=None if actor_id else "system", before=before,
                 after=_audited(affiliation))


def reject_request(session: Session, outbox: Outbox, affiliation: Affiliation,
                   actor_id: str | None, reason: str) -> None:
    if affiliation.status != "pending":
        raise Conflict("该申请已处理，请刷新后查看")
    before = _audited(affiliation)
    affiliation.status, affiliation.decided_at = "rejected", utcnow()
    affiliation.decided_by, affiliation.decision_comment = actor_id, reason
    affiliation.open_person_id = None
    audit.record(session, "affiliation.rejected", "affiliation", affiliation.id,
                 subject_id=affiliation.person_id, actor_id=actor_id,
                 actor_kind=None if actor_id else "system", before=before,
                 after=_audited(affiliation))
    outbox.add(session, "orgs.affiliation.rejected", affiliation.id,
               _payload(affiliation, reason=reason))


def decide(db: Database, outbox: Outbox, claims: Claims, unit_id: str, affiliation_id: str,
           decision: str, reason: str | None) -> dict:
    with db.transaction() as session:
        changeable_unit(session, claims, unit_id)
        affiliation = _unit_affiliation(session, unit_id, affiliation_id)
        if session.get(BusinessInProgress, affiliation.id) is not None:
            # The request runs as the BPMN process "affiliation": it is decided there (the
            # unit's task), and this table follows the process's events.
            raise Conflict("该关联申请正在流程中办理，请在待办任务中审核",
                           {"affiliation_id": "请在待办任务中审核"})
        if decision == "approve":
            approve_request(session, outbox, affiliation, claims.sub, reason)
        else:
            if not (reason or "").strip():
                raise ValidationFailed("请填写拒绝原因", {"reason": "请填写拒绝原因"})
            reject_request(session, outbox, affiliation, claims.sub, reason.strip())
        return employee_view(affiliation)


def _known_name(session: Session, person_id: str) -> str | None:
    """The person's name as identity last told orgs (the token's may predate verification)."""
    profile = session.get(PersonProfile, person_id)
    return profile.name if profile is not None else None


def on_person_verified(session: Session, envelope: dict) -> None:
    """identity.person.verified: who the person is (blind indexes only: an affiliation request
    may carry only their own ID number and phone), and the unit sees the verified real name
    on every request and employee row of that person, also those made before verifying."""
    data = envelope["data"]
    session.merge(PersonIdentity(person_id=data["account_id"],
                                 id_number_index=data.get("id_number_index"),
                                 phone_index=data.get("phone_index"),
                                 verified_at=utcnow()))
    for affiliation in session.scalars(select(Affiliation).where(
            Affiliation.person_id == data["account_id"])):
        affiliation.person_name = data["name"]
    profile = session.get(PersonProfile, data["account_id"])
    if profile is not None:
        profile.name = data["name"]


def on_profile_submitted(session: Session, envelope: dict) -> None:
    """Consumer of identity.profile.completed / updated."""
    data = envelope["data"]
    session.merge(PersonProfile(
        person_id=data["account_id"], name=data["name"], gender=data.get("gender"),
        education_level=data.get("education_level"), education=data.get("education", []),
        study_history=data.get("study_history", []), work_history=data.get("work_history", [])))


def approve_affiliation_directly(db: Database, outbox: Outbox, *, person_id: str,
                                 person_name: str, unit_id: str,
                                 id_number: str | None = None) -> Affiliation:
    """Records an approved affiliation (demo data): opened and approved by the system."""
    with db.transaction() as session:
        unit = session.get(Org, unit_id)
        if unit is None or unit.kind != "unit":
            raise ValidationFailed("单位不存在", {"unit_id": "单位不存在"})
        affiliation = open_request(session, outbox, unit, person_id, person_name,
                                   id_number=id_number)
        approve_request(session, outbox, affiliation, None)
    return affiliation


# --- the BPMN process "affiliation" (handed on by employees.on_instance_started/completed) --

AFFILIATION_PROCESS = "affiliation"


def on_affiliation_started(session: Session, outbox: Outbox, data: dict) -> None:
    """The person submitted the BPMN affiliation request: a pending request for the unit
    (its id is the instance's, so the process's end finds it)."""
    if session.get(Affiliation, data["instance_id"]) is not None:
        return
    person_id, unit_id = data["applicant_id"], data.get("unit_id")
    unit = session.get(Org, unit_id) if unit_id else None
    if unit is None:
        log.warning("affiliation %s names unknown unit %s", data["instance_id"], unit_id)
        return
    try:
        open_request(session, outbox, unit, person_id, data.get("applicant_name"),
                     affiliation_id=data["instance_id"], actor_id=person_id)
    except Conflict:  # workflow checked; a direct request raced it
        log.warning("affiliation %s: person %s already has an open link",
                    data["instance_id"], person_id)


def on_affiliation_completed(session: Session, outbox: Outbox, data: dict) -> None:
    """The unit decided in the process: record it (publishing orgs.affiliation.approved or
    rejected like a direct decision)."""
    affiliation = session.get(Affiliation, data["instance_id"])
    if affiliation is None or affiliation.status != "pending":
        return
    result = data.get("result") or {}
    decider = data.get("decided_by")
    if data.get("outcome") == "approved":
        approve_request(session, outbox, affiliation, decider, data.get("comment"))
        if result.get("position"):
            affiliation.position = result["position"]
    else:
        reason = data.get("comment") or ("申请人已撤回申请" if data.get("outcome") == "withdrawn"
                                          else "单位未通过关联申请")
        reject_request(session, outbox, affiliation, decider, reason)
