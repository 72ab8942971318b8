"""Who may see and change what. Decided from the caller's claims plus orgs' own data.

  admin (staff, role admin)          every organisation, every unit and employee
  unit account (role unit, org = U)  unit U: its profile, requests and employees; may change
  supervisor (role supervisor, org)  the units whose parent is that org: read only
  person                             only their own affiliation

Anything a caller may not see answers 404, as if it did not exist (no probing of ids).
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from services.common.auth import Claims, is_admin
from services.common.errors import Forbidden, NotFound

from ..model import Org


def require_admin(claims: Claims) -> None:
    if not is_admin(claims):
        raise Forbidden("仅管理员可维护机构")


def require_person(claims: Claims) -> None:
    if claims.kind != "person":
        raise Forbidden("仅个人账号可办理单位关联")


def acts_for_unit(claims: Claims, unit: Org) -> bool:
    return claims.org == unit.id and claims.has_role("unit")


def supervises(claims: Claims, unit: Org) -> bool:
    return (claims.kind == "staff" and claims.has_role("supervisor")
            and unit.parent_id is not None and claims.org == unit.parent_id)


def visible_unit(session: Session, claims: Claims, unit_id: str) -> Org:
    """The unit if the caller may see it (itself, its supervising body, admins), else 404."""
    unit = session.get(Org, unit_id)
    if unit is None or unit.kind != "unit":
        raise NotFound("单位不存在")
    if not (is_admin(claims) or acts_for_unit(claims, unit) or supervises(claims, unit)):
        raise NotFound("单位不存在")
    return unit


def changeable_unit(session: Session, claims: Claims, unit_id: str) -> Org:
    """The unit if the caller may change it (the unit itself, admins); a supervising body
    may look but not change (403); anyone else gets 404."""
    unit = visible_unit(session, claims, unit_id)
    if not (is_admin(claims) or acts_for_unit(claims, unit)):
        raise Forbidden("归口单位只能查看，不能修改单位的信息和人员")
    return unit
