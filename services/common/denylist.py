"""Each service's own copy of identity's denylist: access tokens ended before their expiry
(logout, a revoked refresh family, a closed or rebound account), checked in the service's
own database, so verifying a token asks nobody over the network.

identity writes `identity.tokens.revoked {tokens: [{jti, exp}]}` to its outbox in the same
transaction that revokes them and marks it AT_ONCE to every other service
(services/common/internal.py): each has applied it to its `token_denylist` table before
identity answers the logout, so the token is refused everywhere the moment the holder sees
"logged out". The consumer is the ordinary idempotent one (envelope id in
`processed_messages`); the bus delivery that follows is a no-op.

When the at-once call to a service fails (it was down, restarting or failing), identity still
answers (the revocation is committed) and the durable queue carries the event to that service
(the quorum queue keeps it while the service is down). A service that was down served nobody
meanwhile; in the stack its web processes and its bus worker start independently, so a web
process that comes back before the worker has drained the queue may accept a revoked token
until the worker applies the event (it consumes in order, within milliseconds of starting).
That window exists only when the at-once call failed, and is bounded by the token's own
lifetime (RENCAI_ACCESS_TOKEN_SECONDS): identity logs every at-once delivery that failed.

Rows are purged when the token would have expired anyway, whenever new ones arrive (the table
holds only the tokens revoked within the last access-token lifetime, a handful of rows).
"""
from __future__ import annotations

import time

from sqlalchemy import Column, Integer, MetaData, String, Table, bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .db import Database

TOKENS_REVOKED = "identity.tokens.revoked"


def denylist_table(metadata: MetaData) -> Table:
    """`token_denylist` in a service's metadata (and so its Alembic migrations)."""
    return Table(
        "token_denylist", metadata,
        Column("jti", String(64), primary_key=True),
        # Seconds since the epoch, as in the token's own `exp` claim.
        Column("exp", Integer, nullable=False, index=True),
    )


def record_revoked(table: Table):
    """The consumer of identity.tokens.revoked for a service whose denylist is `table`."""

    def on_tokens_revoked(session: Session, envelope: dict) -> None:
        now = int(time.time())
        rows = [{"jti": entry["jti"], "exp": int(entry["exp"])}
                for entry in envelope["data"]["tokens"] if int(entry["exp"]) > now]
        session.execute(delete(table).where(table.c.exp <= now))
        if rows:
            dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
            session.execute(dialect.insert(table).values(rows)
                            .on_conflict_do_nothing(index_elements=["jti"]))

    return on_tokens_revoked


class Denylist:
    """`is_revoked(jti)` for a service's TokenVerifier: one lookup by primary key in the
    service's own database, no transaction (autocommit, as Database.reading). Every request
    of every service makes it: Core on a pooled connection with a statement built once (an
    ORM session around the lookup, and building the statement per call, cost twice the CPU
    of the lookup itself)."""

    def __init__(self, db: Database, table: Table):
        self._engine = db.engine.execution_options(isolation_level="AUTOCOMMIT")
        self._lookup = select(table.c.jti).where(table.c.jti == bindparam("jti"))

    def __call__(self, jti: str) -> bool:
        with self._engine.connect() as connection:
            return connection.execute(self._lookup, {"jti": jti}).first() is not None
