"""What every identity use case is given (database, outbox, settings, sender, caller's IP),
and the audit log every sign-in, failure, lockout, rebind and appeal is written to."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy.orm import Session

from services.common.bus import Outbox
from services.common.config import Settings
from services.common.db import Database, utcnow

from ..config import IdentityConfig
from ..model import AuditEvent


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


def audit(session: Session, ctx: Ctx, action: str, account_id: str | None = None,
          actor_id: str | None = None, **detail) -> None:
    session.add(AuditEvent(id=str(uuid.uuid4()), at=utcnow(), action=action,
                           account_id=account_id, actor_id=actor_id or account_id,
                           ip=ctx.ip, detail=detail))
