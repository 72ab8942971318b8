"""The catalogue of attachment types (admins maintain it) and the attachment page: the
owner's slots by type with their status, searchable by name (Chinese substring, full pinyin
or pinyin initials: "sfz" finds 身份证)."""
from __future__ import annotations

from functools import lru_cache

from sqlalchemy import select

from services.common.auth import Claims, is_admin
from services.common.db import Database, utcnow
from services.common.errors import Conflict, Forbidden, NotFound, ValidationFailed

from ..model import (Attachment, AttachmentType, OrgName, default_name, describe_limit,
                    formats_label)
from .access import unit_name_of
from .attachments import owner_of

EDITABLE = ("name", "owner_kinds", "formats", "max_bytes", "multiple", "hint",
            "naming_required", "photo_width", "photo_height", "sort_order", "active")


@lru_cache(maxsize=4096)
def _pinyin(text: str) -> tuple[str, str]:
    # pypinyin's dictionaries take ~55 MiB: loaded when a search first needs pinyin, not in
    # every files process at start.
    from pypinyin import Style, lazy_pinyin

    full = "".join(lazy_pinyin(text)).lower()
    initials = "".join(lazy_pinyin(text, style=Style.FIRST_LETTER)).lower()
    return full, initials


def name_matches(name: str, query: str) -> bool:
    """Fuzzy match of a name: substring, full pinyin or pinyin initials, case-insensitive."""
    query = "".join(query.split()).lower()
    if not query:
        return True
    if query in name.lower():
        return True
    full, initials = _pinyin(name)
    return query in initials or query in full


def describe(type_: AttachmentType) -> dict:
    """A catalogue entry with its rules in words (the "i" tooltip and the upload hint)."""
    rules = f"支持 {formats_label(type_.formats)} 格式，单个文件不超过 {describe_limit(type_.max_bytes)}"
    rules += "，可上传多个文件" if type_.multiple else "，限 1 个文件"
    return {**{column: getattr(type_, column) for column in ("key",) + EDITABLE},
            "rules": rules}


def require_admin(claims: Claims) -> None:
    if not is_admin(claims):
        raise Forbidden("仅管理员可维护附件类型")


def list_types(db: Database, claims: Claims, include_inactive: bool = False) -> list[dict]:
    """The active types; admins may ask for the retired ones too (others get the active)."""
    include_inactive = include_inactive and is_admin(claims)
    with db.reading() as session:
        query = select(AttachmentType).order_by(AttachmentType.sort_order, AttachmentType.key)
        if not include_inactive:
            query = query.where(AttachmentType.active.is_(True))
        return [describe(t) for t in session.scalars(query)]


def _check(values: dict, max_file_bytes: int) -> None:
    errors = {}
    if "max_bytes" in values and values["max_bytes"] > max_file_bytes:
        errors["max_bytes"] = f"大小上限不能超过 {describe_limit(max_file_bytes)}"
    width, height = values.get("photo_width"), values.get("photo_height")
    if (width is None) != (height is None):
        errors["photo_width" if width is None else "photo_height"] = "照片宽度和高度需同时填写"
    if errors:
        raise ValidationFailed("；".join(errors.values()), errors)


def create_type(db: Database, max_file_bytes: int, claims: Claims, values: dict) -> dict:
    require_admin(claims)
    _check(values, max_file_bytes)
    with db.transaction() as session:
        if session.get(AttachmentType, values["key"]) is not None:
            raise Conflict("附件类型编码已存在", {"key": "编码已被使用"})
        type_ = AttachmentType(**values, updated_at=utcnow())
        session.add(type_)
        session.flush()
        return describe(type_)


def update_type(db: Database, max_file_bytes: int, claims: Claims, key: str,
                values: dict) -> dict:
    require_admin(claims)
    with db.transaction() as session:
        type_ = session.get(AttachmentType, key)
        if type_ is None:
            raise NotFound("附件类型不存在")
        merged = {"photo_width": type_.photo_width, "photo_height": type_.photo_height, **values}
        _check(merged, max_file_bytes)
        for column, value in values.items():
            setattr(type_, column, value)
        type_.updated_at = utcnow()
        session.flush()
        return describe(type_)


def slots(db: Database, claims: Claims, query: str = "", unit_name: str | None = None,
          person_name: str | None = None) -> list[dict]:
    """The attachment page: one slot per type for this account, with 未上传 / 已上传."""
    owner = owner_of(claims)
    with db.reading() as session:
        if owner.kind == "unit":
            # The unit's registered name as orgs last said (certification renames a unit
            # that signed up by phone); its token may still carry the name it had.
            known = session.get(OrgName, owner.id)
            unit_name = (known.name if known else None) or claims.name or unit_name
        else:
            person_name = claims.name or person_name
            unit_name = unit_name or unit_name_of(session, claims.sub)
        types = [t for t in session.scalars(
            select(AttachmentType).where(AttachmentType.active.is_(True))
            .order_by(AttachmentType.sort_order, AttachmentType.key))
            if owner.kind in t.owner_kinds]
        attachments = list(session.scalars(select(Attachment).where(
            Attachment.owner_kind == owner.kind, Attachment.owner_id == owner.id,
            Attachment.replaced_at.is_(None)).order_by(Attachment.created_at.desc())))
    by_type: dict[str, list[Attachment]] = {}
    for attachment in attachments:
        by_type.setdefault(attachment.category, []).append(attachment)
    result = []
    for type_ in types:
        files = by_type.get(type_.key, [])
        if query and not (name_matches(type_.name, query)
                          or any(name_matches(a.display_name, query) for a in files)):
            continue
        result.append({
            "type": describe(type_),
            "status": "已上传" if files else "未上传",
            "attachments": files,
            "default_name": default_name(unit_name, person_name, type_.name),
            "can_upload": type_.multiple or not files,
        })
    return result
