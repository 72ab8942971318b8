"""A unit's own information (单位信息完善 and its later modification), the handler panel, the
association code and the unit home."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.common import audit
from services.common.auth import Claims, is_admin
from services.common.bus import Outbox
from services.common.db import Database, utcnow
from services.common.errors import NotFound, ValidationFailed
from services.common.pii import mask

from ..model import (ASSOCIATION_ALPHABET, ASSOCIATION_LENGTH, CERTIFICATION_TITLES,
                     Affiliation, Org, UnitCertification, UnitProfile,
                     normalise_association_code)
from .access import acts_for_unit, changeable_unit, require_person, visible_unit
from .hierarchy import _check_credit_code, _check_name, new_association_code, org_payload

# What the completion gate requires, field -> what to tell the user.
REQUIRED = {
    "credit_code": "请填写统一社会信用代码",
    "office_location": "请填写办公地点",
    "unit_type": "请选择单位类型",
    "general.legal_representative": "请填写法定代表人",
    "general.address": "请填写单位地址",
    "handler.name": "请填写业务经办人",
    "handler.phone": "请填写业务经办人联系电话",
    "emergency.name": "请填写紧急联系人",
    "emergency.phone": "请填写紧急联系人联系电话",
    "attachment_ids": "请上传电子附件（至少一份，如营业执照）",
}


def _profile(session: Session, unit: Org) -> UnitProfile:
    profile = session.get(UnitProfile, unit.id)
    if profile is None:
        profile = UnitProfile(unit_id=unit.id, status="incomplete", general={},
                              qualifications=[], attachment_ids=[])
        session.add(profile)
    return profile


def missing_fields(unit: Org, profile: UnitProfile | None) -> dict[str, str]:
    general = (profile.general if profile else None) or {}
    have = {
        "credit_code": unit.credit_code,
        "office_location": profile.office_location if profile else None,
        "unit_type": profile.unit_type if profile else None,
        "general.legal_representative": general.get("legal_representative"),
        "general.address": general.get("address"),
        "handler.name": profile.handler_name if profile else None,
        "handler.phone": profile.handler_phone if profile else None,
        "emergency.name": profile.emergency_name if profile else None,
        "emergency.phone": profile.emergency_phone if profile else None,
        "attachment_ids": profile.attachment_ids if profile else None,
    }
    return {field: message for field, message in REQUIRED.items() if not have[field]}


def _sees_personal_data(claims: Claims, unit: Org) -> bool:
    """The unit itself and admins see phone numbers in full; its supervising body masked."""
    return is_admin(claims) or acts_for_unit(claims, unit)


def profile_view(claims: Claims, unit: Org, profile: UnitProfile | None) -> dict:
    show = (lambda v: v) if _sees_personal_data(claims, unit) else mask
    missing = missing_fields(unit, profile)
    return {
        "unit_id": unit.id, "name": unit.name, "credit_code": unit.credit_code,
        "parent_id": unit.parent_id, "district_id": unit.district_id,
        "status": profile.status if profile else "incomplete",
        "office_location": profile.office_location if profile else None,
        "unit_type": profile.unit_type if profile else None,
        "general": (profile.general if profile else None) or {},
        "qualifications": (profile.qualifications if profile else None) or [],
        "handler": {"name": profile.handler_name if profile else None,
                    "phone": show(profile.handler_phone) if profile else None},
        "emergency": {"name": profile.emergency_name if profile else None,
                      "phone": show(profile.emergency_phone) if profile else None},
        "attachment_ids": (profile.attachment_ids if profile else None) or [],
        "submitted_at": profile.submitted_at if profile else None,
        "updated_at": profile.updated_at if profile else None,
        "missing": missing, "ready": not missing,
    }


def get_profile(db: Database, claims: Claims, unit_id: str) -> dict:
    """The full information in tabs (basic, qualifications, handler, attachments); also
    the preview before submitting: `missing` names what submit would still ask for."""
    with db.reading() as session:
        unit = visible_unit(session, claims, unit_id)
        return profile_view(claims, unit, session.get(UnitProfile, unit.id))


def _apply(session: Session, outbox: Outbox, unit: Org, profile: UnitProfile,
           data: dict) -> None:
    renamed = False
    if "name" in data and _check_name(data["name"]) != unit.name:
        unit.name, renamed = _check_name(data["name"]), True
    if "credit_code" in data:
        unit.credit_code = _check_credit_code(session, "unit", data["credit_code"], unit.id)
    for field in ("office_location", "unit_type"):
        if field in data:
            setattr(profile, field, data[field])
    if "general" in data:
        profile.general = {**(profile.general or {}), **data["general"]}
    if "qualifications" in data:
        profile.qualifications = data["qualifications"]
    if "attachment_ids" in data:
        profile.attachment_ids = list(dict.fromkeys(data["attachment_ids"]))
    for who in ("handler", "emergency"):
        if who in data:
            setattr(profile, f"{who}_name", data[who].get("name"))
            setattr(profile, f"{who}_phone", data[who].get("phone"))
    profile.updated_at = utcnow()
    if renamed:
        unit.updated_at = utcnow()
        outbox.add(session, "orgs.org.updated", unit.id, org_payload(unit))


def _audited(unit: Org, profile: UnitProfile) -> dict:
    """What the audit log keeps of a unit's information (phones masked by the kit)."""
    return {"name": unit.name, "credit_code": unit.credit_code,
            "office_location": profile.office_location, "unit_type": profile.unit_type,
            "general": dict(profile.general or {}),
            "qualifications": list(profile.qualifications or []),
            "handler": {"name": profile.handler_name, "phone": profile.handler_phone},
            "emergency": {"name": profile.emergency_name, "phone": profile.emergency_phone},
            "attachment_ids": list(profile.attachment_ids or []), "status": profile.status}


