"""The relay: publishes a service's committed outbox rows, in order, with publisher confirms,
and marks them sent."""
from __future__ import annotations

import json
import threading

from kombu import Connection
from sqlalchemy import Table, select, update

from ..db import Database, utcnow
from .broker import EVENTS_EXCHANGE
from .outbox import NOTIFY_CHANNEL, relay_wake

SAFETY_POLL = 5.0  # seconds: a missed wake-up is caught this late at worst


class OutboxRelay:
    """Publishes committed outbox rows in order and marks them sent."""

    def __init__(self, db: Database, outbox: Table):
        self.db = db
        self.outbox = outbox
        self.wake = relay_wake(db.engine)

    def wait_for_work(self, stop: threading.Event, timeout: float = SAFETY_POLL) -> None:
        """Returns when events were committed (or after `timeout`, or on stop). In PostgreSQL
        it listens on its own connection; in one process it waits for the event."""
        if self.db.engine.dialect.name != "postgresql":
            self.wake.wait(timeout)
            self.wake.clear()
            return
        listener = getattr(self, "_listener", None)
        if listener is None or listener.closed:
            import psycopg

            url = self.db.engine.url.set(drivername="postgresql")
            listener = psycopg.connect(url.render_as_string(hide_password=False),
                                       autocommit=True)
            listener.execute(f"LISTEN {NOTIFY_CHANNEL}")
            self._listener = listener
            return  # listening from now on: relay once for what committed before
        for _ in listener.notifies(timeout=timeout, stop_after=1):
            pass

    def close(self) -> None:
        listener = getattr(self, "_listener", None)
        if listener is not None:
            listener.close()

    def run_once(self, connection: Connection, limit: int = 200) -> int:
        table = self.outbox
        with self.db.transaction() as session:
            rows = session.execute(
                select(table.c.seq, table.c.type, table.c.envelope)
                .where(table.c.sent_at.is_(None)).order_by(table.c.seq).limit(limit)
                .with_for_update(skip_locked=True)).all()
            if not rows:
                return 0
            producer = connection.Producer(exchange=EVENTS_EXCHANGE, serializer="json")
            for row in rows:
                envelope = json.loads(row.envelope)
                producer.publish(envelope, routing_key=row.type, delivery_mode=2,
                                 message_id=envelope["id"], declare=[EVENTS_EXCHANGE],
                                 retry=True, retry_policy={"max_retries": 3})
            session.execute(update(table).where(table.c.seq.in_([r.seq for r in rows]))
                            .values(sent_at=utcnow()))
        return len(rows)
