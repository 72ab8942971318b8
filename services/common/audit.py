"""The one audit log of every service: who (account, kind, roles) did what (action) to which
object (type + id), about whose data (subject), when, in which request, from where, why
(reason, for exports) and what changed (before / after).

Each service adds the tables to its metadata (`audit_tables(Base.metadata)`, so its
migration creates them) and records in the transaction of the use case:

    audit.record(session, "employee.viewed", "employee", employee.id, subject_id=person_id)

Entries form a hash chain: `hash = sha256(prev_hash + canonical(entry))`, so changing,
removing or inserting an entry shows in `verify()`. `audit_chain` holds the head (last seq
and hash): entries are chained when their transaction commits, under a lock of that row, so
concurrent writers (gunicorn workers, bus threads) append one after another and the chain
never forks; a removed tail shows as a head that no entry matches. The service's database role may only INSERT into `audit_log` (UPDATE on
`audit_chain`); nothing here updates or deletes an entry.

Nothing personal goes in plain: ID and phone numbers in before / after / detail are masked.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache

from flask import g, has_request_context, request
from flask_smorest import Blueprint
from marshmallow import fields, validate
from sqlalchemy import (JSON, Column, Integer, MetaData, String, Table, and_, bindparam, event,
                        insert, or_, select, update)
from sqlalchemy.orm import Session

from .auth import Claims, current_claims, is_admin, login_required
from .bus import trace_id_var
from .db import Database, UtcDateTime, paginate, utcnow
from .errors import Forbidden
from .pii import mask
from .schemas import PageQuerySchema, Schema, page_of

GENESIS = "0" * 64
CHAIN_ID = 1
# Keys whose values are personal numbers: masked wherever they appear in before/after/detail.
PII_KEYS = {"id_number", "phone", "mobile", "id_card", "idcard", "phone_number", "contact_phone"}


@dataclass
class AuditTables:
    log: Table
    chain: Table


def audit_tables(metadata: MetaData) -> AuditTables:
    """Adds `audit_log` and `audit_chain` to a service's metadata (and so its migrations)."""
    log = Table(
        "audit_log", metadata,
        Column("seq", Integer, primary_key=True, autoincrement=False),
        Column("at", UtcDateTime, nullable=False, index=True),
        Column("actor_id", String(36), nullable=True, index=True),
        Column("actor_kind", String(20), nullable=True),  # person | unit | staff | system
        Column("actor_roles", String(200), nullable=True),
        Column("action", String(60), nullable=False, index=True),
        Column("object_type", String(40), nullable=True),
        Column("object_id", String(64), nullable=True, index=True),
        Column("subject_id", String(36), nullable=True, index=True),  # whose personal data
        Column("request_id", String(64), nullable=True),
        Column("ip", String(64), nullable=True),
        Column("reason", String(500), nullable=True),
        Column("before", JSON, nullable=True),
        Column("after", JSON, nullable=True),
        Column("detail", JSON, nullable=True),
        Column("prev_hash", String(64), nullable=False),
        Column("hash", String(64), nullable=False, unique=True),
    )
    chain = Table(
        "audit_chain", metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("seq", Integer, nullable=False),
        Column("hash", String(64), nullable=False),
    )
    return AuditTables(log, chain)


# Statements are built on tables of our own: every service's tables have the same shape.
_TABLES = audit_tables(MetaData())
LOG, CHAIN = _TABLES.log, _TABLES.chain
_HASHED = ("seq", "at", "actor_id", "actor_kind", "actor_roles", "action", "object_type",
           "object_id", "subject_id", "request_id", "ip", "reason", "before", "after", "detail")


