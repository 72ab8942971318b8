"""业务权限 (seed 003, issue 4): a unit applies to open a business (人才引进 talent_intro) with
its materials; the review runs as the BPMN process "business_permission" in workflow
(bpmn/business_permission.bpmn); this service keeps the resulting state from workflow's
events and publishes it (orgs.permission.changed) for workflow's eligibility checks.

States: pending (审核中) → approved (已开通) | rejected (业务权限审核不通过, with the reason →
重新申请). An approved unit may 修改资料: a new application whose review leaves the state
re_review — the permission STAYS USABLE meanwhile (seed 003: a unit that opened the business
goes on declaring people; 修改资料 only updates its information); if that review fails the
state becomes rejected and the unit may not declare until 重新申请 is approved. An
application withdrawn before review restores the state it replaced."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common.auth import Claims, is_admin
from services.common.bus import Outbox
from services.common.db import Database, paginate, utcnow
from services.common.errors import Forbidden, NotFound

from ..model import (BUSINESS_TITLES, PERMISSION_ACTIONS, PERMISSION_PROCESSES,
                     PERMISSION_TITLES, BusinessPermission, Org)
from .access import visible_unit


def _is_district_of(claims: Claims, unit: Org) -> bool:
    return (claims.kind == "staff" and claims.has_role("district")
            and unit.district_id is not None and claims.org == unit.district_id)


def permission_view(unit: Org, row: BusinessPermission | None, business: str) -> dict:
    state = row.state if row else None
    return {"unit_id": unit.id, "unit_name": unit.name, "business": business,
            "business_title": BUSINESS_TITLES.get(business, business),
            "district_id": unit.district_id, "state": state,
            "state_title": PERMISSION_TITLES.get(state, "未开通"),
            "usable": state in ("approved", "re_review"),
            "action": PERMISSION_ACTIONS.get(state),
            "reason": row.reason if row and state == "rejected" else None,
            "instance_id": row.instance_id if row else None,
            "applied_at": row.applied_at if row else None,
            "decided_at": row.decided_at if row else None,
            "approved_at": row.approved_at if row else None}


def get_permission(db: Database, claims: Claims, unit_id: str, business: str) -> dict:
    """The unit itself, its supervising body, its district office and admins may look."""
    if business not in BUSINESS_TITLES:
        raise NotFound("业务不存在")
    with db.reading() as session:
        unit = session.get(Org, unit_id)
        if unit is None or unit.kind != "unit":
            raise NotFound("单位不存在")
        if not _is_district_of(claims, unit):
            visible_unit(session, claims, unit_id)
        return permission_view(unit, session.get(BusinessPermission, (unit.id, business)),
                               business)


def list_permissions(db: Database, claims: Claims, business: str, state: str | None,
                     page: int, per_page: int) -> dict:
    """District staff: the permissions of the units registered in their district; admins all."""
    if not (is_admin(claims) or (claims.kind == "staff" and claims.has_role("district"))):
        raise Forbidden("仅区委人才办工作人员可查看业务权限列表")
    with db.reading() as session:
        query = (select(BusinessPermission, Org).join(Org, Org.id == BusinessPermission.unit_id)
                 .where(BusinessPermission.business == business))
        if not is_admin(claims):
            query = query.where(Org.district_id == claims.org)
        if state:
            query = query.where(BusinessPermission.state == state)
        query = query.order_by(BusinessPermission.applied_at.desc(), Org.id)
        result = paginate(session, query, page, per_page)
    result["items"] = [permission_view(unit, row, business) for row, unit in result["items"]]
    return result


# --- from workflow's events -------------------------------------------------------------------

def _publish(session: Session, outbox: Outbox, row: BusinessPermission, unit: Org) -> None:
    outbox.add(session, "orgs.permission.changed", unit.id, {
        "unit_id": unit.id, "district_id": unit.district_id, "business": row.business,
        "state": row.state, "reason": row.reason, "instance_id": row.instance_id})


def on_permission_started(session: Session, outbox: Outbox, envelope: dict) -> None:
    data = envelope["data"]
    business = PERMISSION_PROCESSES[data["process_key"]]
    unit = session.get(Org, data.get("unit_id"))
    if unit is None:
        return
    row = session.get(BusinessPermission, (unit.id, business))
    if row is not None and row.instance_id == data["instance_id"]:
        return  # redelivered
    at = datetime.fromisoformat(envelope["occurred_at"]) if envelope.get("occurred_at") \
        else utcnow()
    if row is None:
        row = BusinessPermission(unit_id=unit.id, business=business, state="pending")
        session.add(row)
    # 修改资料 after approval: the permission stays usable while the change is reviewed.
    row.state = "re_review" if row.state in ("approved", "re_review") else "pending"
    row.reason, row.instance_id, row.applied_at = None, data["instance_id"], at
    row.decided_at = row.decided_by = None
    session.flush()
    _publish(session, outbox, row, unit)


def on_permission_completed(session: Session, outbox: Outbox, envelope: dict) -> None:
    data = envelope["data"]
    business = PERMISSION_PROCESSES[data["process_key"]]
    unit = session.get(Org, data.get("unit_id"))
    row = session.get(BusinessPermission, (data.get("unit_id"), business))
    if unit is None:
        return
    if row is None or row.instance_id != data["instance_id"]:
        # The end overtook the start: let the bus retry (then park it for replay).
        raise LookupError(f"business permission {data['instance_id']} ended before it started")
    outcome = data.get("outcome")
    if outcome == "approved":
        row.state, row.reason = "approved", None
        row.approved_at = row.approved_at or utcnow()
    elif outcome == "withdrawn":
        row.state, row.reason = ("approved" if row.approved_at and row.state == "re_review"
                                 else "withdrawn"), None
    else:
        row.state = "rejected"
        row.reason = data.get("comment") or "业务权限审核不通过"
    row.decided_at, row.decided_by = utcnow(), data.get("decided_by")
    session.flush()
    _publish(session, outbox, row, unit)
