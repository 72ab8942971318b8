"""Signing in through the gateway: by username, phone or ID number (+ captcha), by SMS,
staff with TOTP, lockout per account and per IP, logout, key rotation, QR-code sign-in,
and the audit log of all of it."""
from datetime import timedelta

import jwt
import pyotp
import pytest
from sqlalchemy import select, update

from services.common.db import utcnow
from services.identity.model import AuditEvent, QrLogin
from services.identity.service import create_account
from tests.service.identity_harness import Harness, new_id_number


@pytest.fixture(scope="module")
def h(tmp_path_factory):
    harness = Harness(tmp_path_factory.mktemp("identity-logins"), account_lock_failures=3,
                      ip_lock_failures=6)
    yield harness
    harness.close()


@pytest.fixture(scope="module")
def admin_account(h):
    create_account(h.db, h.kit.outbox, username="loginadmin", kind="staff",
                   display_name="管理员", password="Admin12345", org_id="org-1", roles=["admin"])
    return "loginadmin"


@pytest.fixture
def admin(h, admin_account):
    """A fresh token for each test: one made once per module expires when the suite runs
    slowly (tokens live 15 minutes)."""
    reply = h.call("POST", "/tokens", {"username": admin_account, "password": "Admin12345"})
    return reply.get_json()["access_token"]


def login(h, username, password="abc123", ip=None, **extra):
    return h.call("POST", "/tokens", {"username": username, "password": password, **extra},
                  ip=ip or h.new_ip())


def actions(h, account_id):
    with h.db.reading() as session:
        return [row.action for row in session.scalars(
            select(AuditEvent).where(AuditEvent.account_id == account_id)
            .order_by(AuditEvent.at))]


def test_sign_in_by_username_phone_or_id_number(h):
    done = h.register("threeways1")
    id_number = new_id_number()
    h.call("POST", "/me/real-name", {"name": "林冲", "id_number": id_number}, token=done["token"])
    for login_name in ("threeways1", done["phone"], id_number, id_number.lower()):
        reply = login(h, login_name)
        assert reply.status_code == 201, (login_name, reply.get_json())
    claims = jwt.decode(reply.get_json()["access_token"], options={"verify_signature": False})
    assert claims["sub"] == done["account_id"] and claims["amr"] == ["password"]
    assert actions(h, done["account_id"]).count("login.succeeded") == 4


def test_after_a_failure_the_captcha_is_required_and_checked(h):
    h.register("needscaptcha")
    ip = h.new_ip()
    assert login(h, "needscaptcha", "wrong1", ip=ip).status_code == 401
    reply = login(h, "needscaptcha", ip=ip)
    assert reply.status_code == 422 and reply.get_json()["errors"] == {
        "captcha_code": "请输入图形验证码"}
    captcha_id, answer = h.captcha()
    wrong = login(h, "needscaptcha", ip=ip, captcha_id=captcha_id, captcha_code="XXXX")
    assert wrong.status_code == 422 and wrong.get_json()["errors"] == {
        "captcha_code": "图形验证码错误"}
    captcha_id, answer = h.captcha()
    assert login(h, "needscaptcha", ip=ip, captcha_id=captcha_id,
                 captcha_code=answer).status_code == 201


def test_an_always_captcha_policy(tmp_path):
    strict = Harness(tmp_path / "strict", login_captcha="always")
    try:
        strict.register("strictone1")
        assert login(strict, "strictone1").status_code == 422
        captcha_id, answer = strict.captcha()
        assert login(strict, "strictone1", captcha_id=captcha_id,
                     captcha_code=answer).status_code == 201
    finally:
        strict.close()


def test_repeated_failures_lock_the_account_with_minutes_to_wait(h):
    done = h.register("lockmeout1")

    def attempt(password):
        captcha_id, answer = h.captcha()
        return login(h, "lockmeout1", password, captcha_id=captcha_id, captcha_code=answer)

    assert attempt("wrong1").get_json()["detail"] == "用户名或密码错误"
    assert attempt("wrong2").status_code == 401
    locked = attempt("wrong3")
    assert locked.status_code == 429
    assert locked.get_json()["detail"] == "登录失败次数过多，账号已被锁定，请 15 分钟后再试"
    # Even the right password waits now, from any address.
    still = attempt("abc123")
    assert still.status_code == 429 and "请 15 分钟后再试" in still.get_json()["detail"]
    assert {"login.failed", "login.locked", "login.refused"} <= set(actions(h, done["account_id"]))