def redact(value):
    """A JSON-safe copy with personal numbers masked (keys in PII_KEYS, at any depth)."""
    if isinstance(value, dict):
        return {str(k): (mask(str(v)) if k in PII_KEYS and v else redact(v))
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def canonical(entry: dict) -> bytes:
    """The bytes an entry's hash covers: its fields as sorted, compact JSON."""
    body = {key: entry.get(key) for key in _HASHED}
    at = body["at"]
    if isinstance(at, datetime):
        body["at"] = at.astimezone(timezone.utc).isoformat(timespec="microseconds")
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=str).encode()


def chain_hash(prev_hash: str, entry: dict) -> str:
    return hashlib.sha256(prev_hash.encode() + canonical(entry)).hexdigest()


def _caller() -> tuple[Claims | None, str | None, str | None]:
    """The verified caller (if the request has one), the request id, the client address."""
    if not has_request_context():
        return None, trace_id_var.get(), None
    forwarded = request.headers.get("X-Forwarded-For", "").split(",")[0].strip()
    return g.get("claims"), g.get("request_id") or trace_id_var.get(), \
        (forwarded or request.remote_addr or None)


def record(session: Session, action: str, object_type: str | None = None,
           object_id: str | None = None, *, subject_id: str | None = None,
           claims: Claims | None = None, actor_id: str | None = None,
           actor_kind: str | None = None, before: dict | None = None,
           after: dict | None = None, reason: str | None = None, detail: dict | None = None,
           ip: str | None = None) -> dict:
    """Appends one entry in the caller's transaction (it commits or rolls back with the use
    case). The actor is `claims`, else `actor_id` / `actor_kind` ("anonymous" for someone
    not signed in), else the request's verified caller, else the system (a bus consumer)."""
    request_claims, request_id, request_ip = _caller()
    if claims is None and ((actor_id is None and actor_kind is None) or
                           (request_claims is not None and actor_id == request_claims.sub)):
        claims = request_claims
    entry = {
        "at": utcnow(),
        "actor_id": claims.sub if claims else actor_id,
        "actor_kind": claims.kind if claims else (actor_kind or (None if actor_id else "system")),
        "actor_roles": ",".join(claims.roles)[:200] if claims and claims.roles else None,
        "action": action, "object_type": object_type,
        "object_id": str(object_id)[:64] if object_id is not None else None,
        "subject_id": subject_id, "request_id": (request_id or None),
        "ip": (ip or request_ip or None) and (ip or request_ip)[:64],
        "reason": reason[:500] if reason else None,
        "before": redact(before) if before is not None else None,
        "after": redact(after) if after is not None else None,
        "detail": redact(detail) if detail else None,
    }
    # Chained at commit (below), after everything else the use case writes: the chain's
    # lock is the last one a transaction takes, so it never waits while holding it.
    session.info.setdefault(_PENDING, []).append(entry)
    return entry


_PENDING = "rencai.audit.pending"


@event.listens_for(Session, "before_commit")
def _chain_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    session.flush()  # the use case's own rows first (their locks before the chain's)
    connection = session.connection()
    # Locks the head row until commit: the next writer waits and then sees these entries.
    # (One round trip: the locking UPDATE returns the head it locked.)
    head = connection.execute(_LOCK_HEAD).first()
    if head is None:  # a database whose migration did not seed the head
        connection.execute(insert(CHAIN).values(id=CHAIN_ID, seq=0, hash=GENESIS))
        head = (0, GENESIS)
    seq, prev = head
    for entry in pending:
        seq += 1
        entry["seq"], entry["prev_hash"] = seq, prev
        entry["hash"] = prev = chain_hash(prev, entry)
    # The entries in one multi-row INSERT and the new head; PostgreSQL takes both in one
    # statement (the INSERT as a data-modifying WITH of the head's UPDATE, which runs it
    # whether or not the UPDATE reads it), SQLite in two. The statements are built once
    # with bound parameters (building and keying them per commit was ~4 % of a step's CPU).
    new_head = {"head_seq": seq, "head_hash": prev}
    if connection.dialect.name == "postgresql":
        if len(pending) == 1:  # most use cases
            connection.execute(_append_one(), {**{f"log_{key}": pending[0].get(key)
                                                  for key in LOG.c.keys()}, **new_head})
        else:  # a multi-row VALUES statement: SQLAlchemy compiles it on every use
            logged = insert(LOG).values(pending).returning(LOG.c.seq).cte("logged")
            connection.execute(_MOVE_HEAD.add_cte(logged), new_head)
    else:
        connection.execute(insert(LOG), pending)
        connection.execute(_MOVE_HEAD, new_head)