def _record_change(session: Session, claims: Claims, unit: Org, action: str,
                   before: dict, profile: UnitProfile) -> None:
    after = _audited(unit, profile)
    changed = [key for key in after if after[key] != before[key]]
    if changed:
        audit.record(session, action, "unit", unit.id, claims=claims,
                     before={key: before[key] for key in changed},
                     after={key: after[key] for key in changed})


def _require_complete(unit: Org, profile: UnitProfile) -> None:
    missing = missing_fields(unit, profile)
    if missing:
        raise ValidationFailed("单位信息不完整：" + "；".join(missing.values()), missing)


def save_profile(db: Database, outbox: Outbox, claims: Claims, unit_id: str,
                 data: dict) -> dict:
    """Fills in (first login) or modifies the unit's information. Before submission partial
    drafts are kept; once complete, a change must leave it complete."""
    with db.transaction() as session:
        unit = changeable_unit(session, claims, unit_id)
        profile = _profile(session, unit)
        before = _audited(unit, profile)
        _apply(session, outbox, unit, profile, data)
        session.flush()
        _record_change(session, claims, unit, "unit.profile_saved", before, profile)
        if profile.status == "complete":
            _require_complete(unit, profile)
        return profile_view(claims, unit, profile)


def submit_profile(db: Database, outbox: Outbox, claims: Claims, unit_id: str) -> dict:
    with db.transaction() as session:
        unit = changeable_unit(session, claims, unit_id)
        profile = _profile(session, unit)
        _require_complete(unit, profile)
        first = profile.status != "complete"
        profile.status, profile.submitted_at = "complete", utcnow()
        audit.record(session, "unit.profile_submitted", "unit", unit.id, claims=claims,
                     detail={"first": first})
        if first:
            outbox.add(session, "orgs.unit.profile_completed", unit.id, {"unit_id": unit.id})
        return profile_view(claims, unit, profile)


def maintain_handler(db: Database, outbox: Outbox, claims: Claims, unit_id: str,
                     data: dict) -> dict:
    """维护业务经办人信息: the handler and the emergency contact, both required."""
    with db.transaction() as session:
        unit = changeable_unit(session, claims, unit_id)
        profile = _profile(session, unit)
        before = _audited(unit, profile)
        _apply(session, outbox, unit, profile,
               {"handler": data["handler"], "emergency": data["emergency"]})
        _record_change(session, claims, unit, "unit.handler_changed", before, profile)
        return profile_view(claims, unit, profile)


