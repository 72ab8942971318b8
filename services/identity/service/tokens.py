"""Signing keys (rotation, JWKS), access + refresh token issue, rotation, logout, and the
denylist of access tokens ended before their expiry: identity's verifier reads it here; every
other service keeps its own copy from identity.tokens.revoked (services/common/denylist.py)."""
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
from services.common.bus import Outbox
from services.common.config import Settings
from services.common.db import Database, utcnow
from services.common.denylist import TOKENS_REVOKED
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


def refresh_tokens(db: Database, outbox: Outbox, settings: Settings,
                   refresh_token: str) -> TokenPair:
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
        deny(session, outbox, token.account_id,
             _issued(session, RefreshToken.family_id == token.family_id))
    # Raised after the commit, so the family's revocation sticks.
    raise NotAuthenticated("登录凭证已失效，请重新登录")


def revoke_family(session: Session, outbox: Outbox, claims, refresh_token: str) -> bool:
    """Logout: the refresh token's whole family ends, and the access token presented with it.
    Someone else's refresh token is left alone."""
    token = session.scalars(select(RefreshToken).where(
        RefreshToken.token_hash == hash_token(refresh_token))).first()
    if token is None or token.account_id != claims.sub:
        return False
    session.execute(update(RefreshToken).where(RefreshToken.family_id == token.family_id,
                                               RefreshToken.revoked_at.is_(None))
                    .values(revoked_at=utcnow()))
    deny(session, outbox, claims.sub,
         _issued(session, RefreshToken.family_id == token.family_id) + _presented(claims))
    return True


def revoke_all(session: Session, outbox: Outbox, account_id: str, presented=None) -> None:
    """Every session of the account ends (换绑, 注销, an admin's reset): refresh tokens and
    live access tokens (`presented`: the claims of the one making this request, too)."""
    session.execute(update(RefreshToken).where(RefreshToken.account_id == account_id,
                                               RefreshToken.revoked_at.is_(None))
                    .values(revoked_at=utcnow()))
    deny(session, outbox, account_id,
         _issued(session, RefreshToken.account_id == account_id) + _presented(presented))


# --- the denylist -------------------------------------------------------------------------

def deny(session: Session, outbox: Outbox, account_id: str,
         entries: list[tuple[str, datetime]]) -> None:
    """Puts access tokens (jti, expiry) on the denylist until they would have expired anyway,
    and publishes them in the same transaction (identity.tokens.revoked, applied by every
    other service before the response: services/common/denylist.py)."""
    now, fresh = utcnow(), {}
    for jti, expires_at in entries:
        if jti and expires_at is not None and expires_at > now:
            fresh[jti] = expires_at
    if not fresh:
        return
    known = set(session.scalars(select(RevokedToken.jti)
                                .where(RevokedToken.jti.in_(list(fresh)))))
    session.add_all(RevokedToken(jti=jti, account_id=account_id, expires_at=expires_at,
                                 revoked_at=now)
                    for jti, expires_at in fresh.items() if jti not in known)
    session.flush()
    outbox.add(session, TOKENS_REVOKED, account_id,
               {"tokens": [{"jti": jti, "exp": int(expires_at.timestamp())}
                           for jti, expires_at in fresh.items()]})


def _presented(claims) -> list[tuple[str, datetime]]:
    """The access token of the request at hand (logout, closure with it)."""
    if claims is None or not claims.exp:
        return []
    return [(claims.jti, datetime.fromtimestamp(claims.exp, timezone.utc))]


def _issued(session: Session, which) -> list[tuple[str, datetime]]:
    """The access tokens issued with the refresh tokens `which` selects, still alive."""
    return [(row.access_jti, row.access_expires_at) for row in session.execute(
        select(RefreshToken.access_jti, RefreshToken.access_expires_at)
        .where(which, RefreshToken.access_jti.is_not(None),
               RefreshToken.access_expires_at > utcnow()))]


def is_revoked(db: Database, jti: str) -> bool:
    with db.reading() as session:
        return session.get(RevokedToken, jti) is not None


