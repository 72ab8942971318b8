"""The organisation hierarchy, maintained by admins. Every change goes out on the bus
(orgs.org.registered / orgs.org.updated, same payload) so workflow can route without asking."""
from __future__ import annotations

import secrets
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common import audit
from services.common.auth import Claims
from services.common.bus import Outbox
from services.common.db import Database, paginate, utcnow
from services.common.errors import Conflict, Forbidden, NotFound, ValidationFailed

from ..model import (ASSOCIATION_ALPHABET, ASSOCIATION_LENGTH, ORG_KINDS, PARENT_KIND, Org,
                     credit_code_problem, normalise_credit_code)
from .access import require_admin


def org_payload(org: Org) -> dict:
    return {"org_id": org.id, "kind": org.kind, "name": org.name, "parent_id": org.parent_id,
            "district_id": org.district_id, "association_code": org.association_code}


def new_association_code(session: Session) -> str:
    """A fresh 单位关联代码 nobody holds (8 of 31 characters: collisions are rare; retried)."""
    for _ in range(20):
        code = "".join(secrets.choice(ASSOCIATION_ALPHABET) for _ in range(ASSOCIATION_LENGTH))
        if session.scalar(select(Org.id).where(Org.association_code == code)) is None:
            return code
    raise Conflict("暂时无法生成关联代码，请稍后重试")


def _check_name(name: str | None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("请填写机构名称", {"name": "机构名称不能为空"})
    if len(name) > 200:
        raise ValidationFailed("机构名称过长", {"name": "机构名称不能超过200个字"})
    return name


def _check_placement(session: Session, kind: str, parent_id: str | None,
                     district_id: str | None, org_id: str | None = None) -> None:
    """Parent rules: unit → supervising body; supervising body, district office, committee,
    expert pool → city bureau; the bureau has no parent. Only units have a district."""
    wanted = PARENT_KIND[kind]
    if wanted is None:
        if parent_id is not None:
            raise ValidationFailed("市局没有上级机构", {"parent_id": "市局不能设置上级机构"})
    else:
        parent = session.get(Org, parent_id) if parent_id else None
        if parent is None:
            raise ValidationFailed(f"请选择上级{ORG_KINDS[wanted]}",
                                   {"parent_id": f"上级机构不存在，{ORG_KINDS[kind]}的上级应为"
                                                 f"{ORG_KINDS[wanted]}"})
        if parent.kind != wanted or parent.id == org_id:
            raise ValidationFailed(f"{ORG_KINDS[kind]}的上级应为{ORG_KINDS[wanted]}",
                                   {"parent_id": f"上级机构应为{ORG_KINDS[wanted]}"})
    if district_id is not None:
        if kind != "unit":
            raise ValidationFailed("只有用人单位可设置所属区",
                                   {"district_id": "只有用人单位可设置所属区"})
        district = session.get(Org, district_id)
        if district is None or district.kind != "district":
            raise ValidationFailed("所属区不存在", {"district_id": "所属区委人才办不存在"})


def _check_credit_code(session: Session, kind: str, code: str | None,
                       org_id: str | None = None) -> str | None:
    if code is None:
        return None
    if kind != "unit":
        raise ValidationFailed("只有用人单位有统一社会信用代码",
                               {"credit_code": "只有用人单位可填写统一社会信用代码"})
    code = normalise_credit_code(code)
    problem = credit_code_problem(code)
    if problem:
        raise ValidationFailed(problem, {"credit_code": problem})
    holder = session.scalar(select(Org.id).where(Org.credit_code == code))
    if holder is not None and holder != org_id:
        raise Conflict("该统一社会信用代码已被其他单位使用",
                       {"credit_code": "该统一社会信用代码已被其他单位使用"})
    return code


def register_org(db: Database, outbox: Outbox, *, name: str, kind: str,
                 parent_id: str | None = None, org_id: str | None = None,
                 district_id: str | None = None, credit_code: str | None = None,
                 association_code: str | None = None) -> Org:
    if kind not in ORG_KINDS:
        raise ValidationFailed("机构类型不正确", {"kind": "取值不在允许范围内"})
    name = _check_name(name)
    with db.transaction() as session:
        if org_id is not None and session.get(Org, org_id) is not None:
            raise Conflict("机构编号已存在", {"id": "机构编号已存在"})
        _check_placement(session, kind, parent_id, district_id)
        code = _check_credit_code(session, kind, credit_code)
        association = None
        if kind == "unit":
            association = association_code or new_association_code(session)
        org = Org(id=org_id or str(uuid.uuid4()), kind=kind, name=name, parent_id=parent_id,
                  district_id=district_id, credit_code=code, association_code=association,
                  created_at=utcnow())
        session.add(org)
        outbox.add(session, "orgs.org.registered", org.id, org_payload(org))
        audit.record(session, "org.created", "org", org.id, after=org_payload(org))
    return org


def create_org(db: Database, outbox: Outbox, claims: Claims, data: dict) -> Org:
    require_admin(claims)
    return register_org(db, outbox, name=data["name"], kind=data["kind"],
                        parent_id=data.get("parent_id"), district_id=data.get("district_id"),
                        credit_code=data.get("credit_code"))


def update_org(db: Database, outbox: Outbox, claims: Claims, org_id: str, changes: dict) -> Org:
    """Rename or move an organisation (its kind never changes)."""
    require_admin(claims)
    with db.transaction() as session:
        org = session.get(Org, org_id)
        if org is None:
            raise NotFound("机构不存在")
        before = org_payload(org)
        name = _check_name(changes["name"]) if "name" in changes else org.name
        parent_id = changes["parent_id"] if "parent_id" in changes else org.parent_id
        district_id = changes["district_id"] if "district_id" in changes else org.district_id
        _check_placement(session, org.kind, parent_id, district_id, org.id)
        if "credit_code" in changes:
            org.credit_code = _check_credit_code(session, org.kind, changes["credit_code"],
                                                 org.id)
        org.name, org.parent_id, org.district_id = name, parent_id, district_id
        org.updated_at = utcnow()
        outbox.add(session, "orgs.org.updated", org.id, org_payload(org))
        audit.record(session, "org.updated", "org", org.id, claims=claims, before=before,
                     after=org_payload(org))
    return org


def get_org(db: Database, org_id: str) -> Org:
    with db.reading() as session:
        org = session.get(Org, org_id)
    if org is None:
        raise NotFound("机构不存在")
    return org


def list_orgs(db: Database, claims: Claims, kind: str | None, page: int, per_page: int,
              parent_id: str | None = None, name: str | None = None):
    if claims.kind != "staff":
        raise Forbidden("仅工作人员可查看机构列表")
    with db.reading() as session:
        query = select(Org).order_by(Org.name, Org.id)
        if kind:
            query = query.where(Org.kind == kind)
        if parent_id:
            query = query.where(Org.parent_id == parent_id)
        if name:
            query = query.where(Org.name.contains(name.strip()))
        return paginate(session, query, page, per_page)