def regenerate_association_code(db: Database, outbox: Outbox, claims: Claims,
                                unit_id: str) -> dict:
    """A new 单位关联代码; the old one stops finding the unit at once (here and, through
    orgs.org.updated, in workflow's read model that starts affiliation requests)."""
    with db.transaction() as session:
        unit = changeable_unit(session, claims, unit_id)
        before = unit.association_code
        unit.association_code = new_association_code(session)
        audit.record(session, "unit.association_code_changed", "unit", unit.id, claims=claims,
                     before={"association_code": before},
                     after={"association_code": unit.association_code})
        unit.updated_at = utcnow()
        outbox.add(session, "orgs.org.updated", unit.id, org_payload(unit))
        return {"unit_id": unit.id, "association_code": unit.association_code}


def unit_home(db: Database, claims: Claims, unit_id: str) -> dict:
    """The unit home: basic panel, handler panel, association code, counts, the gate."""
    with db.reading() as session:
        unit = visible_unit(session, claims, unit_id)
        profile = session.get(UnitProfile, unit.id)
        counts = dict(session.execute(
            select(Affiliation.status, func.count()).where(Affiliation.unit_id == unit.id)
            .group_by(Affiliation.status)).all())
        view = profile_view(claims, unit, profile)
        certification = session.get(UnitCertification, unit.id)
    certified = certification.status if certification else None
    return {
        "unit_id": unit.id, "name": unit.name, "credit_code": unit.credit_code,
        "office_location": view["office_location"], "unit_type": view["unit_type"],
        "handler": view["handler"], "emergency": view["emergency"],
        "association_code": unit.association_code if _sees_personal_data(claims, unit) else None,
        "profile_status": view["status"], "needs_completion": view["status"] != "complete",
        "pending_affiliations": counts.get("pending", 0),
        "active_employees": counts.get("approved", 0),
        "certification_status": certified,
        "certification_title": CERTIFICATION_TITLES.get(certified, "未认证"),
    }


def find_by_association_code(db: Database, claims: Claims, code: str) -> dict:
    """What a person sees after typing a unit's association code and clicking 查询."""
    require_person(claims)
    code = normalise_association_code(code)
    if len(code) != ASSOCIATION_LENGTH or any(c not in ASSOCIATION_ALPHABET for c in code):
        raise ValidationFailed("单位关联代码格式不正确，应为8位字母或数字，请向单位核实",
                               {"association_code": "单位关联代码格式不正确"})
    with db.reading() as session:
        unit = session.scalar(select(Org).where(Org.association_code == code,
                                                Org.kind == "unit"))
        if unit is None:
            raise NotFound("未找到该关联代码对应的单位，请向单位核实后重新输入",
                           {"association_code": "未找到对应的单位"})
        profile = session.get(UnitProfile, unit.id)
    return {"unit_id": unit.id, "name": unit.name, "credit_code": unit.credit_code,
            "office_location": profile.office_location if profile else None,
            "unit_type": profile.unit_type if profile else None}


# --- from identity's events ---------------------------------------------------------------

def on_unit_registered(session: Session, outbox: Outbox, envelope: dict) -> None:
    """identity.unit.registered {account_id, unit_id, name}: a unit signed up by phone on the
    district's portal (seed 003). Its unit exists at once — under the id identity reserved
    and put in the account's token — so that it may upload its licence and certify (单位认证
    then gives it its real name and credit code). It has no supervising body; its district is
    the portal's (the one district office, when there is exactly one; otherwise an admin
    places it)."""
    data = envelope["data"]
    if session.get(Org, data["unit_id"]) is not None:
        return  # redelivered
    districts = session.scalars(select(Org.id).where(Org.kind == "district").limit(2)).all()
    unit = Org(id=data["unit_id"], kind="unit", name=_check_name(data["name"]),
               parent_id=None, district_id=districts[0] if len(districts) == 1 else None,
               credit_code=None, association_code=new_association_code(session),
               account_id=data["account_id"], created_at=utcnow())
    session.add(unit)
    session.flush()
    outbox.add(session, "orgs.org.registered", unit.id, org_payload(unit))
