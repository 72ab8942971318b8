"""Browser tests: Playwright for Python driving Debian's Chromium (RENCAI_CHROMIUM, else
/usr/bin/chromium; Playwright's own download does not work everywhere) against the embedded
system served on a free port by werkzeug in a thread. ONE browser and ONE embedded system per
session; each test gets a fresh browser context (its own cookies)."""
from __future__ import annotations

import os
import re
import shutil
import threading
from pathlib import Path

import pytest

from services.common.config import PROJECT_ROOT

SCREENSHOTS = PROJECT_ROOT / "var" / "screenshots"
# The development SMS sender's side channel (GET /api/identity/dev/sms) is on only here; set
# at import, before the session's embedded system is built.
os.environ.setdefault("RENCAI_ENV", "development")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]


def chromium_path() -> str | None:
    configured = os.environ.get("RENCAI_CHROMIUM")
    if configured:
        return configured
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


@pytest.fixture(scope="session")
def oidc_provider():
    from .oidc_provider import Provider

    provider = Provider()
    yield provider
    provider.close()


@pytest.fixture(scope="session")
def web(embedded, oidc_provider):
    """The session's one embedded system (tests/conftest.py, demo data), its gateway served
    over HTTP on a free port: (base_url, system). One system per process: two would share
    kombu's in-memory bus. Identity gets one third-party provider for these tests."""
    from werkzeug.serving import make_server

    from gateway.web import assets

    if not assets.MANIFEST.exists():
        assets.ensure()
    server = make_server("127.0.0.1", 0, embedded.gateway, threaded=True)
    base_url = f"http://127.0.0.1:{server.port}"
    providers = embedded.apps["identity"].extensions["rencai.identity"].config.oidc_providers
    providers["gov"] = {
        "title": "国家政务服务平台", "issuer": oidc_provider.url, "client_id": "rencai",
        "client_secret": "s3cret", "redirect_uri": f"{base_url}/oidc/gov/callback"}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base_url, embedded
    server.shutdown()
    providers.pop("gov", None)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not chromium_path() and not shutil.which("chromium"):
        pytest.fail("no Chromium: install Debian's chromium or set RENCAI_CHROMIUM")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, web):
    context = browser.new_context(base_url=web[0], locale="zh-CN",
                                  viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15000)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.console_errors = errors
    yield page
    context.close()


AXE = None


