"""工作人员列表 (admins): every staff account with its roles, the phone masked and whether its
authenticator is enrolled, so the console's reset needs no id typed by hand. Kept apart from
accounts.py: it reads only the account table."""
from __future__ import annotations

from sqlalchemy import or_, select

from services.common.auth import Claims
from services.common.db import Database, paginate
from services.common.pii import mask

from ..model import Account
from .base import require_admin


def list_staff(db: Database, claims: Claims, query: str | None, role: str | None, page: int,
               per_page: int) -> dict:
    """A page of staff accounts by username; `query` matches username or name (contains),
    `role` one of the roles held. Closed accounts are left out. Admins only."""
    require_admin(claims)
    statement = select(Account).where(Account.kind == "staff", Account.closed_at.is_(None)) \
        .order_by(Account.username)
    if query:
        like = f"%{query}%"
        statement = statement.where(or_(Account.username.ilike(like),
                                         Account.display_name.ilike(like)))
    with db.reading() as session:
        if role:  # roles is a JSON list: filtered here, the staff table is small
            rows = [a for a in session.scalars(statement) if role in (a.roles or [])]
            result = {"items": rows[(page - 1) * per_page:page * per_page], "total": len(rows),
                      "page": page, "per_page": per_page}
        else:
            result = paginate(session, statement, page, per_page)
        result["items"] = [{
            "id": a.id, "username": a.username, "display_name": a.display_name,
            "org_id": a.org_id, "roles": list(a.roles or []), "phone": mask(a.phone),
            # enrolled: proved with a first code; pending: a secret shown, not yet confirmed
            "totp": "enrolled" if a.totp_confirmed_at else ("pending" if a.totp_secret
                                                            else "none"),
            "created_at": a.created_at} for a in result["items"]]
    return result
