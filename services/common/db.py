"""One database per service: engine, sessions and the transaction boundary of a use case."""
from __future__ import annotations

import os
import weakref
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Iterator

from sqlalchemy import DateTime, Select, create_engine, event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from .config import ProcessSettings


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


def _count_statements(engine: Engine, directory: str) -> None:
    """`make bench`'s statement counter (RENCAI_SQL_COUNT_DIR): one byte appended per
    statement to <directory>/<database>.<pid>, so the bench reads counts as file sizes from
    outside the process. pg_stat_statements needs shared_preload_libraries, which a shared
    PostgreSQL may not have."""
    base = os.path.join(directory, (engine.url.database or "db").rsplit("/", 1)[-1])
    opened: dict[int, int] = {}

    def _count(connection, *_args):
        if not _args and autocommitting(connection):
            return  # BEGIN/COMMIT/ROLLBACK of an autocommit connection send nothing
        pid = os.getpid()  # a fork (gunicorn --preload) counts into its own file
        if pid not in opened:
            opened[pid] = os.open(f"{base}.{pid}",
                                  os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.write(opened[pid], b".")

    # BEGIN, COMMIT and ROLLBACK are round trips too (psycopg sends each on its own).
    for name in ("before_cursor_execute", "begin", "commit", "rollback"):
        event.listen(engine, name, _count)


def autocommitting(connection) -> bool:
    """Whether the connection runs each statement on its own (Database.reading): then
    SQLAlchemy's begin/commit/rollback events reach no server."""
    return connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT"


# Every engine of this process. gunicorn --preload builds the apps (and may connect, e.g. to
# deploy the BPMN directory) before it forks its workers: a forked worker must never use a
# pooled connection of its parent, so each child forgets them (without closing the parent's).
_ENGINES: "weakref.WeakSet[Engine]" = weakref.WeakSet()


def _forget_parent_connections() -> None:
    for engine in list(_ENGINES):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_parent_connections)


def make_engine(url: str) -> Engine:
    engine = _make_engine(url)
    _ENGINES.add(engine)
    if directory := ProcessSettings.from_env().sql_count_dir:
        _count_statements(engine, directory)
    return engine


def _make_engine(url: str) -> Engine:
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
    # No pre-ping (a round trip on every checkout, 2 per approval step): a connection the
    # server dropped fails one statement, SQLAlchemy then invalidates the whole pool; recycling
    # before typical idle timeouts keeps that rare.
    return create_engine(url, pool_size=5, max_overflow=10, pool_recycle=1800)


AFTER_COMMIT = "rencai.after_commit"


def after_commit(session: Session, action) -> None:
    """Runs `action()` after this session's transaction commits (e.g. a call that leaves
    the system); dropped if it rolls back. `action` must not raise."""
    session.info.setdefault(AFTER_COMMIT, []).append(action)


def _keep_loaded(session: Session, instance) -> None:
    """The session's identity map holds objects weakly: a row a helper loaded and dropped
    (the definition, the unit's org entry) was loaded again by the next helper of the same
    use case. Held for the session's life, `session.get` finds it without a round trip."""
    session.info.setdefault("rencai.loaded", []).append(instance)


class Database:
    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        event.listen(self._sessions, "loaded_as_persistent", _keep_loaded)
        # A read needs no transaction of its own: PostgreSQL's READ COMMITTED (and SQLite in
        # WAL) give each statement its own snapshot anyway, so BEGIN and ROLLBACK were two
        # round trips for nothing (an inbox page: 4 -> 2). Nothing flushes there: an object
        # changed for display is never written.
        self._readers = sessionmaker(self.engine.execution_options(isolation_level="AUTOCOMMIT"),
                                     expire_on_commit=False, autoflush=False)
        event.listen(self._readers, "loaded_as_persistent", _keep_loaded)

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
        """A use case that only reads: each statement commits on its own, nothing is
        flushed (see __init__)."""
        with self._readers() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
