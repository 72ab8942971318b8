"""identity's use cases: accounts, password login, token issue and rotation, JWKS, records."""
from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.common.auth import ALGORITHM, AUDIENCE
from services.common.bus import Outbox
from services.common.config import Settings
from services.common.db import Database, utcnow
from services.common.errors import NotAuthenticated, NotFound, ValidationFailed

from .model import ACCOUNT_KINDS, Account, BusinessRecord, RefreshToken, SigningKey

passwords = PasswordHasher()
# Verified against when the username is unknown, so both cases take the same time.
_DUMMY_HASH = passwords.hash("rencai-dummy-password")
BAD_LOGIN = "用户名或密码错误"


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"


# --- signing keys -------------------------------------------------------------------------

def _new_signing_key() -> SigningKey:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    return SigningKey(kid=uuid.uuid4().hex, private_pem=pem, created_at=utcnow())


@lru_cache(maxsize=8)
def _load_private_key(pem: str):
    return serialization.load_pem_private_key(pem.encode(), password=None)


def _signing_key(session: Session) -> SigningKey:
    """The newest key signs. The first login creates one; two processes racing there both
    add a key, both are published, and the newest signs, which is harmless."""
    key = session.scalars(select(SigningKey).order_by(SigningKey.created_at.desc())).first()
    if key is None:
        key = _new_signing_key()
        session.add(key)
    return key


def jwks(db: Database) -> dict:
    with db.reading() as session:
        keys = session.scalars(select(SigningKey)).all()
    published = []
    for key in keys:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(_load_private_key(key.private_pem).public_key(),
                                                 as_dict=True)
        published.append({**jwk, "kid": key.kid, "use": "sig", "alg": ALGORITHM})
    return {"keys": published}


# --- accounts -----------------------------------------------------------------------------

def create_account(db: Database, outbox: Outbox, *, username: str, kind: str, display_name: str,
                   password: str, org_id: str | None = None, roles: list[str] | None = None,
                   account_id: str | None = None) -> Account:
    if kind not in ACCOUNT_KINDS:
        raise ValidationFailed("账号类型不正确", {"kind": "应为 person、unit 或 staff"})
    with db.transaction() as session:
        if session.scalar(select(Account.id).where(Account.username == username)):
            raise ValidationFailed("用户名已被使用", {"username": "用户名已被使用"})
        account = Account(id=account_id or str(uuid.uuid4()), username=username, kind=kind,
                          display_name=display_name, password_hash=passwords.hash(password),
                          org_id=org_id, roles=list(roles or []), created_at=utcnow())
        session.add(account)
        outbox.add(session, "identity.account.created", account.id,
                   {"account_id": account.id, "kind": kind, "display_name": display_name,
                    "org_id": org_id, "roles": account.roles})
    return account


def get_account(db: Database, account_id: str) -> Account:
    with db.reading() as session:
        account = session.get(Account, account_id)
    if account is None:
        raise NotFound("账号不存在")
    return account


# --- tokens -------------------------------------------------------------------------------

def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _issue(session: Session, settings: Settings, account: Account, family_id: str) -> TokenPair:
    now = utcnow()
    key = _signing_key(session)
    claims = {
        "iss": settings.token_issuer, "aud": AUDIENCE, "sub": account.id, "typ": "access",
        "kind": account.kind, "name": account.display_name, "org": account.org_id,
        "roles": account.roles, "iat": now, "exp": now + timedelta(seconds=settings.access_token_seconds),
        "jti": uuid.uuid4().hex,
    }
    access = jwt.encode(claims, _load_private_key(key.private_pem), algorithm=ALGORITHM,
                        headers={"kid": key.kid})
    refresh = secrets.token_urlsafe(32)
    session.add(RefreshToken(id=str(uuid.uuid4()), token_hash=_hash_token(refresh),
                             family_id=family_id, account_id=account.id,
                             expires_at=now + timedelta(seconds=settings.refresh_token_seconds)))
    return TokenPair(access, refresh, settings.access_token_seconds)


def login_with_password(db: Database, settings: Settings, login: str, password: str) -> TokenPair:
    with db.transaction() as session:
        account = session.scalars(select(Account).where(Account.username == login)).first()
        try:
            passwords.verify(account.password_hash if account else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            raise NotAuthenticated(BAD_LOGIN)
        if account is None:
            raise NotAuthenticated(BAD_LOGIN)
        return _issue(session, settings, account, family_id=str(uuid.uuid4()))


def refresh_tokens(db: Database, settings: Settings, refresh_token: str) -> TokenPair:
    """Rotates a refresh token. A token used twice means it leaked: its family is revoked."""
    with db.transaction() as session:
        token = session.scalars(select(RefreshToken).where(
            RefreshToken.token_hash == _hash_token(refresh_token))).first()
        if token is None or token.revoked_at is not None or token.expires_at < utcnow():
            raise NotAuthenticated("登录已过期，请重新登录")
        claimed = session.execute(update(RefreshToken).where(
            RefreshToken.id == token.id, RefreshToken.used_at.is_(None)).values(used_at=utcnow()))
        if claimed.rowcount == 1:
            return _issue(session, settings, session.get(Account, token.account_id),
                          token.family_id)
        session.execute(update(RefreshToken).where(RefreshToken.family_id == token.family_id)
                        .values(revoked_at=utcnow()))
    # Raised after the commit, so the family's revocation sticks.
    raise NotAuthenticated("登录凭证已失效，请重新登录")


# --- the person's record ------------------------------------------------------------------

def business_records(db: Database, account_id: str) -> list[BusinessRecord]:
    with db.reading() as session:
        return list(session.scalars(select(BusinessRecord)
                                    .where(BusinessRecord.account_id == account_id)
                                    .order_by(BusinessRecord.completed_at.desc())))


def record_business_result(session: Session, envelope: dict) -> None:
    """Consumer of workflow.instance.completed: the result lands on the applicant's record."""
    data = envelope["data"]
    if session.get(Account, data["applicant_id"]) is None:
        return  # not one of our accounts (nothing to record)
    session.merge(BusinessRecord(
        instance_id=data["instance_id"], account_id=data["applicant_id"],
        process_key=data["process_key"], title=data["title"], outcome=data["outcome"],
        completed_at=datetime.fromisoformat(data["completed_at"])))
