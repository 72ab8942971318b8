"""What every identity use case is given (database, outbox, settings, sender, caller's IP),
and the audit log every sign-in, failure, lockout, rebind and appeal is written to."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from flask import g, has_request_context
from sqlalchemy.orm import Session

from services.common import audit as audit_log
from services.common.bus import Outbox
from services.common.config import Settings
from services.common.db import Database

from ..config import IdentityConfig


@dataclass
class Ctx:
    db: Database
    outbox: Outbox
    settings: Settings
    config: IdentityConfig = field(default_factory=IdentityConfig)
    sender: object = None  # an SmsSender
    # Compares name + ID number with an authoritative source (公安 citizen data): set by
    # create_app from RENCAI_NAME_CHECK_URL (verification.make_name_check; GB 11643 alone
    # only in development). This default, for contexts that never check a name (the bus
    # consumers), refuses rather than passes.
    name_matches: Callable[[str, str], bool] = lambda _name, _id_number: False
    ip: str = "unknown"
    # Side effects leaving the system from a bus consumer (services/common/effects.py).
    effects: object = None


def audit(session: Session, ctx: Ctx, action: str, account_id: str | None = None,
          actor_id: str | None = None, **detail) -> None:
    """One entry of the kit's audit log about the account `account_id` (its subject), done
    by `actor_id` (default: the account itself; nobody known: anonymous)."""
    actor = actor_id or account_id
    claims = g.get("claims") if has_request_context() else None
    audit_log.record(session, action, "account" if account_id else None, account_id,
                     subject_id=account_id,
                     claims=claims if claims is not None and claims.sub == actor else None,
                     actor_id=actor, actor_kind=None if actor else "anonymous", ip=ctx.ip,
                     detail=detail)
