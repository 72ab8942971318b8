"""Signing keys (rotation, JWKS), access + refresh token issue, rotation, logout, and the
denylist of access tokens ended before their expiry (the kit's verifiers consult it)."""
from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.common import audit
from services.common.auth import ALGORITHM, AUDIENCE
from services.common.config import Settings
from services.common.db import Database, utcnow
from services.common.errors import NotAuthenticated
from services.common.keyring import Keyring

from ..model import Account, RefreshToken, RevokedToken, SigningKey

# The newest key signs; the one before stays published so tokens it signed still verify.
PUBLISHED_KEYS = 2


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"


# The key-encryption key the private signing keys are sealed under (RENCAI_SIGNING_KEK):
# whoever reads identity's database alone cannot sign a token.
_kek: Keyring | None = None


def configure_kek(settings: Settings) -> None:
    """From RENCAI_SIGNING_KEK[_FILE] (RENCAI_SIGNING_KEK_OLD[_FILE]: retired KEKs, until
    `python -m services.identity.keys rewrap`); refused missing or demo in the stack,
    generated into the keys directory in embedded development."""
    global _kek
    _kek = Keyring.from_env("SIGNING_KEK", settings.development_keys_dir)
    _load_private_key.cache_clear()


def _require_kek() -> Keyring:
    if _kek is None:
        raise RuntimeError("signing KEK not configured (tokens.configure_kek)")
    return _kek


def _new_signing_key() -> SigningKey:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return SigningKey(kid=uuid.uuid4().hex, private_key_sealed=_require_kek().seal(pem),
                      created_at=utcnow())


@lru_cache(maxsize=8)
def _load_private_key(sealed: str):
    return serialization.load_pem_private_key(_require_kek().open(sealed), password=None)


def _signing_key(session: Session) -> SigningKey:
    """The newest key signs. The first login creates one; two processes racing there both
    add a key, both are published, and the newest signs, which is harmless."""
    key = session.scalars(select(SigningKey).order_by(SigningKey.created_at.desc())).first()
    if key is None:
        key = _new_signing_key()
        session.add(key)
    return key


def rotate_signing_key(db: Database) -> str:
    """A new key signs from now on; the previous one stays published, older ones retire."""
    key = _new_signing_key()
    with db.transaction() as session:
        session.add(key)
        session.flush()
        keep = session.scalars(select(SigningKey.kid).order_by(SigningKey.created_at.desc())
                               .limit(PUBLISHED_KEYS)).all()
        session.execute(SigningKey.__table__.delete().where(SigningKey.kid.not_in(keep)))
    return key.kid


def rewrap_signing_keys(db: Database) -> int:
    """After a KEK change (new one in RENCAI_SIGNING_KEK, the old in RENCAI_SIGNING_KEK_OLD):
    every signing key re-sealed under the current KEK; returns how many were."""
    kek, count = _require_kek(), 0
    with db.transaction() as session:
        for key in session.scalars(select(SigningKey)):
            if not kek.is_current(key.private_key_sealed):
                key.private_key_sealed = kek.seal(kek.open(key.private_key_sealed))
                count += 1
    return count


def jwks(db: Database) -> dict:
    with db.reading() as session:
        keys = session.scalars(select(SigningKey).order_by(SigningKey.created_at.desc())
                               .limit(PUBLISHED_KEYS)).all()
    published = []
    for key in keys:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(_load_private_key(key.private_key_sealed).public_key(),
                                                 as_dict=True)
        published.append({**jwk, "kid": key.kid, "use": "sig", "alg": ALGORITHM})
    return {"keys": published}


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(session: Session, settings: Settings, account: Account,
          family_id: str | None = None, method: str = "password") -> TokenPair:
    now = utcnow()
    key = _signing_key(session)
    access_expires_at = now + timedelta(seconds=settings.access_token_seconds)
    claims = {
        "iss": settings.token_issuer, "aud": AUDIENCE, "sub": account.id, "typ": "access",
        "kind": account.kind, "name": account.display_name, "org": account.org_id,
        "roles": account.roles, "iat": now,
        "exp": access_expires_at, "jti": uuid.uuid4().hex, "amr": [method],
    }
    access = jwt.encode(claims, _load_private_key(key.private_key_sealed), algorithm=ALGORITHM,
                        headers={"kid": key.kid})
    refresh = secrets.token_urlsafe(32)
    session.add(RefreshToken(id=str(uuid.uuid4()), token_hash=hash_token(refresh),
                             family_id=family_id or str(uuid.uuid4()), account_id=account.id,
                             expires_at=now + timedelta(seconds=settings.refresh_token_seconds),
                             access_jti=claims["jti"], access_expires_at=access_expires_at))
    return TokenPair(access, refresh, settings.access_token_seconds)


