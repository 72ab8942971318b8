"""Signing in: by username / phone / ID number + password (+ captcha, + the second factor
every staff account needs: service/second_factor.py), by SMS code; lockout per account and per IP; logout; every attempt audited."""
from __future__ import annotations

import math
from datetime import timedelta

from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.common.bus import Outbox
from services.common.config import Settings
from services.common.db import Database, utcnow
from services.common.errors import DomainError, NotAuthenticated, ValidationFailed

from .. import rules
from ..config import IdentityConfig
from ..model import Account, LoginGuard
from . import tokens
from . import accounts, second_factor
from .base import audit
from .verification import check_captcha, check_sms_code

# Verified against when the login is unknown, so both cases take the same time.
_DUMMY_HASH = accounts.passwords.hash("rencai-dummy-password")
BAD_LOGIN = "用户名或密码错误"


class Locked(DomainError):
    status, code, title = 429, "locked", "登录已被暂时锁定"


class CaptchaRequired(ValidationFailed):
    code = "captcha-required"


# --- lockout ------------------------------------------------------------------------------

def _guard(session: Session, key: str) -> LoginGuard | None:
    return session.get(LoginGuard, key)


def _minutes_left(guard: LoginGuard | None) -> int:
    if guard is None or guard.locked_until is None or guard.locked_until <= utcnow():
        return 0
    return max(1, math.ceil((guard.locked_until - utcnow()).total_seconds() / 60))


def _refuse_if_locked(db: Database, ip: str, account: Account | None) -> None:
    with db.reading() as session:
        by_ip = _minutes_left(_guard(session, f"ip:{ip}"))
        by_account = _minutes_left(_guard(session, f"account:{account.id}")) if account else 0
    if by_account or by_ip:
        with db.transaction() as session:
            audit(session, "login.refused", account.id if account else None,
                  reason="locked")
        if by_account:
            raise Locked(f"登录失败次数过多，账号已被锁定，请 {by_account} 分钟后再试")
        raise Locked(f"登录失败次数过多，请 {by_ip} 分钟后再试")


def _count_failure(session: Session, config: IdentityConfig, key: str, threshold: int) -> int:
    """Adds a failure under `key`; returns the minutes of a lock it just started (or 0)."""
    now = utcnow()
    guard = _guard(session, key)
    if guard is None:
        guard = LoginGuard(key=key, failures=0, window_start=now)
        session.add(guard)
    if guard.window_start < now - timedelta(minutes=config.failure_window_minutes):
        guard.failures, guard.window_start = 0, now
    guard.failures += 1
    if guard.failures >= threshold:
        guard.locked_until = now + timedelta(minutes=config.lock_minutes)
        guard.failures, guard.window_start = 0, now
        return config.lock_minutes
    return 0


def _fail(db: Database, config: IdentityConfig, ip: str, account: Account | None, method: str,
          reason: str, error: DomainError) -> DomainError:
    """Counts and audits a failed attempt (committed), and says what to raise."""
    try:
        locked = _record_failure(db, config, ip, account, method, reason)
    except IntegrityError:  # a first failure under the same key at the same moment
        locked = _record_failure(db, config, ip, account, method, reason)
    by_ip, by_account = locked
    if by_account:
        return Locked(f"登录失败次数过多，账号已被锁定，请 {by_account} 分钟后再试")
    if by_ip:
        return Locked(f"登录失败次数过多，请 {by_ip} 分钟后再试")
    return error


def _record_failure(db: Database, config: IdentityConfig, ip: str, account: Account | None,
                    method: str, reason: str) -> tuple[int, int]:
    """(minutes the IP, minutes the account) was just locked for; 0 for not locked."""
    with db.transaction() as session:
        audit(session, "login.failed", account.id if account else None, method=method,
              reason=reason)
        by_ip = _count_failure(session, config, f"ip:{ip}", config.ip_lock_failures)
        by_account = _count_failure(session, config, f"account:{account.id}",
                                    config.account_lock_failures) if account else 0
        if by_ip or by_account:
            audit(session, "login.locked", account.id if by_account else None,
                  minutes=by_account or by_ip, scope="account" if by_account else "ip")
    return by_ip, by_account


STAFF_METHODS = ("password+totp", "password+recovery")