_LOCK_HEAD = (update(CHAIN).where(CHAIN.c.id == CHAIN_ID).values(seq=CHAIN.c.seq)
              .returning(CHAIN.c.seq, CHAIN.c.hash))
_MOVE_HEAD = update(CHAIN).where(CHAIN.c.id == CHAIN_ID).values(
    seq=bindparam("head_seq"), hash=bindparam("head_hash"))


@lru_cache(maxsize=1)
def _append_one():
    """PostgreSQL: one entry's INSERT as a data-modifying WITH of the head's UPDATE."""
    logged = (insert(LOG).values({key: bindparam(f"log_{key}") for key in LOG.c.keys()})
              .returning(LOG.c.seq).cte("logged"))
    return _MOVE_HEAD.add_cte(logged)


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, _transaction) -> None:
    session.info.pop(_PENDING, None)


def verify(db: Database, batch: int = 1000) -> dict:
    """Walks the chain: {ok, entries, broken_at (seq) , problem}. A changed field, a removed
    or inserted entry, or a removed tail each break it."""
    prev, expected_seq, count = GENESIS, 1, 0
    with db.reading() as session:
        last = 0
        while True:
            rows = session.execute(select(LOG).where(LOG.c.seq > last)
                                   .order_by(LOG.c.seq).limit(batch)).mappings().all()
            for row in rows:
                entry = dict(row)
                if entry["seq"] != expected_seq:
                    return _broken(count, entry["seq"], "条目缺失（序号不连续）")
                if entry["prev_hash"] != prev:
                    return _broken(count, entry["seq"], "与上一条目的链接不符")
                if chain_hash(prev, entry) != entry["hash"]:
                    return _broken(count, entry["seq"], "条目内容已被改动")
                prev, expected_seq, count = entry["hash"], expected_seq + 1, count + 1
                last = entry["seq"]
            if len(rows) < batch:
                break
        head = session.execute(select(CHAIN.c.seq, CHAIN.c.hash)
                               .where(CHAIN.c.id == CHAIN_ID)).first()
    if head is not None and (head[0], head[1]) != (count, prev):
        return _broken(count, count + 1, "末尾条目缺失（与链头不符）")
    if head is None and count:
        return _broken(count, 1, "链头缺失")
    return {"ok": True, "entries": count, "broken_at": None, "problem": None}


def _broken(count: int, seq: int, problem: str) -> dict:
    return {"ok": False, "entries": count, "broken_at": seq, "problem": problem}


def search(db: Database, *, person: str | None = None, actor_id: str | None = None,
           subject_id: str | None = None, action: str | None = None,
           object_type: str | None = None, object_id: str | None = None,
           since: datetime | None = None, until: datetime | None = None,
           page: int = 1, per_page: int = 20) -> dict:
    """A page of entries, newest first. `person`: what the account did or what was done to
    its data; `action` ending in '.' or '*' is a prefix ('login.*')."""
    conditions = []
    if person:
        conditions.append(or_(LOG.c.actor_id == person, LOG.c.subject_id == person))
    if actor_id:
        conditions.append(LOG.c.actor_id == actor_id)
    if subject_id:
        conditions.append(LOG.c.subject_id == subject_id)
    if action:
        conditions.append(LOG.c.action.startswith(action.rstrip("*"), autoescape=True)
                          if action.endswith(("*", ".")) else LOG.c.action == action)
    if object_type:
        conditions.append(LOG.c.object_type == object_type)
    if object_id:
        conditions.append(LOG.c.object_id == object_id)
    if since:
        conditions.append(LOG.c.at >= since)
    if until:
        conditions.append(LOG.c.at < until)
    query = select(*[c for c in LOG.c if c.name not in ("prev_hash",)]) \
        .where(and_(True, *conditions)).order_by(LOG.c.seq.desc())
    with db.reading() as session:
        result = paginate(session, query, page, per_page)
    result["items"] = [dict(row._mapping) for row in result["items"]]
    return result