def test_repeated_failures_from_one_ip_lock_that_ip(h):
    ip = h.new_ip()
    for index in range(6):
        captcha_id, answer = h.captcha()
        reply = login(h, f"nobody{index:04d}", ip=ip, captcha_id=captcha_id, captcha_code=answer)
    assert reply.status_code == 429 and reply.get_json()["detail"] == \
        "登录失败次数过多，请 15 分钟后再试"
    h.register("innocent01")
    refused = login(h, "innocent01", ip=ip)
    assert refused.status_code == 429 and refused.get_json()["detail"] == \
        "登录失败次数过多，请 15 分钟后再试"
    assert login(h, "innocent01").status_code == 201  # from elsewhere


def test_sms_login(h):
    done = h.register("smsperson1")
    unknown = h.send_sms("13700000000", purpose="login")
    assert unknown.status_code == 422 and unknown.get_json()["errors"] == {
        "phone": "该手机号未注册，请先注册"}
    assert h.send_sms(done["phone"], purpose="login").status_code == 201
    wrong = h.call("POST", "/tokens/sms", {"phone": done["phone"], "sms_code": "12345"})
    assert wrong.status_code == 422 and wrong.get_json()["errors"] == {
        "sms_code": "短信验证码应为 6 位数字"}
    code = h.last_sms_code(done["phone"])
    reply = h.call("POST", "/tokens/sms", {"phone": done["phone"], "sms_code": code})
    assert reply.status_code == 201
    replay = h.call("POST", "/tokens/sms", {"phone": done["phone"], "sms_code": code})
    assert replay.status_code == 422 and replay.get_json()["errors"] == {
        "sms_code": "短信验证码已使用，请重新获取"}
    assert h.call("POST", "/tokens/sms", {"phone": "1"}).get_json()["errors"] == {
        "phone": "手机号格式不正确，应为 11 位中国大陆手机号"}


def test_logout_revokes_the_refresh_family(h):
    h.register("logoutnow1")
    pair = login(h, "logoutnow1").get_json()
    rotated = h.call("POST", "/tokens/refresh", {"refresh_token": pair["refresh_token"]}).get_json()
    other = login(h, "logoutnow1").get_json()  # another device
    assert h.call("POST", "/tokens/revoke", {"refresh_token": other["refresh_token"]}
                  ).status_code == 401
    reply = h.call("POST", "/tokens/revoke", {"refresh_token": rotated["refresh_token"]},
                   token=pair["access_token"])
    assert reply.status_code == 204
    assert h.call("POST", "/tokens/refresh", {"refresh_token": rotated["refresh_token"]}
                  ).status_code == 401
    # The other device stays signed in; someone else's token cannot be revoked.
    assert h.call("POST", "/tokens/refresh", {"refresh_token": other["refresh_token"]}
                  ).status_code == 201
    stranger = h.register("stranger01")
    assert h.call("POST", "/tokens/revoke", {"refresh_token": "nope"},
                  token=stranger["token"]).status_code == 422


def test_key_rotation_keeps_two_keys_published(h, admin):
    person = h.register("rotation01")
    before = login(h, "rotation01").get_json()["access_token"]
    assert h.call("POST", "/keys/rotate", token=person["token"]).status_code == 403
    rotated = h.call("POST", "/keys/rotate", token=admin)
    assert rotated.status_code == 201
    keys = h.call("GET", "/.well-known/jwks.json").get_json()["keys"]
    kids = {key["kid"] for key in keys}
    assert len(keys) == 2 and rotated.get_json()["kid"] in kids
    assert jwt.get_unverified_header(before)["kid"] in kids
    fresh = login(h, "rotation01").get_json()["access_token"]
    assert jwt.get_unverified_header(fresh)["kid"] == rotated.get_json()["kid"]
    # Tokens signed before and after the rotation both verify.
    assert h.call("GET", "/me", token=fresh).status_code == 200
    assert h.call("GET", "/me", token=before).status_code == 200
    audit = h.call("GET", "/audit?action=keys.rotated", token=admin).get_json()
    assert audit["items"][0]["detail"] == {"kid": rotated.get_json()["kid"]}