def _succeed(db: Database, settings: Settings, account: Account, method: str) -> tokens.TokenPair:
    if account.kind == "staff" and method not in STAFF_METHODS:  # SMS, OIDC: one factor
        with db.transaction() as session:
            audit(session, "login.refused", account.id, method=method,
                  reason="staff-second-factor")
        raise NotAuthenticated("工作人员请使用用户名、密码和动态验证码登录")
    with db.transaction() as session:
        session.execute(LoginGuard.__table__.delete().where(
            LoginGuard.key == f"account:{account.id}"))
        audit(session, "login.succeeded", account.id, method=method)
        return tokens.issue(session, settings, session.get(Account, account.id),
                            method=method)


def _captcha_needed(db: Database, config: IdentityConfig, ip: str, account: Account | None) -> bool:
    """After this account's own recent failure, or many from this address."""
    if config.login_captcha == "always":
        return True
    with db.reading() as session:
        by_ip = _guard(session, f"ip:{ip}")
        by_account = _guard(session, f"account:{account.id}") if account else None
    recent = utcnow() - timedelta(minutes=config.failure_window_minutes)
    return bool((by_account and by_account.failures and by_account.window_start > recent)
                or (by_ip and by_ip.failures >= config.ip_captcha_failures
                    and by_ip.window_start > recent))


# --- the ways in --------------------------------------------------------------------------

def find_by_login(session: Session, login: str) -> Account | None:
    """A username, a phone number or an ID-card number."""
    login = (login or "").strip()
    account = session.scalars(select(Account).where(Account.username == login)).first()
    if account is None and rules.PHONE.match(login):
        account = accounts.by_phone(session, login)
    if account is None and len(login) == 18:
        account = accounts.by_id_number(session, login)
    return account


def login_with_password(db: Database, settings: Settings, config: IdentityConfig, ip: str,
                        login: str, password: str, captcha_id: str | None = None,
                        captcha_code: str | None = None,
                        totp_code: str | None = None,
                        recovery_code: str | None = None) -> tokens.TokenPair | dict:
    with db.reading() as session:
        account = find_by_login(session, login)
    _refuse_if_locked(db, ip, account)
    if captcha_id or captcha_code or _captcha_needed(db, config, ip, account):
        if not captcha_id or not captcha_code:
            raise CaptchaRequired("请输入图形验证码", {"captcha_code": "请输入图形验证码"})
        check_captcha(db, captcha_id, captcha_code)
    try:
        accounts.passwords.verify(account.password_hash if account else _DUMMY_HASH, password)
        good = account is not None
    except (VerificationError, InvalidHashError):
        good = False
    if not good:
        raise _fail(db, config, ip, account, "password", "bad-password",
                    NotAuthenticated(BAD_LOGIN))
    if second_factor.needs_second_factor(account):  # every staff account; enrols if new
        return second_factor.sign_in(
            db, account, totp_code, recovery_code,
            fail=lambda reason, error: _fail(db, config, ip, account, "password+totp", reason,
                                             error),
            succeed=lambda method: _succeed(db, settings, account, method))
    return _succeed(db, settings, account, "password")


def login_with_sms(db: Database, settings: Settings, config: IdentityConfig, ip: str,
                   phone: str | None, sms_code: str | None) -> tokens.TokenPair:
    account = accounts.account_by_phone(db, phone)
    _refuse_if_locked(db, ip, account)
    if account is None:
        raise ValidationFailed("该手机号未注册", {"phone": "该手机号未注册，请先注册"})
    try:
        check_sms_code(db, config, phone, "login", sms_code)
    except ValidationFailed as wrong:
        raise _fail(db, config, ip, account, "sms", "bad-sms-code", wrong) from None
    return _succeed(db, settings, account, "sms")


def logout(db: Database, outbox: Outbox, claims, refresh_token: str) -> None:
    """The refresh family ends, and with it every access token it issued and the one
    presented here: they are refused from now on, not only when they expire."""
    with db.transaction() as session:
        if not tokens.revoke_family(session, outbox, claims, refresh_token):
            raise ValidationFailed("刷新令牌无效", {"refresh_token": "不是本账号的有效刷新令牌"})
        audit(session, "logout", claims.sub)