# --- the admins' query, mounted by every service at /api/<service>/audit-log ---------------

def admin_search(db: Database, claims: Claims, query: dict) -> dict:
    """GET /audit-log: `search` for platform administrators only."""
    _require_admin(claims)
    return search(db, **query)


def admin_verify(db: Database, claims: Claims) -> dict:
    """GET /audit-log/verify: `verify` for platform administrators only."""
    _require_admin(claims)
    return verify(db)


def _require_admin(claims: Claims) -> None:
    if not is_admin(claims):
        raise Forbidden("仅管理员可以查看审计日志")


class AuditLogQuerySchema(PageQuerySchema):
    person = fields.String(validate=validate.Length(max=36),
                           metadata={"description": "账号：其所做的操作或针对其个人信息的操作"})
    actor_id = fields.String(validate=validate.Length(max=36))
    subject_id = fields.String(validate=validate.Length(max=36))
    action = fields.String(validate=validate.Length(max=60),
                           metadata={"description": "操作；以 * 结尾按前缀，如 login.*"})
    object_type = fields.String(validate=validate.Length(max=40))
    object_id = fields.String(validate=validate.Length(max=64))
    since = fields.AwareDateTime(default_timezone=timezone.utc,
                                 metadata={"description": "起（含），ISO 8601"})
    until = fields.AwareDateTime(default_timezone=timezone.utc,
                                 metadata={"description": "止（不含），ISO 8601"})


class AuditLogEntrySchema(Schema):
    seq = fields.Integer()
    at = fields.DateTime()
    actor_id = fields.String(allow_none=True)
    actor_kind = fields.String(allow_none=True)
    actor_roles = fields.String(allow_none=True)
    action = fields.String()
    object_type = fields.String(allow_none=True)
    object_id = fields.String(allow_none=True)
    subject_id = fields.String(allow_none=True)
    request_id = fields.String(allow_none=True)
    ip = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    before = fields.Raw(allow_none=True)
    after = fields.Raw(allow_none=True)
    detail = fields.Raw(allow_none=True)
    hash = fields.String()


class AuditVerifySchema(Schema):
    ok = fields.Boolean()
    entries = fields.Integer()
    broken_at = fields.Integer(allow_none=True)
    problem = fields.String(allow_none=True)


AuditLogPageSchema = page_of(AuditLogEntrySchema)


def audit_blueprint(service: str) -> Blueprint:
    """GET /audit-log (by person, action, object, date; paginated) and GET /audit-log/verify,
    for admins only."""
    blp = Blueprint(f"{service}-audit", __name__, url_prefix="/audit-log",
                    description="审计日志（管理员）：谁在何时对什么做了什么")

    @blp.route("", methods=["GET"])
    @blp.arguments(AuditLogQuerySchema, location="query")
    @blp.response(200, AuditLogPageSchema)
    @login_required()
    def audit_log(query):
        """查询审计日志（管理员）：按人员、操作、对象、日期，分页"""
        from .app import kit

        return admin_search(kit().db, current_claims(), query)

    @blp.route("/verify", methods=["GET"])
    @blp.response(200, AuditVerifySchema)
    @login_required()
    def audit_verify():
        """校验审计日志的哈希链（管理员）：任何改动、删除或插入都会使校验失败"""
        from .app import kit

        return admin_verify(kit().db, current_claims())

    return blp
