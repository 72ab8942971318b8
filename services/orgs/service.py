"""orgs' use cases: the hierarchy and affiliations. Every change goes out on the bus so the
workflow service can route tasks without asking orgs."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from services.common.auth import Claims
from services.common.bus import Outbox
from services.common.db import Database, paginate, utcnow
from services.common.errors import Forbidden, NotFound, ValidationFailed

from .model import ORG_KINDS, Affiliation, Org


def org_payload(org: Org) -> dict:
    return {"org_id": org.id, "kind": org.kind, "name": org.name, "parent_id": org.parent_id}


def register_org(db: Database, outbox: Outbox, *, name: str, kind: str,
                 parent_id: str | None = None, org_id: str | None = None) -> Org:
    if kind not in ORG_KINDS:
        raise ValidationFailed("机构类型不正确", {"kind": "取值不在允许范围内"})
    with db.transaction() as session:
        if parent_id is not None and session.get(Org, parent_id) is None:
            raise ValidationFailed("上级机构不存在", {"parent_id": "上级机构不存在"})
        org = Org(id=org_id or str(uuid.uuid4()), kind=kind, name=name, parent_id=parent_id,
                  created_at=utcnow())
        session.add(org)
        outbox.add(session, "orgs.org.registered", org.id, org_payload(org))
    return org


def get_org(db: Database, org_id: str) -> Org:
    with db.reading() as session:
        org = session.get(Org, org_id)
    if org is None:
        raise NotFound("机构不存在")
    return org


def list_orgs(db: Database, claims: Claims, kind: str | None, page: int, per_page: int):
    if claims.kind != "staff":
        raise Forbidden("仅工作人员可查看机构列表")
    with db.reading() as session:
        query = select(Org).order_by(Org.name, Org.id)
        if kind:
            query = query.where(Org.kind == kind)
        return paginate(session, query, page, per_page)


def approve_affiliation_directly(db: Database, outbox: Outbox, *, person_id: str,
                                 person_name: str, unit_id: str) -> Affiliation:
    """Records an approved affiliation (demo data; the request-and-review flow is its own
    business)."""
    with db.transaction() as session:
        unit = session.get(Org, unit_id)
        if unit is None or unit.kind != "unit":
            raise ValidationFailed("单位不存在", {"unit_id": "单位不存在"})
        affiliation = Affiliation(id=str(uuid.uuid4()), person_id=person_id,
                                  person_name=person_name, unit_id=unit_id, status="approved",
                                  requested_at=utcnow(), decided_at=utcnow())
        session.add(affiliation)
        outbox.add(session, "orgs.affiliation.approved", affiliation.id,
                   {"affiliation_id": affiliation.id, "person_id": person_id, "unit_id": unit_id})
    return affiliation


def my_affiliation(db: Database, claims: Claims) -> dict:
    if claims.kind != "person":
        raise Forbidden("仅个人账号可查看本人关联单位")
    with db.reading() as session:
        row = session.execute(select(Affiliation, Org).join(Org, Org.id == Affiliation.unit_id)
                              .where(Affiliation.person_id == claims.sub,
                                     Affiliation.status == "approved")).first()
    if row is None:
        raise NotFound("您未关联单位，请点击进行关联")
    affiliation, unit = row
    return {"unit_id": unit.id, "unit_name": unit.name, "status": affiliation.status,
            "decided_at": affiliation.decided_at}


def unit_employees(db: Database, claims: Claims, unit_id: str, page: int, per_page: int):
    """A unit sees its own employees; its supervising body sees those of its units."""
    with db.reading() as session:
        unit = session.get(Org, unit_id)
        if unit is None or unit.kind != "unit":
            raise NotFound("单位不存在")
        acting_for_unit = claims.org == unit.id and claims.has_role("unit")
        supervising = claims.org == unit.parent_id and claims.has_role("supervisor")
        if not (acting_for_unit or supervising):
            raise NotFound("单位不存在")
        return paginate(session, select(Affiliation)
                        .where(Affiliation.unit_id == unit_id, Affiliation.status == "approved")
                        .order_by(Affiliation.decided_at.desc(), Affiliation.id), page, per_page)