def check_page(page, name: str) -> None:
    """Every page: axe-core finds no serious or critical violation, the browser logged no
    error (a CSP refusal shows up there), and screenshots at 1280 and 390 px are saved."""
    global AXE
    from gateway.web import assets

    if AXE is None:
        AXE = (assets.HERE / "static" / assets.manifest()["axe.js"]).read_text("utf-8")
    page.wait_for_load_state("load")
    # Evaluated through the DevTools protocol: not subject to the page's CSP.
    page.evaluate(AXE)
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => v.id + ': ' + v.help + ' @ ' + v.nodes.map(n => n.target.join(' ')).join(', '));
    }""")
    assert result == [], f"{name}: accessibility violations:\n" + "\n".join(result)
    csp = [e for e in page.console_errors if "Content Security Policy" in e or "Refused" in e]
    assert csp == [], f"{name}: {csp}"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    safe = re.sub(r"[^\w.-]+", "_", name)
    page.screenshot(path=str(SCREENSHOTS / f"{safe}-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(150)  # responsive widgets (the cropper) lay out again
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= 390, f"{name}: the page is {overflow} px wide at a 390 px phone"
    page.screenshot(path=str(SCREENSHOTS / f"{safe}-390.png"), full_page=True)
    page.set_viewport_size(size)


def captcha_answer(system, page) -> str:
    """The captcha's answer, read from identity's store (as a person reads the image)."""
    from services.identity.model import Captcha

    captcha_id = page.locator("input[name=captcha_id]").first.input_value()
    with system.kit("identity").db.reading() as session:
        return session.get(Captcha, captcha_id).answer


def sms_code(base_url: str, phone: str) -> str:
    """The last code the development SMS sender 'sent' to the phone."""
    import requests

    reply = requests.get(f"{base_url}/api/identity/dev/sms", params={"phone": phone}, timeout=10)
    assert reply.status_code == 200, reply.text
    latest = max(reply.json()["messages"], key=lambda m: m["sent_at"])
    text = latest["text"]
    return re.search(r"\d{6}", text).group(0)


def sign_in(page, username: str, password: str = "Rencai@2026") -> None:
    page.goto("/login")
    page.get_by_label("账号").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/(\?.*)?$|/[a-z]"))


_serial = iter(range(10_000, 99_999))


def new_citizen() -> dict:
    """A fresh username, phone and valid (GB 11643) ID number for a registration test."""
    from services.identity.rules import with_check_digit

    n = next(_serial)
    first17 = f"11010519900101{n % 1000:03d}"
    return {"username": f"web{os.getpid() % 1000}{n}", "phone": f"139{os.getpid() % 1000:03d}{n:05d}",
            "name": "测试" + "".join("零一二三四五六七八九"[int(d)] for d in str(n)), "id_number": with_check_digit(first17),
            "password": "Webtest2026x"}


def register_in_browser(page, web, who: dict | None = None) -> dict:
    """注册 → 实名认证 → 完成 in the browser; the new citizen (signed in)."""
    who = submit_registration(page, web, who or new_citizen())
    page.get_by_role("link", name="进入办事大厅").wait_for()
    return who


def submit_registration(page, web, who: dict) -> dict:
    """注册 in the browser, then 实名认证 submitted with consent (what it answers is the
    caller's to check)."""
    base_url, system = web
    page.goto("/register")
    page.get_by_label("用户名").fill(who["username"])
    page.get_by_label("手机号").fill(who["phone"])
    page.get_by_label("图形验证码").fill(captcha_answer(system, page))
    page.get_by_role("button", name="获取验证码").click()
    page.get_by_label("短信验证码").fill(sms_code(base_url, who["phone"]))
    page.get_by_label("设置密码").fill(who["password"])
    page.get_by_label("确认密码").fill(who["password"])
    page.get_by_label("我已阅读并同意").check()
    page.get_by_role("button", name="注册", exact=True).click()
    page.get_by_label("姓名").fill(who["name"])
    page.get_by_label("身份证号").fill(who["id_number"])
    page.get_by_label("我已阅读并同意上述告知").check()
    page.get_by_role("button", name="认证", exact=True).click()
    return who


def api(web):
    """The JSON API over HTTP, for what other people (reviewers, units) do meanwhile; its
    `eventually` delivers the bus's pending events (the embedded system runs no bus threads)."""
    from tests.support import Gateway, StaffSessions

    # One record of TOTP steps per system (a code is good once), whoever signs staff in.
    staff = web[1].__dict__.setdefault("test_staff_sessions", StaffSessions())
    return Gateway(Gateway.over_http(web[0]).send, web[1].settle, staff=staff)


def jpeg(width: int = 600, height: int = 800) -> bytes:
    import io

    from PIL import Image

    picture = io.BytesIO()
    Image.new("RGB", (width, height), (40, 90, 160)).save(picture, "JPEG")
    return picture.getvalue()


def citizen_via_api(web) -> dict:
    """A new, verified citizen registered over the API (quicker than the pages when the
    registration is not what a test is about; the demo accounts stay as they are)."""
    import requests

    from services.identity.model import Captcha

    base_url, system = web
    who = new_citizen()
    captcha = requests.post(f"{base_url}/api/identity/captchas", timeout=10).json()
    with system.kit("identity").db.reading() as session:
        answer = session.get(Captcha, captcha["captcha_id"]).answer
    sent = requests.post(f"{base_url}/api/identity/sms-codes", json={
        "phone": who["phone"], "purpose": "register", "captcha_id": captcha["captcha_id"],
        "captcha_code": answer}, timeout=10)
    assert sent.status_code == 201, sent.text
    registered = requests.post(f"{base_url}/api/identity/registrations", json={
        "username": who["username"], "phone": who["phone"],
        "sms_code": sms_code(base_url, who["phone"]), "password": who["password"],
        "password_confirm": who["password"], "agree": True}, timeout=10)
    assert registered.status_code == 201, registered.text
    token = registered.json()["tokens"]["access_token"]
    verified = requests.post(f"{base_url}/api/identity/me/real-name", json={
        "name": who["name"], "id_number": who["id_number"], "consent": True},
        headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert verified.status_code == 200, verified.text
    system.settle()  # person.verified reaches workflow (competitions check it)
    return who


@pytest.fixture
def ip_guard_kept(web):
    """A test that fails a password on purpose leaves the shared system's per-IP failure
    count as it found it (the other tests sign in from the same 127.0.0.1)."""
    from services.identity.model import LoginGuard

    db = web[1].kit("identity").db
    with db.reading() as session:
        before = {g.key: (g.failures, g.window_start, g.locked_until)
                  for g in session.query(LoginGuard).filter(LoginGuard.key.like("ip:%"))}
    yield
    with db.transaction() as session:
        for guard in session.query(LoginGuard).filter(LoginGuard.key.like("ip:%")):
            if guard.key not in before:
                session.delete(guard)
            else:
                guard.failures, guard.window_start, guard.locked_until = before[guard.key]
