"""QR-code sign-in: the PC page gets a QR code and a secret poll token; the mobile app (an
authenticated session of the same person or unit) scans it, the PC sees "扫描成功"; the app
confirms ("确认授权") and the PC's next poll receives tokens, once. QR codes expire."""
from __future__ import annotations

import secrets
import uuid
from datetime import timedelta

from sqlalchemy import select, update

from services.common.auth import Claims
from services.common.config import Settings
from services.common.db import Database, utcnow
from services.common.errors import Conflict, DomainError, Forbidden, NotFound

from ..config import IdentityConfig
from ..model import Account, QrLogin
from . import tokens
from .base import audit


class QrExpired(DomainError):
    status, code, title = 410, "qr-expired", "二维码已过期"


MESSAGES = {"pending": "请使用北京通 APP 扫描二维码", "scanned": "扫描成功，请在手机上确认授权",
            "confirmed": "授权成功", "cancelled": "已取消授权，请刷新二维码"}


def create(db: Database, config: IdentityConfig) -> dict:
    poll_token = secrets.token_urlsafe(32)
    qr = QrLogin(id=str(uuid.uuid4()), poll_hash=tokens.hash_token(poll_token), status="pending",
                 created_at=utcnow(),
                 expires_at=utcnow() + timedelta(seconds=config.qr_seconds))
    with db.transaction() as session:
        session.execute(QrLogin.__table__.delete().where(
            QrLogin.expires_at < utcnow() - timedelta(hours=1)))
        session.add(qr)
    return {"qr_id": qr.id, "qr_content": f"rencai://qr-login/{qr.id}", "poll_token": poll_token,
            "expires_in": config.qr_seconds, "status": "pending",
            "message": MESSAGES["pending"]}


def _live(session, qr_id: str) -> QrLogin:
    qr = session.get(QrLogin, qr_id)
    if qr is None:
        raise NotFound("二维码不存在")
    if qr.consumed_at is not None:
        raise Conflict("二维码已使用，请刷新二维码")
    if qr.expires_at < utcnow():
        raise QrExpired("二维码已过期，请刷新二维码")
    return qr


def scan(db: Database, claims: Claims, qr_id: str) -> dict:
    if claims.kind not in ("person", "unit"):
        raise Forbidden("仅个人或单位账号可以扫码登录")
    with db.transaction() as session:
        qr = _live(session, qr_id)
        if qr.status != "pending":
            raise Conflict("二维码已被扫描，请刷新二维码")
        qr.status, qr.account_id = "scanned", claims.sub
        account = session.get(Account, claims.sub)
        audit(session, "qr.scanned", claims.sub, qr_id=qr.id)
    return {"status": "scanned", "message": "请确认是否授权登录", "account": account.display_name}


def confirm(db: Database, claims: Claims, qr_id: str, approve: bool = True) -> dict:
    with db.transaction() as session:
        qr = _live(session, qr_id)
        if qr.status != "scanned" or qr.account_id != claims.sub:
            raise Conflict("请先扫描二维码")
        qr.status = "confirmed" if approve else "cancelled"
        audit(session, "qr.confirmed" if approve else "qr.cancelled", claims.sub,
              qr_id=qr.id)
    return {"status": qr.status, "message": MESSAGES[qr.status]}


def poll(db: Database, settings: Settings, poll_token: str) -> dict:
    """The PC's question "has it been confirmed?"; the tokens come once."""
    with db.transaction() as session:
        qr = session.scalars(select(QrLogin).where(
            QrLogin.poll_hash == tokens.hash_token(poll_token))).first()
        if qr is None:
            raise NotFound("二维码不存在")
        qr = _live(session, qr.id)
        if qr.status != "confirmed":
            return {"status": qr.status, "message": MESSAGES[qr.status]}
        claimed = session.execute(update(QrLogin).where(
            QrLogin.id == qr.id, QrLogin.consumed_at.is_(None)).values(consumed_at=utcnow()))
        if claimed.rowcount != 1:
            raise Conflict("二维码已使用，请刷新二维码")
        account = session.get(Account, qr.account_id)
        audit(session, "login.succeeded", account.id, method="qr")
        pair = tokens.issue(session, settings, account, method="qr")
    return {"status": "confirmed", "message": MESSAGES["confirmed"], "tokens": pair.__dict__}
