"""技能竞赛报名, the person's side before any registration: 个人身份信息确认 (once, against the
verified real name) and 个人基本信息维护 (kept with an ID photo for every later registration)."""
from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.common.auth import Claims
from services.common.db import Database, utcnow
from services.common.errors import Conflict, Forbidden, ValidationFailed
from services.common.pii import blind_index

from ...model import CompetitorProfile, PersonRecord
from ...routing import person_basics

# 个人基本信息 a registration needs (the rest is optional).
PROFILE_REQUIRED = {"ethnicity": "民族", "political_status": "政治面貌",
                    "education_level": "文化程度", "work_unit": "工作单位"}
NOT_CONFIRMED = "首次进入竞赛系统，请先进行个人身份信息确认"


def person_only(claims: Claims) -> None:
    if claims.kind != "person":
        raise Forbidden("仅个人账号可以报名参加技能竞赛")


def birth_and_gender(id_number: str) -> dict:
    """GB 11643: the birth date is characters 7-14, the 17th is odd for men."""
    return {"birth_date": f"{id_number[6:10]}-{id_number[10:12]}-{id_number[12:14]}",
            "gender": "男" if int(id_number[16]) % 2 else "女"}


def competitor_view(profile: CompetitorProfile) -> dict:
    """The owner's own view: their ID number and phone in full."""
    return {"name": profile.name, "id_number": profile.id_number, "phone": profile.phone,
            **birth_and_gender(profile.id_number), **profile.details,
            "photo_file_id": profile.photo_file_id,
            "confirmed_at": profile.confirmed_at, "updated_at": profile.updated_at,
            "missing": missing_fields(profile)}


def missing_fields(profile: CompetitorProfile) -> dict[str, str]:
    missing = {key: f"请填写{title}" for key, title in PROFILE_REQUIRED.items()
               if not profile.details.get(key)}
    if not profile.phone:
        missing["phone"] = "请填写手机号码"
    return missing


def _prefill(session: Session, person_id: str) -> dict:
    """What the platform already knows: the verified name, the submitted personal profile and
    the unit (as 工作单位)."""
    known = person_basics(session, person_id)
    known["work_unit"] = known["unit_name"]
    return {key: known[key] for key in ("name", "ethnicity", "political_status",
                                        "education_level", "photo_file_id", "work_unit")
            if known[key]}


def _competitor_page(session: Session, person_id: str,
                     profile: CompetitorProfile | None) -> dict:
    """个人基本信息维护: {confirmed, profile, prefill}; not confirmed yet → the first entry's
    个人身份信息确认 comes first."""
    return {"confirmed": profile is not None,
            "profile": competitor_view(profile) if profile else None,
            "prefill": _prefill(session, person_id)}


def competitor(db: Database, claims: Claims) -> dict:
    person_only(claims)
    with db.reading() as session:
        return _competitor_page(session, claims.sub, session.get(CompetitorProfile, claims.sub))


def confirm_identity(db: Database, claims: Claims, name: str, id_number: str) -> dict:
    """个人身份信息确认: the name and ID number must be those of the account's real-name
    verification (compared through the blind index; identity never sends the number)."""
    person_only(claims)
    name, id_number = name.strip(), id_number.strip().upper()
    with db.transaction() as session:
        if session.get(CompetitorProfile, claims.sub) is not None:
            raise Conflict("已完成个人身份信息确认，无需重复确认")
        record = session.get(PersonRecord, claims.sub)
        if record is None or not record.id_number_index:
            raise Forbidden("您的账号尚未完成实名认证，请先在个人中心完成实名认证后再报名")
        errors = {}
        if name != record.real_name:
            errors["name"] = "姓名与实名认证信息不一致"
        if blind_index(id_number) != record.id_number_index:
            errors["id_number"] = "证件号码与实名认证信息不一致"
        if errors:
            raise ValidationFailed("个人身份信息与实名认证信息不一致，请核对后重新输入", errors)
        prefill = _prefill(session, claims.sub)
        now = utcnow()
        profile = CompetitorProfile(
            person_id=claims.sub, name=name, id_number=id_number, phone=None,
            details={k: prefill[k] for k in PROFILE_REQUIRED if k in prefill},
            photo_file_id=prefill.get("photo_file_id"), confirmed_at=now, updated_at=now)
        session.add(profile)
        try:
            session.flush()
        except IntegrityError:  # confirmed a moment ago in another tab
            raise Conflict("已完成个人身份信息确认，无需重复确认") from None
        return _competitor_page(session, claims.sub, profile)


def own_profile(session: Session, claims: Claims) -> CompetitorProfile:
    person_only(claims)
    profile = session.get(CompetitorProfile, claims.sub)
    if profile is None:
        raise Forbidden(NOT_CONFIRMED)
    return profile


def save_competitor(db: Database, claims: Claims, body: dict) -> dict:
    """保存: the text of 个人基本信息 (name and ID number, hence birth date and gender, stay as
    confirmed). Later registrations copy it; submitted ones keep what they were submitted
    with."""
    with db.transaction() as session:
        profile = own_profile(session, claims)
        profile.phone = body.pop("phone")
        profile.details = {k: v for k, v in body.items() if v not in (None, "")}
        profile.updated_at = utcnow()
        return _competitor_page(session, claims.sub, profile)


def set_competitor_photo(db: Database, claims: Claims, file_id: str) -> dict:
    """上传照片 → 裁切照片 (files) → the cropped photo becomes the profile's."""
    with db.transaction() as session:
        profile = own_profile(session, claims)
        profile.photo_file_id, profile.updated_at = file_id, utcnow()
        return _competitor_page(session, claims.sub, profile)
