"""Third-party sign-in through OpenID Connect (Authlib's OAuth2 client, authorization code
with PKCE; the ID token checked with the provider's JWKS): an external identity, once
linked to an account from the personal centre, signs that account in."""
from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

import jwt
import requests
from authlib.common.security import generate_token
from sqlalchemy import select, update

from services.common.auth import Claims
from services.common.config import Settings
from services.common.db import Database, utcnow
from services.common.errors import (Conflict, DomainError, NotAuthenticated, NotFound,
                                    ValidationFailed)

from ..config import IdentityConfig
from ..model import Account, ExternalIdentity, OidcState
from .base import audit
from .logins import _succeed

if TYPE_CHECKING:
    from authlib.integrations.requests_client import OAuth2Session


class ProviderUnavailable(DomainError):
    status, code, title = 502, "provider-unavailable", "第三方平台暂不可用"


class NotLinked(Conflict):
    code, title = "oidc-not-linked", "第三方账号尚未关联"


def _provider(config: IdentityConfig, name: str) -> dict:
    provider = config.oidc_providers.get(name)
    if provider is None:
        raise NotFound("不支持该第三方登录方式")
    return provider


def _metadata(provider: dict) -> dict:
    try:
        url = provider["issuer"].rstrip("/") + "/.well-known/openid-configuration"
        response = requests.get(url, timeout=5)
        response.raise_for_status()
        return response.json()
    except (requests.RequestException, ValueError):
        raise ProviderUnavailable("第三方平台暂不可用，请稍后重试或使用其他方式登录") from None


def _client(provider: dict) -> OAuth2Session:
    # Authlib's client (≈ 160 modules, 2.3 MiB) only when a provider is used: not in every
    # identity process (docs/performance.md, "Lazy imports (helper memtrim, sixth session)").
    from authlib.integrations.requests_client import OAuth2Session

    return OAuth2Session(provider["client_id"], provider["client_secret"],
                         scope="openid profile", redirect_uri=provider["redirect_uri"],
                         code_challenge_method="S256")


def providers(config: IdentityConfig) -> list[dict]:
    return [{"name": name, "title": provider.get("title", name)}
            for name, provider in config.oidc_providers.items()]


def authorize(db: Database, config: IdentityConfig, name: str,
              link_account_id: str | None = None) -> dict:
    """Where to send the browser: the provider's sign-in page, with state, nonce and PKCE."""
    provider = _provider(config, name)
    metadata = _metadata(provider)
    state = OidcState(state=generate_token(32), provider=name, nonce=generate_token(32),
                      code_verifier=generate_token(64), link_account_id=link_account_id,
                      expires_at=utcnow() + timedelta(seconds=config.oidc_state_seconds))
    url, _ = _client(provider).create_authorization_url(
        metadata["authorization_endpoint"], state=state.state, nonce=state.nonce,
        code_verifier=state.code_verifier)
    with db.transaction() as session:
        session.execute(OidcState.__table__.delete().where(
            OidcState.expires_at < utcnow() - timedelta(hours=1)))
        session.add(state)
    return {"authorization_url": url, "state": state.state}


def _subject(provider: dict, metadata: dict, state: OidcState, code: str) -> str:
    from authlib.integrations.base_client.errors import OAuthError

    try:
        token = _client(provider).fetch_token(metadata["token_endpoint"], code=code,
                                              code_verifier=state.code_verifier)
    except (OAuthError, requests.RequestException, ValueError):
        raise NotAuthenticated("第三方授权失败，请重新登录", {"code": "授权码无效或已过期"}) from None
    id_token = token.get("id_token")
    if not id_token:
        raise NotAuthenticated("第三方平台未返回身份令牌")
    try:
        keys = jwt.PyJWKSet.from_dict(requests.get(metadata["jwks_uri"], timeout=5).json())
        kid = jwt.get_unverified_header(id_token).get("kid")
        key = next(k.key for k in keys.keys if k.key_id == kid or kid is None)
        claims = jwt.decode(id_token, key, algorithms=["RS256", "ES256"],
                            audience=provider["client_id"], issuer=metadata["issuer"],
                            options={"require": ["exp", "iat", "sub"]})
    except (jwt.PyJWTError, StopIteration, requests.RequestException, ValueError):
        raise NotAuthenticated("第三方身份令牌无效") from None
    if claims.get("nonce") != state.nonce:
        raise NotAuthenticated("第三方身份令牌无效")
    return str(claims["sub"])


def callback(db: Database, settings: Settings, config: IdentityConfig, name: str,
             body: dict) -> dict:
    """The browser comes back with state and code: sign in, or link (when started signed in)."""
    errors = {key: "必填项" for key in ("state", "code") if not body.get(key)}
    if errors:
        raise ValidationFailed("缺少授权回调参数", errors)
    provider = _provider(config, name)
    with db.transaction() as session:
        state = session.get(OidcState, str(body["state"]))
        claimed = state is not None and state.provider == name and session.execute(
            update(OidcState).where(OidcState.state == state.state, OidcState.used_at.is_(None))
            .values(used_at=utcnow())).rowcount == 1
    if not claimed or state.expires_at < utcnow():
        raise ValidationFailed("登录请求已失效，请重新发起第三方登录",
                               {"state": "登录请求已失效，请重新发起"})
    subject = _subject(provider, _metadata(provider), state, str(body["code"]))
    with db.reading() as session:
        link = session.scalars(select(ExternalIdentity).where(
            ExternalIdentity.provider == name, ExternalIdentity.subject == subject)).first()
    if state.link_account_id:
        if link is not None and link.account_id != state.link_account_id:
            raise Conflict("该第三方账号已关联其他平台账号")
        if link is None:
            with db.transaction() as session:
                session.add(ExternalIdentity(id=str(uuid.uuid4()), provider=name,
                                             subject=subject, account_id=state.link_account_id,
                                             linked_at=utcnow()))
                audit(session, "external.linked", state.link_account_id, provider=name)
        return {"linked": True, "provider": name}
    if link is None:
        raise NotLinked("该第三方账号尚未关联平台账号，请先用账号密码登录，在个人中心关联后再使用")
    with db.reading() as session:
        account = session.get(Account, link.account_id)
    return {"linked": True, "provider": name,
            "tokens": _succeed(db, settings, account, f"oidc:{name}").__dict__}


def my_links(db: Database, claims: Claims) -> list[dict]:
    with db.reading() as session:
        rows = session.scalars(select(ExternalIdentity).where(
            ExternalIdentity.account_id == claims.sub)).all()
    return [{"provider": row.provider, "linked_at": row.linked_at} for row in rows]
