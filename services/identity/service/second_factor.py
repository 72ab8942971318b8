"""Staff (reviewers, experts, committee, admins) sign in with a second factor: a TOTP
authenticator enrolled at their first sign-in (QR code and otpauth URI), ten single-use
recovery codes given once at enrolment, and an admin's reset that makes them enrol again."""
from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid

import pyotp
from sqlalchemy import or_, select, update

from services.common.auth import Claims
from services.common.bus import Outbox
from services.common.db import Database, utcnow
from services.common.errors import (DomainError, Forbidden, NotAuthenticated, NotFound,
                                    ValidationFailed)

from ..model import Account, RecoveryCode
from . import tokens
from .base import audit, require_admin

ISSUER = "Rencai 人才业务办理平台"
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i


class SecondFactorRequired(DomainError):
    status, code, title = 401, "totp-required", "需要动态验证码"


class EnrolmentRequired(DomainError):
    """401 with `enrolment` {secret, otpauth_uri, qr_svg}: scan, then sign in again with the
    authenticator's code. Rendered by identity's own error handler (it carries the QR)."""

    status, code, title = 401, "totp-enrolment-required", "请先绑定身份验证器"

    def __init__(self, detail: str, errors: dict, enrolment: dict):
        super().__init__(detail, errors)
        self.enrolment = enrolment


def needs_second_factor(account: Account) -> bool:
    return account.kind == "staff" or account.totp_secret is not None


def enrolment(account: Account, secret: str) -> dict:
    import segno  # the QR code only at enrolment: not loaded in every identity process

    uri = pyotp.TOTP(secret).provisioning_uri(name=account.username, issuer_name=ISSUER)
    return {"secret": secret, "otpauth_uri": uri,
            "qr_svg": segno.make(uri, error="m").svg_data_uri(scale=4)}


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().lower().replace("-", "").encode()).hexdigest()