def refresh_tokens(db: Database, settings: Settings, refresh_token: str) -> TokenPair:
    """Rotates a refresh token. A token used twice means it leaked: its family is revoked."""
    with db.transaction() as session:
        token = session.scalars(select(RefreshToken).where(
            RefreshToken.token_hash == hash_token(refresh_token))).first()
        if token is None or token.revoked_at is not None or token.expires_at < utcnow():
            raise NotAuthenticated("登录已过期，请重新登录")
        claimed = session.execute(update(RefreshToken).where(
            RefreshToken.id == token.id, RefreshToken.used_at.is_(None)).values(used_at=utcnow()))
        if claimed.rowcount == 1:
            return issue(session, settings, session.get(Account, token.account_id),
                         token.family_id, method="refresh")
        session.execute(update(RefreshToken).where(RefreshToken.family_id == token.family_id)
                        .values(revoked_at=utcnow()))
        audit.record(session, "token.reuse_detected", "account", token.account_id,
                     subject_id=token.account_id, actor_kind="anonymous",
                     detail={"family_id": token.family_id, "family_revoked": True})
        _deny_issued(session, RefreshToken.family_id == token.family_id)
    # Raised after the commit, so the family's revocation sticks.
    raise NotAuthenticated("登录凭证已失效，请重新登录")


def revoke_family(session: Session, account_id: str, refresh_token: str) -> bool:
    """Logout: the refresh token's whole family ends. Someone else's token is left alone."""
    token = session.scalars(select(RefreshToken).where(
        RefreshToken.token_hash == hash_token(refresh_token))).first()
    if token is None or token.account_id != account_id:
        return False
    session.execute(update(RefreshToken).where(RefreshToken.family_id == token.family_id,
                                               RefreshToken.revoked_at.is_(None))
                    .values(revoked_at=utcnow()))
    _deny_issued(session, RefreshToken.family_id == token.family_id)
    return True


def revoke_all(session: Session, account_id: str) -> None:
    """Every session of the account ends (换绑, 注销): refresh tokens and live access tokens."""
    session.execute(update(RefreshToken).where(RefreshToken.account_id == account_id,
                                               RefreshToken.revoked_at.is_(None))
                    .values(revoked_at=utcnow()))
    _deny_issued(session, RefreshToken.account_id == account_id)


# --- the denylist -------------------------------------------------------------------------

def deny(session: Session, jti: str | None, expires_at: datetime | None,
         account_id: str | None = None) -> None:
    """Puts an access token on the denylist until it would have expired anyway."""
    if not jti or expires_at is None or expires_at <= utcnow():
        return
    if session.get(RevokedToken, jti) is None:
        session.add(RevokedToken(jti=jti, account_id=account_id, expires_at=expires_at,
                                 revoked_at=utcnow()))
        session.flush()


def deny_claims(session: Session, claims) -> None:
    """The caller's own access token (logout with it)."""
    if claims.exp:
        deny(session, claims.jti, datetime.fromtimestamp(claims.exp, timezone.utc), claims.sub)


def _deny_issued(session: Session, which) -> None:
    """The access tokens issued with the refresh tokens `which` selects, still alive."""
    rows = session.execute(select(RefreshToken.access_jti, RefreshToken.access_expires_at,
                                  RefreshToken.account_id)
                           .where(which, RefreshToken.access_jti.is_not(None),
                                  RefreshToken.access_expires_at > utcnow())).all()
    for row in rows:
        deny(session, row.access_jti, row.access_expires_at, row.account_id)


def is_revoked(db: Database, jti: str) -> bool:
    with db.reading() as session:
        return session.get(RevokedToken, jti) is not None


def revocations(db: Database) -> list[dict]:
    """The unexpired denylist, for the services' verifiers in the stack."""
    with db.reading() as session:
        rows = session.execute(select(RevokedToken.jti, RevokedToken.expires_at)
                               .where(RevokedToken.expires_at > utcnow())).all()
    return [{"jti": row.jti, "exp": int(row.expires_at.timestamp())} for row in rows]
