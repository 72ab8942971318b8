"""The web client's session and security, through the gateway in process: CSRF on forms (not
on the bearer-token API), the token pair kept server-signed and refreshed with rotation,
退出登录 revoking it, safe redirects after signing in, headers, cache-busting static files."""
from __future__ import annotations

import re

import pytest

from tests.support import DEMO_PASSWORD


def csrf_of(client, path="/login") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"',
                     client.get(path).get_data(as_text=True)).group(1)


@pytest.fixture
def browser(embedded):
    return embedded.gateway.test_client()


def sign_in(client, username="zhangsan", next_path=None):
    query = f"?next={next_path}" if next_path else ""
    return client.post("/login" + query, data={"csrf_token": csrf_of(client), "username": username,
                                               "password": DEMO_PASSWORD})


def test_forms_need_the_csrf_token_but_the_json_api_does_not(browser):
    refused = browser.post("/login", data={"username": "zhangsan", "password": DEMO_PASSWORD})
    assert refused.status_code == 400 and "页面已过期" in refused.get_data(as_text=True)
    assert browser.post("/api/identity/tokens", json={
        "username": "zhangsan", "password": DEMO_PASSWORD}).status_code == 201
    assert sign_in(browser).status_code == 302


def test_the_token_pair_is_refreshed_with_rotation_before_it_expires(browser):
    sign_in(browser)
    with browser.session_transaction() as session:
        old = dict(session["tokens"])
        session["tokens"] = {**old, "exp": 0}  # as if the access token had run out
    assert browser.get("/").status_code == 200
    with browser.session_transaction() as session:
        new = session["tokens"]
    assert new["r"] != old["r"] and new["a"] != old["a"] and new["exp"] > 0
    # The spent refresh token is dead (rotation); the page's new one lives.
    assert browser.post("/api/identity/tokens/refresh",
                        json={"refresh_token": old["r"]}).status_code == 401


def test_logout_revokes_the_refresh_token_and_forgets_the_session(browser):
    sign_in(browser)
    with browser.session_transaction() as session:
        refresh = session["tokens"]["r"]
    reply = browser.post("/logout", data={"csrf_token": csrf_of(browser, "/me")})
    assert reply.status_code == 302
    assert browser.post("/api/identity/tokens/refresh",
                        json={"refresh_token": refresh}).status_code == 401
    assert browser.get("/me").headers["Location"].startswith("/login")


def test_a_session_the_api_no_longer_accepts_sends_the_user_to_sign_in(browser):
    sign_in(browser)
    with browser.session_transaction() as session:
        session["tokens"] = {**session["tokens"], "a": "not-a-token", "r": "revoked"}
    reply = browser.get("/applications")
    assert reply.status_code == 302 and reply.headers["Location"].startswith("/login")


def test_only_a_path_on_this_site_is_followed_after_signing_in(browser):
    assert sign_in(browser, next_path="/applications").headers["Location"] == "/applications"
    browser.post("/logout", data={"csrf_token": csrf_of(browser, "/me")})
    assert sign_in(browser, next_path="//evil.example/").headers["Location"] == "/"


def test_pages_carry_a_strict_policy_and_the_cookie_is_http_only(browser):
    reply = browser.get("/login")
    csp = reply.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe" not in csp
    assert "frame-ancestors 'none'" in csp and reply.headers["X-Frame-Options"] == "DENY"
    signed = sign_in(browser)
    cookie = signed.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    secure = browser.post("/login", base_url="https://localhost", data={
        "csrf_token": csrf_of(browser), "username": "zhangsan", "password": DEMO_PASSWORD},
        headers={"Referer": "https://localhost/login"})
    assert "Secure" in secure.headers.get("Set-Cookie", "")


def test_static_files_have_hashed_names_and_long_cache(browser):
    from gateway.web import assets

    page = browser.get("/login").get_data(as_text=True)
    own = re.search(r'href="(/static/app\.css\?v=[0-9a-f]{12})"', page).group(1)
    reply = browser.get(own)
    assert reply.status_code == 200 and "immutable" in reply.headers["Cache-Control"]
    vendored = assets.manifest().get("htmx.js")
    if vendored:  # built by `make install`
        assert f'/static/{vendored}' in page
        assert re.fullmatch(r"vendor/htmx\.[0-9a-f]{12}\.js", vendored)
        assert "immutable" in browser.get(f"/static/{vendored}").headers["Cache-Control"]
    assert "max-age=300" in browser.get("/static/app.css").headers["Cache-Control"]


def test_unknown_pages_are_a_page_and_unknown_api_paths_stay_problems(browser):
    page = browser.get("/no-such-page")
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "您访问的页面不存在" in page.get_data(as_text=True)
    api = browser.get("/api/payroll/x")
    assert api.status_code == 404 and api.mimetype == "application/problem+json"


def test_a_business_that_cannot_start_says_why_before_the_form(browser):
    sign_in(browser, "zhouqi")  # not affiliated
    page = browser.get("/apply/plan_project").get_data(as_text=True)
    assert "暂不能办理：您未关联单位，请先关联单位后再办理此业务" in page
    assert 'href="/affiliation"' in page and "<form method=\"post\" enctype" not in page
    browser.post("/logout", data={"csrf_token": csrf_of(browser, "/me")})
    sign_in(browser, "zhangsan")
    assert 'name="project_name"' in browser.get("/apply/plan_project").get_data(as_text=True)
