"""Access-token verification shared by the gateway and every service.

identity signs RS256 JWTs and publishes its public keys as a JWKS; everyone else verifies
with the keys fetched from there by PyJWT's PyJWKClient (cached, refreshed when an unknown
key id shows up).
Nobody trusts an identity header a client could set: the claims come from the token alone.
"""
from __future__ import annotations

import copy
import logging
import time
from dataclasses import dataclass, field
from functools import wraps
from typing import Callable

import jwt
from flask import current_app, g, request

from .errors import DomainError, Forbidden, NotAuthenticated

log = logging.getLogger("rencai.auth")
BEARER = [{"bearer": []}]

ALGORITHM = "RS256"
AUDIENCE = "rencai"


@dataclass(frozen=True)
class Claims:
    """Who is asking: the account, its kind, the organisation it acts for, its roles."""

    sub: str
    kind: str  # person | unit | staff
    name: str = ""
    org: str | None = None
    roles: tuple[str, ...] = field(default_factory=tuple)
    # The token's own id and expiry (seconds since the epoch): what logout puts on the denylist.
    jti: str | None = None
    exp: int | None = None

    @classmethod
    def from_payload(cls, payload: dict) -> "Claims":
        return cls(sub=payload["sub"], kind=payload["kind"], name=payload.get("name", ""),
                   org=payload.get("org"), roles=tuple(payload.get("roles", ())),
                   jti=payload.get("jti"), exp=payload.get("exp"))

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @property
    def groups(self) -> set[str]:
        """Candidate groups this account belongs to, e.g. {'supervisor:<org id>'}."""
        groups = {f"{role}:{self.org}" for role in self.roles if self.org}
        if self.kind == "person":
            groups.add(f"person:{self.sub}")
        return groups


# --- who is an administrator (one meaning in every service) --------------------------------

def is_admin(claims: Claims) -> bool:
    """A platform administrator: a staff account holding the role admin. Only staff accounts
    are given staff roles (identity's STAFF_ROLES); checking the kind as well means a unit or
    person token that somehow carried "admin" is still not one."""
    return claims.kind == "staff" and claims.has_role("admin")


class IdentityUnavailable(DomainError):
    status, code, title = 503, "identity-unavailable", "服务暂不可用"


class InProcessJWKClient(jwt.PyJWKClient):
    """PyJWKClient whose key set comes from a function, not a URL: identity verifying its own
    tokens, and the embedded system (every service in one process), read identity's keys
    through its use case instead of making an HTTP request to themselves. Caching, refresh on
    an unknown key id and the cooldown between refreshes are PyJWKClient's own."""

    # PyJWKClient insists on an http(s) URI; this one is never opened (fetch_data is ours).
    _NOWHERE = "http://in-process.invalid/.well-known/jwks.json"

    def __init__(self, fetch_jwks: Callable[[], dict], **options):
        super().__init__(self._NOWHERE, **options)
        self._fetch_jwks = fetch_jwks

    def fetch_data(self) -> dict:
        jwk_set = self._fetch_jwks()
        if self.jwk_set_cache is not None:
            self.jwk_set_cache.put(jwk_set)
        self._last_successful_fetch = time.monotonic()
        return jwk_set


