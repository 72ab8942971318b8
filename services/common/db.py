"""One database per service: engine, sessions and the transaction boundary of a use case."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Iterator

from sqlalchemy import DateTime, Select, create_engine, event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.types import TypeDecorator


# Tables a service may only append to and read: in PostgreSQL its role is granted INSERT and
# SELECT on them, never UPDATE, DELETE or TRUNCATE (services.common.migrate grants after every
# migration). Besides these names, every table whose name ends in "audit".
INSERT_ONLY_TABLES = frozenset({"audit_log"})


def is_insert_only(table: str) -> bool:
    return table in INSERT_ONLY_TABLES or table.endswith("audit")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UtcDateTime(TypeDecorator):
    """Timestamps stored as UTC and always returned timezone-aware (SQLite forgets zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(timezone.utc) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value


def paginate(session: Session, query: Select, page: int, per_page: int) -> dict:
    """One page of an ordered query: {items, total, page, per_page}. Items are entities
    when the query selects one, rows (tuples) when it selects several."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    result = session.execute(query.offset((page - 1) * per_page).limit(per_page))
    items = result.scalars().all() if len(query.column_descriptions) == 1 else result.all()
    return {"items": items, "total": total, "page": page, "per_page": per_page}


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            # WAL lets the bus threads read while a request writes; foreign keys are off
            # by default in SQLite.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


AFTER_COMMIT = "rencai.after_commit"


def after_commit(session: Session, action) -> None:
    """Runs `action()` after this session's transaction commits (e.g. a call that leaves
    the system); dropped if it rolls back. `action` must not raise."""
    session.info.setdefault(AFTER_COMMIT, []).append(action)


class Database:
    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One use case, one transaction: commit on success, roll back on any error. What
        was registered with `after_commit` runs once the commit succeeded (never on a
        rollback), outside the transaction."""
        with self._sessions() as session:
            with session.begin():
                yield session
            for action in session.info.pop(AFTER_COMMIT, []):
                action()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self._sessions() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
