"""个人信息完善: general info, education, study history, work history and the ID photo;
saved as a draft, previewed, submitted (the profile is then complete), viewed and modified."""
from __future__ import annotations

import re
import uuid

from services.common import audit as audit_log
from services.common.auth import Claims
from services.common.bus import Outbox
from services.common.db import Database, utcnow
from services.common.errors import Forbidden, ValidationFailed
from services.common.pii import mask

from ..model import Account, Profile
from .base import audit

MONTH = re.compile(r"^(19|20)\d{2}-(0[1-9]|1[0-2])$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
GENDERS = ("男", "女")
POLITICAL = ("中共党员", "中共预备党员", "共青团员", "民主党派", "无党派人士", "群众")
LEVELS = ("博士研究生", "硕士研究生", "大学本科", "大学专科", "高中及以下")
DEGREES = ("博士", "硕士", "学士", "无")
SECTIONS = ("general", "education", "study_history", "work_history", "photo_file_id")

GENERAL_FIELDS = {
    "gender": ("性别", lambda v: v in GENDERS, "性别应为“男”或“女”"),
    "ethnicity": ("民族", lambda v: 1 <= len(v) <= 20, "民族应为 1-20 个字"),
    "political_status": ("政治面貌", lambda v: v in POLITICAL, "政治面貌应为：" + "、".join(POLITICAL)),
    "email": ("电子邮箱", lambda v: len(v) <= 100 and EMAIL.match(v), "电子邮箱格式不正确"),
    "address": ("通讯地址", lambda v: 2 <= len(v) <= 200, "通讯地址应为 2-200 个字"),
}
GENERAL_OPTIONAL = {"title": 50, "hukou": 100}

ITEM_FIELDS = {
    "education": {"level": ("学历", LEVELS), "degree": ("学位", DEGREES),
                  "school": ("毕业院校", 100), "major": ("所学专业", 100),
                  "graduated": ("毕业时间", "month")},
    "study_history": {"from": ("开始时间", "month"), "to": ("结束时间", "month"),
                      "school": ("学校或机构", 100), "major": ("专业或内容", 100)},
    "work_history": {"from": ("开始时间", "month"), "to": ("结束时间", "month?"),
                     "employer": ("工作单位", 100), "position": ("职务或岗位", 50)},
}
REQUIRED_ITEMS = {"education": "请至少填写一条教育信息", "study_history": "请至少填写一条学习经历"}


def _text(value) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _check_general(general, errors: dict) -> dict:
    if not isinstance(general, dict):
        errors["general"] = "一般信息应为对象"
        return {}
    clean = {}
    for key, (label, ok, message) in GENERAL_FIELDS.items():
        value = _text(general.get(key))
        if value is None:
            errors[f"general.{key}"] = f"请填写{label}"
        elif not ok(value):
            errors[f"general.{key}"] = message
        else:
            clean[key] = value
    for key, limit in GENERAL_OPTIONAL.items():
        value = _text(general.get(key))
        if value is not None:
            if len(value) > limit:
                errors[f"general.{key}"] = f"不能超过 {limit} 个字"
            clean[key] = value
    for key in general:
        if key not in GENERAL_FIELDS and key not in GENERAL_OPTIONAL:
            errors[f"general.{key}"] = "不允许的字段"
    return clean


def _check_items(section: str, items, errors: dict) -> list:
    if not isinstance(items, list):
        errors[section] = "应为列表"
        return []
    if len(items) > 20:
        errors[section] = "最多 20 条"
        return []
    clean = []
    for index, item in enumerate(items):
        where = f"{section}[{index}]"
        if not isinstance(item, dict):
            errors[where] = "应为对象"
            continue
        row = {}
        for key, (label, rule) in ITEM_FIELDS[section].items():
            value = _text(item.get(key))
            if value is None:
                if rule != "month?":
                    errors[f"{where}.{key}"] = f"请填写{label}"
                continue
            if isinstance(rule, tuple) and value not in rule:
                errors[f"{where}.{key}"] = f"{label}应为：" + "、".join(rule)
            elif rule in ("month", "month?") and not MONTH.match(value):
                errors[f"{where}.{key}"] = f"{label}应为“年-月”，如 2015-07"
            elif isinstance(rule, int) and len(value) > rule:
                errors[f"{where}.{key}"] = f"{label}不能超过 {rule} 个字"
            row[key] = value
        if row.get("from") and row.get("to") and MONTH.match(row["from"]) \
                and MONTH.match(row["to"]) and row["from"] > row["to"]:
            errors[f"{where}.to"] = "结束时间不能早于开始时间"
        for key in item:
            if key not in ITEM_FIELDS[section]:
                errors[f"{where}.{key}"] = "不允许的字段"
        clean.append(row)
    return clean


def _check_photo(value, errors: dict) -> str | None:
    if value in (None, ""):
        return None
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        errors["photo_file_id"] = "证件照片编号不正确，请重新上传"
        return None


def _view(account: Account, profile: Profile | None) -> dict:
    return {
        "basic": {"name": account.real_name or account.display_name, "phone": account.phone,
                  "id_type": "居民身份证" if account.id_number else None,
                  "id_number": mask(account.id_number)},
        "general": profile.general if profile else {},
        "education": profile.education if profile else [],
        "study_history": profile.study_history if profile else [],
        "work_history": profile.work_history if profile else [],
        "photo_file_id": profile.photo_file_id if profile else None,
        "complete": bool(account.profile_complete),
        "submitted_at": profile.submitted_at if profile else None,
        "updated_at": profile.updated_at if profile else None,
    }


def _person(claims: Claims) -> None:
    if claims.kind != "person":
        raise Forbidden("仅个人账号有个人信息")


def get_profile(db: Database, claims: Claims) -> dict:
    _person(claims)
    with db.reading() as session:
        return _view(session.get(Account, claims.sub), session.get(Profile, claims.sub))


def save_profile(db: Database, claims: Claims, body: dict) -> dict:
    """Saves the sections given (a draft; each one checked as it is saved)."""
    _person(claims)
    errors: dict = {}
    clean = {}
    if "general" in body:
        clean["general"] = _check_general(body["general"], errors)
    for section in ITEM_FIELDS:
        if section in body:
            clean[section] = _check_items(section, body[section], errors)
    if "photo_file_id" in body:
        clean["photo_file_id"] = _check_photo(body["photo_file_id"], errors)
    for key in body:
        if key not in SECTIONS:
            errors[key] = "不允许的字段"
    if errors:
        raise ValidationFailed("个人信息填写有误：" + "；".join(f"{k}：{v}" for k, v in errors.items()),
                               errors)
    with db.transaction() as session:
        profile = session.get(Profile, claims.sub)
        if profile is None:
            profile = Profile(account_id=claims.sub, general={}, education=[], study_history=[],
                              work_history=[])
            session.add(profile)
        changed = [key for key, value in clean.items() if getattr(profile, key) != value]
        before = {key: getattr(profile, key) for key in changed}
        for key, value in clean.items():
            setattr(profile, key, value)
        profile.updated_at = utcnow()
        if changed:  # what was there and what is now, section by section
            audit_log.record(session, "profile.saved", "profile", claims.sub,
                             subject_id=claims.sub, claims=claims, before=before,
                             after={key: clean[key] for key in changed})
        session.flush()
        return _view(session.get(Account, claims.sub), profile)


def _missing(profile: Profile | None) -> dict:
    missing = {}
    if profile is None or not profile.general:
        missing["general"] = "请填写一般信息"
    for section, message in REQUIRED_ITEMS.items():
        if profile is None or not getattr(profile, section):
            missing[section] = message
    if profile is None or not profile.photo_file_id:
        missing["photo_file_id"] = "请上传证件照片"
    return missing


def preview(db: Database, claims: Claims) -> dict:
    _person(claims)
    with db.reading() as session:
        profile = session.get(Profile, claims.sub)
        view = _view(session.get(Account, claims.sub), profile)
    missing = _missing(profile)
    return {**view, "ready": not missing, "missing": missing}


def submit(db: Database, outbox: Outbox, claims: Claims) -> dict:
    """预览并提交: the profile is complete; the first time says identity.profile.completed."""
    _person(claims)
    with db.transaction() as session:
        profile = session.get(Profile, claims.sub)
        missing = _missing(profile)
        if missing:
            raise ValidationFailed("个人信息尚未填写完整：" + "；".join(missing.values()), missing)
        account = session.get(Account, claims.sub)
        first = not account.profile_complete
        account.profile_complete = True
        profile.submitted_at = utcnow()
        highest = profile.education[0] if profile.education else {}
        data = {"account_id": account.id, "name": account.real_name or account.display_name,
                "gender": profile.general.get("gender"), "education_level": highest.get("level"),
                "political_status": profile.general.get("political_status"),
                "ethnicity": profile.general.get("ethnicity"),
                "photo_file_id": profile.photo_file_id,
                # for the employee detail tabs of the person's unit (orgs keeps a copy)
                "education": profile.education, "study_history": profile.study_history,
                "work_history": profile.work_history}
        outbox.add(session, "identity.profile.completed" if first
                       else "identity.profile.updated", account.id, data)
        audit(session, "profile.submitted", account.id, first=first)
        session.flush()
        return _view(account, profile)
