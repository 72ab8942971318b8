"""Side effects that leave the system (an SMS, an HTTP call) made from a transaction — most of
all from a bus consumer's — without being part of it.

The handler records the intent (`Effects.add`) in its own transaction; once that commits the
effect is performed (`run`), each in a short transaction of its own that marks it done. So:
- a failed send never rolls back the state change (it is committed already); the effect stays
  pending and the service's bus worker retries it (`run_pending`, with a bounded number of
  attempts and backoff);
- a redelivered envelope never sends twice: the consumer's processed mark makes the second
  delivery a no-op, so no second intent is ever recorded, and a done effect is never redone;
- a rolled-back transaction sends nothing (the intent was never written).
The payload is stored encrypted (it may hold a phone number).
"""
from __future__ import annotations

import json
import logging
import uuid
from datetime import timedelta
from typing import Callable

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, insert, select, update
from sqlalchemy.orm import Session

from .db import Database, UtcDateTime, after_commit, utcnow
from .pii import EncryptedString

log = logging.getLogger("rencai.effects")

Performer = Callable[[Session, dict], None]


def effects_table(metadata: MetaData) -> Table:
    return Table(
        "pending_effect", metadata,
        Column("id", String(36), primary_key=True),
        Column("kind", String(40), nullable=False),
        Column("payload", EncryptedString(4000), nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("due_at", UtcDateTime, nullable=False, index=True),
        Column("done_at", UtcDateTime, nullable=True, index=True),
        Column("attempts", Integer, nullable=False, default=0),
        Column("last_error", Text, nullable=True),
    )


class Effects:
    def __init__(self, db: Database, table: Table, performers: dict[str, Performer],
                 max_attempts: int = 8, backoff_seconds: float = 5.0):
        self.db = db
        self.table = table
        self.performers = performers
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds

    def add(self, session: Session, kind: str, payload: dict) -> str:
        """Records the intent in `session`'s transaction; performed after it commits."""
        if kind not in self.performers:
            raise ValueError(f"no performer for effect {kind}")
        effect_id = str(uuid.uuid4())
        now = utcnow()
        session.execute(insert(self.table).values(
            id=effect_id, kind=kind, payload=json.dumps(payload, ensure_ascii=False),
            created_at=now, due_at=now, attempts=0))
        after_commit(session, lambda: self.run(effect_id))
        return effect_id

    def run(self, effect_id: str) -> bool:
        """Performs one pending effect; True when it is done. Never raises."""
        table = self.table
        try:
            with self.db.transaction() as session:
                row = session.execute(
                    select(table.c.kind, table.c.payload).where(
                        table.c.id == effect_id, table.c.done_at.is_(None),
                        table.c.attempts < self.max_attempts)
                    .with_for_update(skip_locked=True)).first()
                if row is None:
                    return False  # done already, given up, or another worker holds it
                self.performers[row.kind](session, json.loads(row.payload))
                session.execute(update(table).where(table.c.id == effect_id)
                                .values(done_at=utcnow()))
            return True
        except Exception as error:  # noqa: BLE001 - recorded and retried later
            log.warning("effect %s failed: %s", effect_id, error)
            with self.db.transaction() as session:
                attempts = session.scalar(select(table.c.attempts)
                                          .where(table.c.id == effect_id)) or 0
                session.execute(update(table).where(table.c.id == effect_id).values(
                    attempts=attempts + 1, last_error=f"{type(error).__name__}: {error}"[:1000],
                    due_at=utcnow() + timedelta(seconds=self.backoff_seconds * 2 ** attempts)))
            return False

    def run_pending(self, limit: int = 50) -> int:
        """Retries what is due (the bus worker's rounds); how many were done."""
        table = self.table
        with self.db.reading() as session:
            due = session.scalars(select(table.c.id).where(
                table.c.done_at.is_(None), table.c.attempts < self.max_attempts,
                table.c.due_at <= utcnow()).order_by(table.c.created_at).limit(limit)).all()
        return sum(self.run(effect_id) for effect_id in due)