def test_admins_create_staff_who_sign_in_with_totp(h, admin):
    body = {"username": "reviewer01", "display_name": "赵审核", "password": "Review2026",
            "org_id": "00000000-0000-4000-8000-000000000011", "roles": ["supervisor"]}
    person = h.register("notadmin01")
    assert h.call("POST", "/staff-accounts", body, token=person["token"]).status_code == 403
    bad = h.call("POST", "/staff-accounts", {**body, "roles": ["king"], "org_id": ""},
                 token=admin)
    assert bad.status_code == 422 and set(bad.get_json()["errors"]) == {"roles", "org_id"}
    made = h.call("POST", "/staff-accounts", body, token=admin)
    assert made.status_code == 201
    secret = made.get_json()["totp_secret"]
    assert made.get_json()["otpauth_uri"].startswith("otpauth://totp/")

    ip = h.new_ip()
    needs = login(h, "reviewer01", "Review2026", ip=ip)
    assert needs.status_code == 401 and needs.get_json()["errors"] == {"totp_code": "请输入动态验证码"}
    wrong = login(h, "reviewer01", "Review2026", ip=ip, totp_code="000000"
                  if pyotp.TOTP(secret).now() != "000000" else "111111")
    assert wrong.status_code in (401, 422)
    captcha_id, answer = h.captcha()
    reply = login(h, "reviewer01", "Review2026", ip=ip, totp_code=pyotp.TOTP(secret).now(),
                  captcha_id=captcha_id, captcha_code=answer)
    assert reply.status_code == 201, reply.get_json()
    claims = jwt.decode(reply.get_json()["access_token"], options={"verify_signature": False})
    assert claims["kind"] == "staff" and claims["roles"] == ["supervisor"]
    assert claims["org"] == body["org_id"] and claims["amr"] == ["password+totp"]
    # The same code again (someone watching over a shoulder): refused.
    captcha_id, answer = h.captcha()
    replay = login(h, "reviewer01", "Review2026", ip=ip, totp_code=pyotp.TOTP(secret).now(),
                   captcha_id=captcha_id, captcha_code=answer)
    assert replay.status_code == 401 and replay.get_json()["errors"] == {"totp_code": "动态验证码错误"}
    assert h.call("POST", "/staff-accounts", body, token=admin).get_json()["errors"] == {
        "username": "用户名已被使用"}


def test_the_audit_log_is_for_admins_and_owners(h, admin):
    done = h.register("audited001")
    login(h, "audited001", "bad000")
    mine = h.call("GET", "/me/audit", token=done["token"]).get_json()
    assert {item["action"] for item in mine["items"]} >= {"person.registered", "login.failed"}
    assert h.call("GET", "/audit", token=done["token"]).status_code == 403
    everyone = h.call("GET", f"/audit?account_id={done['account_id']}", token=admin).get_json()
    assert everyone["total"] == mine["total"]


# --- QR-code sign-in ----------------------------------------------------------------------

def test_qr_login_scan_confirm_and_the_pc_gets_tokens_once(h):
    app = h.register("qrperson01")
    pc = h.call("POST", "/qr-logins").get_json()
    poll = {"poll_token": pc["poll_token"]}
    assert h.call("POST", "/qr-logins/poll", poll).get_json()["status"] == "pending"
    assert h.call("POST", f"/qr-logins/{pc['qr_id']}/scan").status_code == 401
    scanned = h.call("POST", f"/qr-logins/{pc['qr_id']}/scan", token=app["token"])
    assert scanned.status_code == 200
    state = h.call("POST", "/qr-logins/poll", poll).get_json()
    assert state["status"] == "scanned" and state["message"].startswith("扫描成功")
    other = h.register("qrperson02")
    assert h.call("POST", f"/qr-logins/{pc['qr_id']}/confirm", {}, token=other["token"]
                  ).status_code == 409
    assert h.call("POST", f"/qr-logins/{pc['qr_id']}/confirm", {}, token=app["token"]
                  ).get_json()["status"] == "confirmed"
    done = h.call("POST", "/qr-logins/poll", poll).get_json()
    assert done["status"] == "confirmed"
    me = h.call("GET", "/me", token=done["tokens"]["access_token"]).get_json()
    assert me["id"] == app["account_id"]
    replay = h.call("POST", "/qr-logins/poll", poll)
    assert replay.status_code == 409 and replay.get_json()["detail"] == "二维码已使用，请刷新二维码"
    assert h.call("POST", f"/qr-logins/{pc['qr_id']}/scan", token=other["token"]
                  ).status_code == 409


def test_an_expired_qr_code_is_refused(h):
    app = h.register("qrperson03")
    pc = h.call("POST", "/qr-logins").get_json()
    with h.db.transaction() as session:
        session.execute(update(QrLogin).where(QrLogin.id == pc["qr_id"])
                        .values(expires_at=utcnow() - timedelta(seconds=1)))
    reply = h.call("POST", f"/qr-logins/{pc['qr_id']}/scan", token=app["token"])
    assert reply.status_code == 410 and reply.get_json()["detail"] == "二维码已过期，请刷新二维码"
    assert h.call("POST", "/qr-logins/poll", {"poll_token": pc["poll_token"]}).status_code == 410
    assert h.call("POST", "/qr-logins/poll", {"poll_token": "forged"}).status_code == 404
