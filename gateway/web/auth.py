"""The browser's session: the token pair lives in Flask's signed, HttpOnly, SameSite=Lax
cookie (Secure behind https) — page JavaScript never sees it. The access token is refreshed
(with rotation, by identity) shortly before it expires or on a 401; 退出登录 revokes the
refresh chain at identity and clears the cookie."""
from __future__ import annotations

import functools
import time

from flask import current_app, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface

from .client import ApiClient, ApiError

REFRESH_MARGIN = 30  # seconds before expiry when the page refreshes first


def is_page(path: str) -> bool:
    """The web client's (pages, static files), not the JSON API's nor the health check."""
    return not (path.startswith("/api/") or path == "/healthz")


class SessionInterface(SecureCookieSessionInterface):
    """Secure cookies whenever the browser came over https (directly or via a proxy that
    ProxyFix trusts), without a setting to forget. The JSON API authenticates by bearer
    token, never by this cookie: there no session is opened (building the signer and
    reading the cookie cost ≈ 6 % of a proxied request's CPU) nor sent back."""

    def open_session(self, app, request):
        if not is_page(request.path):
            return None  # Flask's null session: nothing read, nothing saved
        return super().open_session(app, request)

    def get_cookie_secure(self, app) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure


def backends() -> dict:
    return current_app.extensions["rencai.backends"]


def signed_in() -> bool:
    return "tokens" in session


def user() -> dict | None:
    return session.get("user")


def _store(pair: dict) -> None:
    session["tokens"] = {"a": pair["access_token"], "r": pair["refresh_token"],
                         "exp": int(time.time()) + int(pair.get("expires_in") or 300)}


def _refresh() -> bool:
    tokens = session.get("tokens")
    if not tokens:
        return False
    try:
        pair = ApiClient(backends()).post("identity", "tokens/refresh",
                                          {"refresh_token": tokens["r"]})
    except ApiError:
        session.clear()
        return False
    _store(pair)
    return True


def _access_token() -> str | None:
    tokens = session.get("tokens")
    if not tokens:
        return None
    if tokens["exp"] - time.time() < REFRESH_MARGIN and not _refresh():
        return None
    return session["tokens"]["a"]


def api() -> ApiClient:
    """The API client of this request, acting as the signed-in user (or anonymous)."""
    if "api" not in g:
        g.api = ApiClient(backends(), _access_token, _refresh)
    return g.api


def sign_in(pair: dict) -> dict:
    """Keeps a token pair from any way in (password, SMS, QR, registration); the account."""
    session.clear()
    _store(pair)
    me = api().get("identity", "me")
    session["user"] = {"id": me["id"], "name": me.get("real_name") or me["display_name"],
                       "username": me["username"], "kind": me["kind"],
                       "verified": me.get("verified", False),
                       # the unit and review pages: whose unit, which staff role
                       "org_id": me.get("org_id"), "roles": me.get("roles") or []}
    session.permanent = True
    return me


def refresh_user(**changes) -> None:
    if session.get("user"):
        session["user"] = {**session["user"], **changes}


def sign_out() -> None:
    tokens = session.get("tokens")
    if tokens:
        try:
            api().post("identity", "tokens/revoke", {"refresh_token": tokens["r"]})
        except ApiError:
            pass  # already expired or revoked: nothing left to revoke
    session.clear()


def login_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not signed_in():
            return redirect(url_for("person.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)
    return wrapped


def safe_next(target: str | None, default: str) -> str:
    """Only a path on this site (no //host, no scheme) is followed after signing in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default
