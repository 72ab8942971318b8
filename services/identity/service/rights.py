"""The person's rights over what identity holds (PIPL arts. 45, 47): its part of the
export, closing the account (注销), and the retention sweep of short-lived data.
What closure does to each table is documented in docs/personal-data.md."""
from __future__ import annotations

from datetime import timedelta

from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, or_, select

from services.common import audit as audit_log
from services.common.auth import Claims
from services.common.bus import Outbox
from services.common.db import Database, utcnow
from services.common.errors import Forbidden, ValidationFailed
from services.common.personal import as_record, as_records, mask_name
from services.common.pii import mask

from ..model import (Account, Appeal, BusinessRecord, Captcha, CertChallenge,
                     Consent, ExternalIdentity, LoginGuard, OidcState, Profile, QrLogin,
                     RefreshToken, RevokedToken, SmsCode, SmsMessage)
from . import accounts, tokens
from .base import audit

CLOSED_NAME = "已注销用户"
# Never verifies (not an argon2 hash): a closed account cannot sign in with any password.
CLOSED_PASSWORD = "!closed"


def export(db: Database, claims: Claims) -> dict:
    """Everything identity holds about the caller, whole (it is theirs), and the audit of
    their data; the export itself is audited."""
    me = claims.sub
    with db.transaction() as session:
        audit(session, "personal_data.exported", me)
    with db.reading() as session:
        account = session.get(Account, me)
        return {
            "account": as_record(account),
            "profile": [as_record(row) for row in [session.get(Profile, me)] if row],
            "consents": as_records(session.scalars(
                select(Consent).where(Consent.account_id == me).order_by(Consent.agreed_at))),
            "external_identities": as_records(session.scalars(
                select(ExternalIdentity).where(ExternalIdentity.account_id == me))),
            "appeals": as_records(session.scalars(
                select(Appeal).where(Appeal.account_id == me).order_by(Appeal.created_at))),
            "business_records": as_records(session.scalars(
                select(BusinessRecord).where(BusinessRecord.account_id == me)
                .order_by(BusinessRecord.completed_at))),
            "sessions": as_records(session.scalars(
                select(RefreshToken).where(RefreshToken.account_id == me)
                .order_by(RefreshToken.expires_at)), omit=("access_jti",)),
            # Sign-ins, failures, consents, changes and views of this account's data.
            "audit": [audit_log.redact(dict(row._mapping)) for row in session.execute(
                select(audit_log.LOG).where(or_(audit_log.LOG.c.subject_id == me,
                                                audit_log.LOG.c.actor_id == me))
                .order_by(audit_log.LOG.c.seq))],
        }


def close(db: Database, outbox: Outbox, claims: Claims, body: dict) -> dict:
    """注销: the person confirms with their password; their personal data is erased or
    anonymised, every session ends at once, and identity.account.closed tells the other
    services to do the same with theirs."""
    if claims.kind != "person":
        raise Forbidden("单位和工作人员账号不能自行注销，请联系管理员")
    errors = {}
    if body.get("confirm") is not True:
        errors["confirm"] = "请确认已了解注销的后果"
    if not body.get("password"):
        errors["password"] = "请输入登录密码以确认是本人操作"
    if errors:
        raise ValidationFailed("；".join(errors.values()), errors)
    with db.reading() as session:
        account = session.get(Account, claims.sub)
    try:
        accounts.passwords.verify(account.password_hash, body["password"])
    except (VerificationError, InvalidHashError):
        with db.transaction() as session:
            audit(session, "account.closure_refused", account.id, reason="bad-password")
        raise ValidationFailed("密码错误", {"password": "密码错误"}) from None
    with db.transaction() as session:
        account = session.get(Account, claims.sub)
        _anonymise(session, outbox, account, claims)
        audit(session, "account.closed", account.id)
        outbox.add(session, "identity.account.closed", account.id,
                       {"account_id": account.id, "kind": account.kind})
    return {"closed": True, "message": "账号已注销"}


def _anonymise(session, outbox: Outbox, account: Account, claims) -> None:
    phone_index, me = account.phone_index, account.id
    # every session ends, their access tokens and the caller's onto the denylist
    tokens.revoke_all(session, outbox, me, presented=claims)
    session.execute(delete(RefreshToken).where(RefreshToken.account_id == me))
    session.execute(delete(Profile).where(Profile.account_id == me))
    session.execute(delete(ExternalIdentity).where(ExternalIdentity.account_id == me))
    session.execute(delete(QrLogin).where(QrLogin.account_id == me))
    session.execute(delete(OidcState).where(OidcState.link_account_id == me))
    session.execute(delete(LoginGuard).where(LoginGuard.key == f"account:{me}"))
    if phone_index:
        session.execute(delete(SmsCode).where(SmsCode.phone_index == phone_index))
        session.execute(delete(SmsMessage).where(SmsMessage.phone_index == phone_index))
    for appeal in session.scalars(select(Appeal).where(Appeal.account_id == me)):
        appeal.real_name = mask_name(appeal.real_name)
        appeal.id_number = mask(appeal.id_number)
        appeal.id_number_index = "erased"
        if appeal.status == "pending":
            appeal.status = "withdrawn"
    accounts.set_identity(account, None, None)
    accounts.set_phone(account, None)
    account.username = f"closed_{me.replace('-', '')}"[:40]
    account.display_name = CLOSED_NAME
    account.password_hash = CLOSED_PASSWORD
    account.totp_secret, account.totp_last_step = None, None
    account.roles, account.org_id = [], None
    account.profile_complete = False
    account.closed_at = utcnow()
    session.flush()


def sweep(db: Database, config) -> int:
    """Deletes what is kept only for a while (periods from RENCAI_RETENTION_*; see
    IdentityConfig): SMS messages and codes, captchas, sign-in challenges, expired refresh
    tokens (sessions) and denylist entries whose tokens have expired. Returns how many."""
    now = utcnow()
    days, hours = (lambda n: now - timedelta(days=n)), (lambda n: now - timedelta(hours=n))
    statements = [
        delete(SmsMessage).where(SmsMessage.created_at < days(config.retention_sms_days)),
        delete(SmsCode).where(SmsCode.created_at < days(config.retention_sms_days)),
        delete(Captcha).where(Captcha.expires_at < hours(config.retention_challenge_hours)),
        delete(CertChallenge).where(
            CertChallenge.expires_at < hours(config.retention_challenge_hours)),
        delete(QrLogin).where(QrLogin.expires_at < hours(config.retention_challenge_hours)),
        delete(OidcState).where(OidcState.expires_at < hours(config.retention_challenge_hours)),
        delete(RefreshToken).where(
            RefreshToken.expires_at < days(config.retention_session_days)),
        delete(RevokedToken).where(RevokedToken.expires_at < now),
        delete(LoginGuard).where(LoginGuard.window_start < hours(config.retention_challenge_hours),
                                 or_(LoginGuard.locked_until.is_(None),
                                     LoginGuard.locked_until < now)),
    ]
    removed = 0
    with db.transaction() as session:
        for statement in statements:
            removed += session.execute(statement).rowcount or 0
    return removed
