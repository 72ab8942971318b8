"""The transactional outbox: a use case's events are checked against their contracts and
written in its own transaction (one INSERT per transaction, at commit), and the relay of that
database is woken when the transaction commits."""
from __future__ import annotations

import contextvars
import json
import threading
import uuid
import weakref
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import (Column, Index, Integer, MetaData, String, Table, Text, bindparam, cast,
                        event, func, insert, select, text)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from .. import contracts
from ..db import UtcDateTime, after_commit, utcnow
from ..denylist import denylist_table

# The trace id of whatever is being handled (an HTTP request or a consumed envelope).
trace_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("trace_id", default=None)

# The relay publishes right after a commit, not on a poll: a transaction that adds events
# sends `NOTIFY rencai_outbox` (PostgreSQL delivers it at commit, to the service's bus worker
# process listening on its database), and in one process (embedded) sets the relay's event
# after the commit. A slow poll (relay.SAFETY_POLL seconds) still catches anything missed.
NOTIFY_CHANNEL = "rencai_outbox"
_RELAY_WAKE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # engine -> Event
_NOTIFIED = "rencai.outbox_notified"


def relay_wake(engine) -> threading.Event:
    """The event a relay of this process waits on for `engine`'s commits (embedded)."""
    return _RELAY_WAKE.setdefault(engine, threading.Event())


@dataclass(frozen=True)
class BusTables:
    outbox: Table
    processed: Table
    # The service's copy of identity's denylist (services/common/denylist.py), if it keeps one.
    denylist: Table | None = None


def bus_tables(metadata: MetaData, denylist: bool = False) -> BusTables:
    """Adds `outbox` and `processed_messages` to a service's metadata (and so its migrations);
    `denylist`: also `token_denylist`, which the kit's verifier then checks."""
    outbox = Table(
        "outbox", metadata,
        Column("seq", Integer, primary_key=True, autoincrement=True),
        Column("id", String(36), nullable=False, unique=True),
        Column("type", String(120), nullable=False),
        Column("envelope", Text, nullable=False),
        Column("created_at", UtcDateTime, nullable=False, default=utcnow),
        Column("sent_at", UtcDateTime, nullable=True),
        # The relay's round (unsent rows in order) is a range of this index, whose entries
        # leave it when a row is marked sent. An index on sent_at kept every row, and each
        # row's first version (sent_at NULL) until a vacuum: the round read them all and
        # sorted what was left (migrations "outbox index of unsent rows").
        Index("ix_outbox_unsent", "seq", postgresql_where=text("sent_at IS NULL"),
              sqlite_where=text("sent_at IS NULL")),
    )
    processed = Table(
        "processed_messages", metadata,
        Column("id", String(36), primary_key=True),
        Column("type", String(120), nullable=False),
        Column("processed_at", UtcDateTime, nullable=False, default=utcnow),
    )
    return BusTables(outbox, processed, denylist_table(metadata) if denylist else None)


def make_envelope(type_: str, producer: str, subject: str, data: dict) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "type": type_,
        "occurred_at": utcnow().isoformat(),
        "producer": producer,
        "subject": subject,
        "data": data,
        "trace_id": trace_id_var.get() or str(uuid.uuid4()),
    }


class Outbox:
    """Where a service's use cases put the events they raise (same transaction as the data).

    Every payload is checked against its contract (services/common/contracts.py): by default
    the producer's `events.PUBLISHES`. `internal`, when the service's kit sets it, hands the
    producer's AT_ONCE events to their consumers right after the commit."""

    def __init__(self, table: Table, producer: str, contracts: dict | None = None,
                 internal=None):
        self.table = table
        self.producer = producer
        self._contracts = contracts
        self.internal = internal

    @property
    def contracts(self) -> dict:
        if self._contracts is None:
            self._contracts = contracts.published_by(self.producer)
        return self._contracts

    def add(self, session: Session, type_: str, subject: str, data: dict) -> dict:
        if not type_.startswith(self.producer + "."):
            raise ValueError(f"{self.producer} cannot publish {type_}")
        contracts.check(self.contracts, type_, data)
        envelope = make_envelope(type_, self.producer, subject, data)
        # Written at commit, all of a transaction's events in one INSERT (_write_pending).
        session.info.setdefault(_PENDING, {}).setdefault(self.table, []).append(
            {"id": envelope["id"], "type": type_,
             "envelope": json.dumps(envelope, ensure_ascii=False), "created_at": utcnow()})
        _wake_relay(session)
        targets = contracts.at_once(self.producer).get(type_) if self.internal else None
        if targets:
            internal = self.internal
            after_commit(session, lambda: internal.deliver(envelope, targets))
        return envelope


def _wake_relay(session: Session) -> None:
    """Once per transaction: wake this database's relay when the transaction commits."""
    transaction = session.get_transaction()
    if session.info.get(_NOTIFIED) is transaction:
        return
    session.info[_NOTIFIED] = transaction
    wake = _RELAY_WAKE.get(session.get_bind())
    if wake is not None:  # a relay of this process waits on this database (embedded)
        after_commit(session, wake.set)


_PENDING = "rencai.outbox.pending"  # session.info: {outbox table: [rows]} until the commit


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    """A transaction's events, one INSERT per outbox, then the relay's wake-up. Registered
    before the audit log's listener (services.common.audit imports this module), so the
    chain's lock is still taken last. Both shapes are fixed whatever the number of events,
    so SQLAlchemy compiles them once (it never caches a multi-row VALUES statement)."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    if session.get_bind().dialect.name == "postgresql":
        tables = tuple(pending)
        session.execute(_notify_insert(tables), _column_arrays(tables, pending))
        return
    for table, rows in pending.items():
        session.execute(insert(table), rows)  # executemany of one single-row INSERT


_OUTBOX_COLUMNS = ("id", "type", "envelope", "created_at")


@lru_cache(maxsize=16)
def _notify_insert(tables: tuple[Table, ...]):
    """PostgreSQL, one statement: each outbox's rows as one INSERT … SELECT unnest(arrays), a
    data-modifying WITH (run whether or not read) of the relay's wake-up, which PostgreSQL
    delivers at commit."""
    wake = select(func.pg_notify(NOTIFY_CHANNEL, ""))
    for n, table in enumerate(tables):
        arrays = [cast(bindparam(f"{name}_{n}"), ARRAY(table.c[name].type))
                  for name in _OUTBOX_COLUMNS]
        rows = select(func.unnest(*arrays).table_valued(*_OUTBOX_COLUMNS)
                      .render_derived(f"rows_{n}"))
        columns = [table.c[name] for name in _OUTBOX_COLUMNS]
        wake = wake.add_cte(insert(table).from_select(columns, rows).cte(f"events_{n}"))
    return wake


def _column_arrays(tables: tuple[Table, ...], pending: dict) -> dict:
    return {f"{name}_{n}": [row[name] for row in pending[table]]
            for n, table in enumerate(tables) for name in _OUTBOX_COLUMNS}


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, _transaction) -> None:
    session.info.pop(_PENDING, None)
