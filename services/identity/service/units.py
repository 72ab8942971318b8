"""Units (法人): phone registration or sign-in as in seed 003 (phone + captcha + SMS code),
a password set later, and sign-in with the unit's digital certificate (USBKey): the server
issues a nonce, the client signs it with the certificate's key, the server checks the chain
against the configured CA certificates and maps the subject's 统一社会信用代码 to the unit."""
from __future__ import annotations

import base64
import secrets
import uuid
from datetime import timedelta
from functools import lru_cache

from argon2.exceptions import InvalidHashError, VerificationError
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import verification
from cryptography.x509.oid import NameOID
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.common.auth import Claims
from services.common.bus import Outbox
from services.common.config import Settings
from services.common.db import Database, utcnow
from services.common.errors import Conflict, NotAuthenticated, NotFound, ValidationFailed

from .. import rules
from ..config import IdentityConfig
from ..model import Account, CertChallenge
from . import accounts, tokens
from .base import audit
from .logins import _fail, _refuse_if_locked, _succeed
from .verification import check_sms_code

# --- phone registration / sign-in (seed 003) ----------------------------------------------

def phone_session(db: Database, outbox: Outbox, settings: Settings, config: IdentityConfig,
                  ip: str, phone: str | None, sms_code: str | None) -> dict:
    """A new phone registers a unit account; a known one signs in. Either way: tokens."""
    account = accounts.account_by_phone(db, phone)
    if account is not None and account.kind != "unit":
        raise Conflict("该手机号已注册为个人账号，请使用单位经办人手机号",
                       {"phone": "该手机号已注册为个人账号"})
    _refuse_if_locked(db, ip, account)
    try:
        check_sms_code(db, config, phone, "unit_register", sms_code)
    except ValidationFailed as wrong:
        raise _fail(db, config, ip, account, "unit-sms", "bad-sms-code", wrong) from None
    if account is not None:
        return {"registered": False, "tokens": _succeed(db, settings, account, "sms").__dict__,
                "certified": account.credit_code is not None}
    # The account acts for a unit of its own from the first token on: its id is reserved
    # here and orgs creates the unit from identity.unit.registered before this answers
    # (events.AT_ONCE), so the licence upload and 单位认证 work at once (seed 003).
    account = Account(id=str(uuid.uuid4()), username=f"u{phone}", kind="unit",
                      display_name=f"单位用户{phone[-4:]}",
                      password_hash="",  # none yet: set one on /me/password
                      org_id=str(uuid.uuid4()), roles=["unit"], created_at=utcnow(),
                      profile_complete=False)
    accounts.set_phone(account, phone)
    with db.transaction() as session:
        session.add(account)
        session.flush()
        accounts.account_created(session, outbox, account)
        outbox.add(session, "identity.unit.registered", account.id,
                       {"account_id": account.id, "unit_id": account.org_id,
                        "name": f"待认证单位（手机尾号{phone[-4:]}）"})
        audit(session, "unit.registered", account.id)
        pair = tokens.issue(session, settings, account, method="sms")
    return {"registered": True, "tokens": pair.__dict__, "certified": False}


def set_password(db: Database, claims: Claims, body: dict) -> None:
    """修改密码 (or set one, for a unit that registered by phone)."""
    errors = {}
    problem = rules.password_error(body.get("new_password"), staff=claims.kind == "staff")
    if problem:
        errors["new_password"] = problem
    elif body.get("new_password_confirm") != body.get("new_password"):
        errors["new_password_confirm"] = "两次输入的密码不一致"
    with db.reading() as session:
        account = session.get(Account, claims.sub)
    if account.password_hash:  # an account that registered by SMS has none to give
        try:
            accounts.passwords.verify(account.password_hash, body.get("old_password") or "")
        except (VerificationError, InvalidHashError):
            errors["old_password"] = "原密码不正确"
    if errors:
        raise ValidationFailed("；".join(errors.values()), errors)
    with db.transaction() as session:
        session.get(Account, claims.sub).password_hash = accounts.passwords.hash(
            body["new_password"])
        audit(session, "password.changed", claims.sub)


def on_unit_certified(session: Session, envelope: dict) -> None:
    """Consumer of orgs.unit.certified {unit_id, name, credit_code, account_id}: the account
    acts for that unit and its digital certificate (credit code) maps to it."""
    data = envelope["data"]
    account = session.get(Account, data["account_id"]) if data.get("account_id") else None
    if account is None or account.kind != "unit":
        return
    account.org_id = data["unit_id"]
    account.display_name = data["name"]  # the certified name, no longer 单位用户XXXX
    account.roles = sorted(set(account.roles or []) | {"unit"})
    if data.get("credit_code"):
        account.credit_code = data["credit_code"]


