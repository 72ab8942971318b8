"""`Idempotency-Key` on the POSTs that create something (an application, an upload, a
registration, ...): the same key again, from the same caller, answers the first answer and
creates nothing new (after the IETF httpapi Idempotency-Key draft).

Kept by each service in its own database (a table beside its outbox), not in the gateway:
several gateway processes, or a retry that reaches another one, see the same record.

A key is claimed before the use case runs and holds its answer after; a retry while the first
request is still running is a 409 with Retry-After; the same key with another body is a 422.
When the use case fails (any error: its transaction rolled back, nothing was created) the
claim is dropped, so a retry runs it again. Records are kept for a day. (Should a process
die between the use case's commit and the answer's record, the key stays "in progress" for
that day: a 409, never a second creation.)"""
from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import timedelta
from functools import wraps

from apispec import BasePlugin
from flask import Response, current_app, request
from sqlalchemy import Column, Integer, MetaData, String, Table, delete, insert, select, \
    update
from sqlalchemy.exc import IntegrityError

from . import pii
from .db import UtcDateTime, utcnow
from .errors import ValidationFailed, problem

HEADER = "Idempotency-Key"
KEY = re.compile(r"^[\x21-\x7e]{1,200}$")  # visible ASCII, as an HTTP header value
KEEP = timedelta(days=1)
MARK = "x-rencai-idempotent"  # set on the operation by the decorator, turned into the header
REPLAYED = "Idempotent-Replayed"


def idempotency_table(metadata: MetaData) -> Table:
    """Adds `idempotency_keys` to a service's metadata (and so its migrations)."""
    return Table(
        "idempotency_keys", metadata,
        Column("key", String(300), primary_key=True),  # sha256 of caller, method, path, key
        Column("fingerprint", String(64), nullable=False),  # sha256 of the request body
        Column("status", Integer, nullable=True),  # None while the first request runs
        # The first answer, sealed with the PII key: it may hold personal data or tokens (so
        # every service with this table holds the key, and a key rotation re-seals it).
        Column("body", pii.EncryptedString, nullable=True),
        Column("content_type", String(120), nullable=True),
        Column("location", String(500), nullable=True),
        Column("created_at", UtcDateTime, nullable=False, default=utcnow, index=True),
    )


def _in_progress() -> Response:
    response = problem(409, "同一请求正在处理，请稍后再查看结果", code="idempotency-in-progress",
                       title="请求正在处理")
    response.headers["Retry-After"] = "1"
    return response


def _scope(key: str) -> str:
    """Keys are the caller's own: the token's subject, or (no token) the client address."""
    from .auth import bearer_token, current_claims

    caller = "anonymous:" + (request.headers.get("X-Forwarded-For") or request.remote_addr or "-")
    if bearer_token():
        caller = current_claims().sub  # an invalid token is a 401 here, before anything runs
    scoped = f"{caller}|{request.method} {request.path}|{key}"
    return hashlib.sha256(scoped.encode()).hexdigest()


def _fingerprint() -> str:
    """What the request asks for, not how it was framed: a retried multipart upload has a
    new boundary, a retried JSON body may order its keys differently."""
    digest = hashlib.sha256()
    if request.mimetype == "multipart/form-data":
        digest.update(json.dumps(sorted(request.form.items(multi=True))).encode())
        for name, upload in sorted(request.files.items(multi=True), key=lambda item: item[0]):
            digest.update(f"{name}:{upload.filename}:".encode())
            digest.update(upload.read())
            upload.seek(0)
        return digest.hexdigest()
    body = request.get_json(silent=True, cache=True)
    if body is not None:
        digest.update(json.dumps(body, sort_keys=True, ensure_ascii=False).encode())
    else:
        digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _replay(row) -> Response:
    body = base64.b64decode(row.body)
    response = Response(body, status=row.status, content_type=row.content_type)
    if row.location:
        response.headers["Location"] = row.location
    response.headers[REPLAYED] = "true"
    return response


def idempotent(table: Table):
    """Decorates a creating view (put it right under the route); `table` is the service's
    idempotency_table. Without the header the view runs as before."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            key = request.headers.get(HEADER)
            if key is None:
                return view(*args, **kwargs)
            if not KEY.match(key):
                raise ValidationFailed("Idempotency-Key 应为 1-200 个可见 ASCII 字符",
                                       {HEADER: "应为 1-200 个可见 ASCII 字符"})
            db = current_app.extensions["rencai.kit"].db
            scoped, fingerprint = _scope(key), _fingerprint()
            with db.transaction() as session:
                session.execute(delete(table).where(table.c.created_at < utcnow() - KEEP))
            try:
                with db.transaction() as session:
                    session.execute(insert(table).values(key=scoped, fingerprint=fingerprint,
                                                         created_at=utcnow()))
            except IntegrityError:
                with db.reading() as session:
                    row = session.execute(select(table).where(table.c.key == scoped)).first()
                if row is not None and row.fingerprint != fingerprint:
                    raise ValidationFailed("同一 Idempotency-Key 已用于内容不同的请求",
                                           {HEADER: "已用于内容不同的请求，请换一个"})
                if row is None or row.status is None:  # still running (or just let go)
                    return _in_progress()
                return _replay(row)
            try:
                response = current_app.make_response(view(*args, **kwargs))
            except BaseException:
                _forget(db, table, scoped)
                raise
            if response.status_code >= 400 or response.direct_passthrough:
                _forget(db, table, scoped)  # nothing was created: a retry runs again
                return response
            with db.transaction() as session:
                session.execute(update(table).where(table.c.key == scoped).values(
                    status=response.status_code,
                    body=base64.b64encode(response.get_data()).decode(),
                    content_type=response.content_type,
                    location=response.headers.get("Location")))
            return response

        apidoc = dict(getattr(wrapper, "_apidoc", {}))
        apidoc["manual_doc"] = {**apidoc.get("manual_doc", {}), MARK: True}
        wrapper._apidoc = apidoc
        return wrapper

    return decorator


def _forget(db, table: Table, scoped: str) -> None:
    with db.transaction() as session:
        session.execute(delete(table).where(table.c.key == scoped))


class IdempotencyDocPlugin(BasePlugin):
    """Documents the header on every operation the decorator marked."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        for operation in (operations or {}).values():
            if isinstance(operation, dict) and operation.pop(MARK, False):
                operation.setdefault("parameters", []).append({
                    "in": "header", "name": HEADER, "required": False,
                    "schema": {"type": "string", "minLength": 1, "maxLength": 200,
                               "pattern": r"^[\x21-\x7e]+$"},
                    "description": "重试时带上同一个值：只办理一次，返回第一次的结果"})