def _new_recovery_codes(session, account_id: str) -> list[str]:
    session.execute(RecoveryCode.__table__.delete().where(RecoveryCode.account_id == account_id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        session.add(RecoveryCode(id=str(uuid.uuid4()), account_id=account_id,
                                 code_hash=_hash(raw), created_at=utcnow()))
    return codes


def spend_totp(db: Database, account: Account, secret: str, code: str) -> int | None:
    """The time step of `code` (this 30-second step or a neighbour) if it is good and that
    step was not accepted before (no replay); None otherwise."""
    totp = pyotp.TOTP(secret)
    step = totp.timecode(utcnow())
    for candidate in (step - 1, step, step + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            with db.transaction() as session:
                spent = session.execute(update(Account).where(
                    Account.id == account.id,
                    or_(Account.totp_last_step.is_(None), Account.totp_last_step < candidate))
                    .values(totp_last_step=candidate)).rowcount
            return candidate if spent == 1 else None
    return None


def _spend_recovery_code(db: Database, account: Account, code: str) -> int | None:
    """Spends a recovery code; the number left, or None when it is not a good one."""
    with db.transaction() as session:
        spent = session.execute(update(RecoveryCode).where(
            RecoveryCode.account_id == account.id, RecoveryCode.code_hash == _hash(code),
            RecoveryCode.used_at.is_(None)).values(used_at=utcnow())).rowcount
        if spent != 1:
            return None
        left = len(session.scalars(select(RecoveryCode.id).where(
            RecoveryCode.account_id == account.id, RecoveryCode.used_at.is_(None))).all())
        audit(session, "staff.recovery_code_used", account.id, left=left)
    return left


def sign_in(db: Database, account: Account, totp_code: str | None, recovery_code: str | None,
            fail, succeed) -> tokens.TokenPair | dict:
    """After a good password. `fail(reason, error)` counts a failure and says what to raise;
    `succeed(method)` issues the tokens."""
    totp_code = str(totp_code or "").strip()
    if account.totp_confirmed_at is None:
        return _enrol(db, account, totp_code, fail, succeed)
    if recovery_code and str(recovery_code).strip():
        if _spend_recovery_code(db, account, str(recovery_code)) is None:
            raise fail("bad-recovery-code", NotAuthenticated(
                "恢复码错误或已使用", {"recovery_code": "恢复码错误或已使用"}))
        return succeed("password+recovery")
    if not totp_code:
        raise SecondFactorRequired("请输入动态验证码（身份验证器应用中的 6 位数字）",
                                   {"totp_code": "请输入动态验证码"})
    if spend_totp(db, account, account.totp_secret, totp_code) is None:
        raise fail("bad-totp", NotAuthenticated("动态验证码错误", {"totp_code": "动态验证码错误"}))
    return succeed("password+totp")


def _enrol(db: Database, account: Account, totp_code: str, fail, succeed) -> dict:
    """First sign-in: a secret is made (kept until confirmed, so a reload shows the same QR);
    the first good code confirms it and the recovery codes are shown, once."""
    secret = account.totp_secret
    if secret is None:
        secret = pyotp.random_base32()
        with db.transaction() as session:
            claimed = session.execute(update(Account).where(
                Account.id == account.id, Account.totp_secret.is_(None))
                .values(totp_secret=secret)).rowcount
        if claimed != 1:  # a concurrent first sign-in made one: show that one
            with db.reading() as session:
                secret = session.get(Account, account.id).totp_secret
    if not totp_code:
        raise EnrolmentRequired(
            "工作人员首次登录须绑定身份验证器：用身份验证器应用扫描二维码（或输入密钥），"
            "再输入应用中的 6 位动态验证码登录", {"totp_code": "请输入身份验证器中的动态验证码"},
            enrolment(account, secret))
    if spend_totp(db, account, secret, totp_code) is None:
        raise fail("bad-totp", NotAuthenticated("动态验证码错误", {"totp_code": "动态验证码错误"}))
    with db.transaction() as session:
        row = session.get(Account, account.id)
        row.totp_confirmed_at = utcnow()
        codes = _new_recovery_codes(session, account.id)
        audit(session, "staff.totp_enrolled", account.id)
    pair = succeed("password+totp")
    return {**pair.__dict__, "recovery_codes": codes}


def reset(db: Database, outbox: Outbox, claims: Claims, account_id: str) -> dict:
    """An admin's reset (a lost phone): the authenticator and recovery codes are forgotten,
    every sign-in of the account ends, and it enrols again at its next sign-in."""
    require_admin(claims)
    with db.transaction() as session:
        account = session.get(Account, account_id)
        if account is None or account.kind != "staff":
            raise NotFound("工作人员账号不存在")
        if account.id == claims.sub:
            raise ValidationFailed("不能重置自己的身份验证器，请由其他管理员操作",
                                   {"account_id": "不能重置自己的身份验证器"})
        account.totp_secret = account.totp_confirmed_at = account.totp_last_step = None
        session.execute(RecoveryCode.__table__.delete().where(
            RecoveryCode.account_id == account.id))
        tokens.revoke_all(session, outbox, account.id)
        audit(session, "staff.totp_reset", account.id, claims.sub)
    return {"account_id": account_id, "totp_enabled": False,
            "message": "已重置。该工作人员下次登录时需重新绑定身份验证器"}


def new_recovery_codes(db: Database, claims: Claims, totp_code: str | None) -> dict:
    """A signed-in staff member replaces their recovery codes (proving the authenticator)."""
    if claims.kind != "staff":
        raise Forbidden("仅工作人员账号有恢复码")
    with db.reading() as session:
        account = session.get(Account, claims.sub)
    if account is None or account.totp_confirmed_at is None:
        raise ValidationFailed("本账号未绑定身份验证器", {"totp_code": "本账号未绑定身份验证器"})
    code = str(totp_code or "").strip()
    if not code or spend_totp(db, account, account.totp_secret, code) is None:
        raise ValidationFailed("动态验证码错误", {"totp_code": "动态验证码错误"})
    with db.transaction() as session:
        codes = _new_recovery_codes(session, account.id)
        audit(session, "staff.recovery_codes_renewed", account.id)
    return {"recovery_codes": codes}
