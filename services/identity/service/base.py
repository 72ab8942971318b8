"""What identity's use cases share: the audit log every sign-in, failure, lockout, rebind and
appeal is written to, and the names of the collaborators create_app hands them.

A use case takes what it uses, in the order every service uses: the database, the outbox,
identity's own runtime pieces (settings, config, the SMS sender, the name check, effects, the
caller's IP), the caller's claims, then the request's values. Each use case checks who is
asking itself (require_admin here, kinds and ownership in each); the API only signs in."""
from __future__ import annotations

from typing import Callable, Protocol

from flask import g, has_request_context
from sqlalchemy.orm import Session

from services.common import audit as audit_log
from services.common.auth import Claims, is_admin
from services.common.errors import Forbidden

# Compares name + ID number with an authoritative source (公安 citizen data): made by
# create_app from RENCAI_NAME_CHECK_URL (verification.make_name_check; GB 11643 alone only
# in development).
NameCheck = Callable[[str, str], bool]


class SmsSender(Protocol):
    """Sends a text inside the caller's transaction (verification.make_sender)."""

    def send(self, session: Session, phone: str, text: str) -> None: ...


def require_admin(claims: Claims) -> None:
    """What only a platform administrator may do (staff accounts, appeals, keys)."""
    if not is_admin(claims):
        raise Forbidden("仅管理员可以进行此操作")


def audit(session: Session, action: str, account_id: str | None = None,
          actor_id: str | None = None, **detail) -> None:
    """One entry of the kit's audit log about the account `account_id` (its subject), done
    by `actor_id` (default: the account itself; nobody known: anonymous). The kit records
    the request's id and the caller's IP (as the gateway forwarded it)."""
    actor = actor_id or account_id
    claims = g.get("claims") if has_request_context() else None
    audit_log.record(session, action, "account" if account_id else None, account_id,
                     subject_id=account_id,
                     claims=claims if claims is not None and claims.sub == actor else None,
                     actor_id=actor, actor_kind=None if actor else "anonymous",
                     detail=detail)