class TokenVerifier:
    """Verifies access tokens against identity's JWKS, fetched and cached by PyJWKClient:
    from a URL in the stack (`from_url`), or from a function returning the key set
    in-process (`TokenVerifier(lambda: jwks(db), ...)`). A key id not seen yet refetches the
    set, at most once every `min_refresh_seconds`; the whole set is refetched every
    `KEYS_LIFESPAN` seconds, so a retired key stops being trusted.

    `is_revoked(jti)` is the denylist: tokens ended by logout or a revoked refresh family
    are refused before they expire. identity looks in its own table; every other service in
    its own copy of it (services/common/denylist.py, `with_denylist`). The gateway checks the
    signature only, to stop strangers early: whatever it forwards, the service checks."""

    KEYS_LIFESPAN = 300.0

    def __init__(self, keys: jwt.PyJWKClient | Callable[[], dict], issuer: str,
                 min_refresh_seconds=5.0, is_revoked: Callable[[str], bool] | None = None):
        self._client = keys if isinstance(keys, jwt.PyJWKClient) else InProcessJWKClient(
            keys, lifespan=self.KEYS_LIFESPAN, cooldown_duration=min_refresh_seconds)
        self._issuer = issuer
        self.is_revoked = is_revoked

    @classmethod
    def from_url(cls, url: str, issuer: str,
                 is_revoked: Callable[[str], bool] | None = None) -> "TokenVerifier":
        return cls(jwt.PyJWKClient(url, lifespan=cls.KEYS_LIFESPAN, cooldown_duration=5.0,
                                   timeout=5), issuer, is_revoked=is_revoked)

    def with_denylist(self, is_revoked: Callable[[str], bool]) -> "TokenVerifier":
        """The same keys (and their cache), refusing what `is_revoked` names."""
        checking = copy.copy(self)
        checking.is_revoked = is_revoked
        return checking

    def _key(self, kid: str):
        try:
            return self._client.get_signing_key(kid).key
        except (jwt.PyJWKClientConnectionError, jwt.PyJWKSetError):  # unreachable, or no keys
            log.warning("identity's public keys could not be fetched from %s", self._client.uri)
            raise IdentityUnavailable("身份服务暂不可用，请稍后再试") from None
        except jwt.PyJWKClientError:  # no key with that id, even after a refresh
            return None

    def verify(self, token: str) -> Claims:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise NotAuthenticated("登录凭证格式不正确，请重新登录")
        if header.get("alg") != ALGORITHM:
            raise NotAuthenticated("登录凭证无效，请重新登录")
        key = self._key(header.get("kid", ""))
        if key is None:
            raise NotAuthenticated("登录凭证无效，请重新登录")
        try:
            payload = jwt.decode(token, key, algorithms=[ALGORITHM], audience=AUDIENCE,
                                 issuer=self._issuer, options={"require": ["exp", "sub"]})
        except jwt.ExpiredSignatureError:
            raise NotAuthenticated("登录已过期，请重新登录")
        except jwt.PyJWTError:
            raise NotAuthenticated("登录凭证无效，请重新登录")
        if payload.get("typ") != "access":
            raise NotAuthenticated("登录凭证无效，请重新登录")
        if self.is_revoked is not None:
            jti = payload.get("jti")
            if not isinstance(jti, str) or not jti:  # could never be revoked: not ours
                raise NotAuthenticated("登录凭证无效，请重新登录")
            if self.is_revoked(jti):
                raise NotAuthenticated("登录已退出或凭证已作废，请重新登录")
        return Claims.from_payload(payload)


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def current_claims() -> Claims:
    """The verified caller of this request, or 401."""
    if "claims" not in g:
        token = bearer_token()
        if not token:
            raise NotAuthenticated("请先登录")
        g.claims = current_app.extensions["rencai.verifier"].verify(token)
    return g.claims


def login_required(*roles: str, kinds: tuple[str, ...] = ()):
    """Require a verified caller; optionally one of `roles` or of account `kinds`."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            claims = current_claims()
            if roles and not any(claims.has_role(role) for role in roles):
                raise Forbidden("当前账号无权进行此操作")
            if kinds and claims.kind not in kinds:
                raise Forbidden("当前账号类型无权进行此操作")
            return view(*args, **kwargs)

        declare_bearer(wrapper)
        return wrapper

    return decorator


def declare_bearer(view) -> None:
    """Marks a view as needing a token in its OpenAPI operation (services/common/openapi.py
    makes the document). Here, not there: the gateway checks tokens without loading
    flask-smorest and SQLAlchemy."""
    apidoc = dict(getattr(view, "_apidoc", {}))
    apidoc["manual_doc"] = {**apidoc.get("manual_doc", {}), "security": BEARER}
    view._apidoc = apidoc
