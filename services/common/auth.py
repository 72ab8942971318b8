"""Access-token verification shared by the gateway and every service.

identity signs RS256 JWTs and publishes its public keys as a JWKS; everyone else verifies
with the keys fetched from there (cached, refreshed when an unknown key id shows up).
Nobody trusts an identity header a client could set: the claims come from the token alone.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from functools import wraps
from typing import Callable

import jwt
from flask import current_app, g, request

from .errors import Forbidden, NotAuthenticated
from .openapi import declare_bearer

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

    @classmethod
    def from_payload(cls, payload: dict) -> "Claims":
        return cls(sub=payload["sub"], kind=payload["kind"], name=payload.get("name", ""),
                   org=payload.get("org"), roles=tuple(payload.get("roles", ())))

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @property
    def groups(self) -> set[str]:
        """Candidate groups this account belongs to, e.g. {'supervisor:<org id>'}."""
        groups = {f"{role}:{self.org}" for role in self.roles if self.org}
        if self.kind == "person":
            groups.add(f"person:{self.sub}")
        return groups


class TokenVerifier:
    """Verifies access tokens against a JWKS obtained from `fetch_jwks` (URL or callable)."""

    def __init__(self, fetch_jwks: Callable[[], dict], issuer: str, min_refresh_seconds=5.0):
        self._fetch_jwks = fetch_jwks
        self._issuer = issuer
        self._keys: dict[str, object] = {}
        self._fetched_at = 0.0
        self._min_refresh = min_refresh_seconds
        self._lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str, issuer: str) -> "TokenVerifier":
        import requests

        session = requests.Session()

        def fetch():
            response = session.get(url, timeout=5)
            response.raise_for_status()
            return response.json()

        return cls(fetch, issuer)

    def _key(self, kid: str):
        with self._lock:
            if kid not in self._keys and time.monotonic() - self._fetched_at > self._min_refresh:
                jwks = jwt.PyJWKSet.from_dict(self._fetch_jwks())
                self._keys = {key.key_id: key.key for key in jwks.keys}
                self._fetched_at = time.monotonic()
            return self._keys.get(kid)

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