# --- certificate (USBKey) sign-in ---------------------------------------------------------

@lru_cache(maxsize=4)
def _verifier(ca_file: str):
    with open(ca_file, "rb") as handle:
        cas = x509.load_pem_x509_certificates(handle.read())
    return verification.PolicyBuilder().store(verification.Store(cas))


def new_challenge(db: Database, config: IdentityConfig) -> dict:
    if not config.unit_ca_file:
        raise NotFound("未开启数字证书登录")
    challenge = CertChallenge(id=str(uuid.uuid4()), nonce=secrets.token_urlsafe(32),
                              expires_at=utcnow() + timedelta(
                                  seconds=config.cert_challenge_seconds))
    with db.transaction() as session:
        session.execute(CertChallenge.__table__.delete().where(
            CertChallenge.expires_at < utcnow() - timedelta(hours=1)))
        session.add(challenge)
    return {"challenge_id": challenge.id, "nonce": challenge.nonce,
            "expires_in": config.cert_challenge_seconds,
            "algorithm": "签名 nonce 的 UTF-8 字节：RSA 用 PKCS#1 v1.5 + SHA-256，EC 用 ECDSA + SHA-256"}


def _credit_code(cert: x509.Certificate) -> str | None:
    for oid in (NameOID.ORGANIZATION_IDENTIFIER, NameOID.SERIAL_NUMBER):
        values = cert.subject.get_attributes_for_oid(oid)
        if values:
            return str(values[0].value).strip().upper()
    return None


def _check_signature(cert: x509.Certificate, nonce: bytes, signature: bytes) -> bool:
    key = cert.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, nonce, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, nonce, ec.ECDSA(hashes.SHA256()))
        else:
            return False
    except InvalidSignature:
        return False
    return True


def login_with_certificate(db: Database, settings: Settings, config: IdentityConfig, ip: str,
                           body: dict) -> tokens.TokenPair:
    if not config.unit_ca_file:
        raise NotFound("未开启数字证书登录")
    errors = {}
    try:
        leaf = x509.load_pem_x509_certificate((body.get("certificate") or "").encode())
    except ValueError:
        errors["certificate"] = "证书格式不正确（应为 PEM）"
    try:
        intermediates = [x509.load_pem_x509_certificate(pem.encode())
                         for pem in body.get("chain") or []]
    except (ValueError, AttributeError):
        errors["chain"] = "证书链格式不正确（应为 PEM 列表）"
    try:
        signature = base64.b64decode(body.get("signature") or "", validate=True)
        if not signature:
            raise ValueError
    except ValueError:
        errors["signature"] = "签名格式不正确（应为 Base64）"
    if not body.get("challenge_id"):
        errors["challenge_id"] = "请先获取登录挑战"
    if errors:
        raise ValidationFailed("；".join(errors.values()), errors)

    with db.transaction() as session:  # the nonce is spent whatever follows
        challenge = session.get(CertChallenge, str(body["challenge_id"]))
        claimed = session.execute(update(CertChallenge).where(
            CertChallenge.id == str(body["challenge_id"]), CertChallenge.used_at.is_(None))
            .values(used_at=utcnow())).rowcount if challenge else 0
    if not claimed:
        raise ValidationFailed("登录挑战已失效，请重新获取", {"challenge_id": "登录挑战已失效，请重新获取"})
    if challenge.expires_at < utcnow():
        raise ValidationFailed("登录挑战已过期，请重新获取", {"challenge_id": "登录挑战已过期，请重新获取"})
    try:
        _verifier(config.unit_ca_file).build_client_verifier().verify(leaf, intermediates)
    except verification.VerificationError:
        raise _fail(db, config, ip, None, "certificate", "untrusted-certificate",
                    NotAuthenticated("证书不是受信任的机构签发，或已过期")) from None
    code = _credit_code(leaf)
    with db.reading() as session:
        account = session.scalars(select(Account).where(
            Account.credit_code == code, Account.kind == "unit")).first() if code else None
    if account is None:
        raise _fail(db, config, ip, None, "certificate", "unknown-unit",
                    NotAuthenticated("该证书对应的单位尚未在平台注册"))
    _refuse_if_locked(db, ip, account)
    if not _check_signature(leaf, challenge.nonce.encode(), signature):
        raise _fail(db, config, ip, account, "certificate", "bad-signature",
                    NotAuthenticated("证书签名验证失败", {"signature": "签名与证书不匹配"}))
    return _succeed(db, settings, account, "certificate")
