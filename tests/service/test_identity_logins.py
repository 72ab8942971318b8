"""Signing in through the gateway: by username, phone or ID number (+ captcha), by SMS,
staff with TOTP, lockout per account and per IP, logout, key rotation, QR-code sign-in,
and the audit log of all of it."""
import time
from datetime import timedelta

import jwt
import pyotp
import pytest
from sqlalchemy import select, update

from services.common.db import utcnow
from services.common.audit import LOG
from services.identity.model import QrLogin
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
    """A token fresh enough for each test (StaffSessions renews it): one made once per module
    expires when the suite runs slowly (tokens live 15 minutes)."""
    return h.staff_token(admin_account, "Admin12345")


def login(h, username, password="Shu1yuan", ip=None, **extra):
    return h.call("POST", "/tokens", {"username": username, "password": password, **extra},
                  ip=ip or h.new_ip())


def actions(h, account_id):
    with h.db.reading() as session:
        return list(session.scalars(select(LOG.c.action).where(LOG.c.subject_id == account_id)
                                    .order_by(LOG.c.seq)))


def test_sign_in_by_username_phone_or_id_number(h):
    done = h.register("threeways1")
    id_number = new_id_number()
    h.call("POST", "/me/real-name", {"consent": True, "name": "林冲", "id_number": id_number}, token=done["token"])
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
    still = attempt("Shu1yuan")
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


def step_code(secret: str, step: int) -> str:
    """The code of a 30-second time step (the server accepts its own step and a neighbour)."""
    return pyotp.TOTP(secret).at(step * 30)


def now_step() -> int:
    return int(time.time()) // 30


def test_admins_create_staff_who_enrol_their_authenticator_at_first_sign_in(h, admin):
    body = {"username": "reviewer01", "display_name": "赵审核", "password": "Review2026",
            "org_id": "00000000-0000-4000-8000-000000000011", "roles": ["supervisor"]}
    person = h.register("notadmin01")
    assert h.call("POST", "/staff-accounts", body, token=person["token"]).status_code == 403
    bad = h.call("POST", "/staff-accounts", {**body, "roles": ["king"], "org_id": ""},
                 token=admin)
    assert bad.status_code == 422 and set(bad.get_json()["errors"]) == {"roles", "org_id"}
    short = h.call("POST", "/staff-accounts", {**body, "password": "Review26"}, token=admin)
    assert short.get_json()["errors"] == {"password": "工作人员的密码应为 10-64 个字符"}
    common = h.call("POST", "/staff-accounts", {**body, "password": "Password123"}, token=admin)
    assert common.get_json()["errors"] == {"password": "该密码过于常见，容易被猜中，请换一个"}
    made = h.call("POST", "/staff-accounts", body, token=admin)
    assert made.status_code == 201
    assert "totp_secret" not in made.get_json(), "the admin never holds the staff's secret"
    assert made.get_json()["account"]["totp_enabled"] is False

    # First sign-in: the password is right; the answer is the QR code to scan.
    ip = h.new_ip()
    first = login(h, "reviewer01", "Review2026", ip=ip)
    problem = first.get_json()
    assert first.status_code == 401 and problem["type"].endswith("/totp-enrolment-required")
    assert problem["errors"] == {"totp_code": "请输入身份验证器中的动态验证码"}
    secret = problem["enrolment"]["secret"]
    assert problem["enrolment"]["otpauth_uri"].startswith("otpauth://totp/")
    assert f"secret={secret}" in problem["enrolment"]["otpauth_uri"]
    assert problem["enrolment"]["qr_svg"].startswith("data:image/svg+xml")
    # Asked again before scanning: the same secret (a reload shows the same QR).
    assert login(h, "reviewer01", "Review2026", ip=ip).get_json()["enrolment"][
        "secret"] == secret
    step = now_step()
    enrolled = login(h, "reviewer01", "Review2026", ip=ip, totp_code=step_code(secret, step))
    assert enrolled.status_code == 201, enrolled.get_json()
    codes = enrolled.get_json()["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    claims = jwt.decode(enrolled.get_json()["access_token"], options={"verify_signature": False})
    assert claims["kind"] == "staff" and claims["roles"] == ["supervisor"]
    assert claims["org"] == body["org_id"] and claims["amr"] == ["password+totp"]

    # From now on a code is needed every time, and each code signs in once.
    needs = login(h, "reviewer01", "Review2026", ip=ip)
    assert needs.status_code == 401 and needs.get_json()["errors"] == {"totp_code": "请输入动态验证码"}
    assert "enrolment" not in needs.get_json()
    captcha_id, answer = h.captcha()
    replay = login(h, "reviewer01", "Review2026", ip=ip, totp_code=step_code(secret, step),
                   captcha_id=captcha_id, captcha_code=answer)
    assert replay.status_code == 401 and replay.get_json()["errors"] == {"totp_code": "动态验证码错误"}
    captcha_id, answer = h.captcha()
    later = login(h, "reviewer01", "Review2026", ip=ip, totp_code=step_code(secret, step + 1),
                  captcha_id=captcha_id, captcha_code=answer)
    assert later.status_code == 201, later.get_json()
    assert "recovery_codes" not in later.get_json()
    assert h.call("POST", "/staff-accounts", body, token=admin).get_json()["errors"] == {
        "username": "用户名已被使用"}


def test_a_recovery_code_signs_in_once_and_an_admin_resets_the_authenticator(h, admin):
    create_account(h.db, h.kit.outbox, username="expert0001", kind="staff",
                   display_name="钱专家", password="Expert2026!", org_id="pool", roles=["expert"])
    ip = h.new_ip()
    secret = login(h, "expert0001", "Expert2026!", ip=ip).get_json()["enrolment"]["secret"]
    step = now_step()
    codes = login(h, "expert0001", "Expert2026!", ip=ip,
                  totp_code=step_code(secret, step)).get_json()["recovery_codes"]
    by_code = login(h, "expert0001", "Expert2026!", ip=ip, recovery_code=codes[0].upper())
    assert by_code.status_code == 201, by_code.get_json()
    claims = jwt.decode(by_code.get_json()["access_token"], options={"verify_signature": False})
    assert claims["amr"] == ["password+recovery"]
    captcha_id, answer = h.captcha()
    again = login(h, "expert0001", "Expert2026!", ip=ip, recovery_code=codes[0],
                  captcha_id=captcha_id, captcha_code=answer)
    assert again.status_code == 401 and again.get_json()["errors"] == {
        "recovery_code": "恢复码错误或已使用"}
    # New codes need the authenticator; the old ones stop working.
    token = by_code.get_json()["access_token"]
    assert h.call("POST", "/me/recovery-codes", {"totp_code": step_code(secret, step)},
                  token=token).status_code == 422  # a spent step
    renewed = h.call("POST", "/me/recovery-codes", {"totp_code": step_code(secret, step + 1)},
                     token=token)
    assert renewed.status_code == 201 and len(renewed.get_json()["recovery_codes"]) == 10
    captcha_id, answer = h.captcha()
    old = login(h, "expert0001", "Expert2026!", ip=ip, recovery_code=codes[1],
                captcha_id=captcha_id, captcha_code=answer)
    assert old.status_code == 401

    # The phone is lost: an admin resets; sign-ins end and the next one enrols afresh.
    [account_id] = [row["subject_id"] for row in audit_rows(h, "staff.totp_enrolled")
                    if row["subject_id"] and login_name(h, row["subject_id"]) == "expert0001"]
    person = h.register("notadmin02")
    assert h.call("POST", f"/staff-accounts/{account_id}/totp-reset",
                  token=person["token"]).status_code == 403
    assert h.call("POST", "/staff-accounts/nobody/totp-reset", token=admin).status_code == 404
    reset = h.call("POST", f"/staff-accounts/{account_id}/totp-reset", token=admin)
    assert reset.status_code == 200 and reset.get_json()["totp_enabled"] is False
    assert h.call("POST", "/tokens/refresh", {
        "refresh_token": by_code.get_json()["refresh_token"]}).status_code == 401
    captcha_id, answer = h.captcha()
    fresh = login(h, "expert0001", "Expert2026!", ip=ip, captcha_id=captcha_id,
                  captcha_code=answer)
    assert fresh.get_json()["type"].endswith("/totp-enrolment-required")
    assert fresh.get_json()["enrolment"]["secret"] != secret
    assert [row["actor_id"] for row in audit_rows(h, "staff.totp_reset")
            if row["subject_id"] == account_id]


def test_staff_cannot_skip_the_second_factor_by_sms(h):
    phone = "13700000555"
    create_account(h.db, h.kit.outbox, username="smsstaff01", kind="staff",
                   display_name="短信审核", password="Review2026", org_id="org-1",
                   roles=["supervisor"], phone=phone)
    assert h.send_sms(phone, purpose="login").status_code == 201
    reply = h.call("POST", "/tokens/sms", {"phone": phone, "sms_code": h.last_sms_code(phone)})
    assert reply.status_code == 401
    assert reply.get_json()["detail"] == "工作人员请使用用户名、密码和动态验证码登录"


def audit_rows(h, action):
    with h.db.reading() as session:
        return [row._mapping for row in session.execute(select(LOG).where(LOG.c.action == action))]


def login_name(h, account_id):
    from services.identity.model import Account

    with h.db.reading() as session:
        return session.get(Account, account_id).username


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


def test_the_captcha_follows_the_account_and_the_address_only_after_many(tmp_path):
    """One wrong password asks that account for a captcha, from anywhere; the others
    signing in from the same address (an office behind one NAT) are not asked, until the
    address itself has failed many times (the default policy)."""
    h = Harness(tmp_path / "office")
    h.register("ownfail1")
    h.register("neighbour1")
    office, elsewhere = h.new_ip(), h.new_ip()
    assert login(h, "ownfail1", "wrong1", ip=office).status_code == 401
    assert login(h, "neighbour1", ip=office).status_code == 201
    for ip in (office, elsewhere):
        reply = login(h, "ownfail1", ip=ip)
        assert reply.status_code == 422 and reply.get_json()["type"].endswith("captcha-required")
    # many failures from the address (unknown logins: no account to lock) ...
    for attempt in range(h.config.ip_captcha_failures - 1):
        assert login(h, f"nosuchuser{attempt}", "wrong1", ip=office).status_code == 401
    reply = login(h, "neighbour1", ip=office)
    assert reply.status_code == 422 and reply.get_json()["type"].endswith("captcha-required")
    assert login(h, "neighbour1", ip=elsewhere).status_code == 201
    assert h.config.ip_captcha_failures < h.config.ip_lock_failures  # asked before locked
    h.close()


def test_a_captcha_answer_in_any_script_is_wrong_not_a_failure(h):
    h.register("hanzianswer")
    captcha_id, _answer = h.captcha()
    reply = login(h, "hanzianswer", captcha_id=captcha_id, captcha_code="验证码")
    assert reply.status_code == 422, reply.get_json()
    assert reply.get_json()["errors"] == {"captcha_code": "图形验证码错误"}
    captcha_id, _answer = h.captcha()
    reply = h.call("POST", "/sms-codes", {"phone": "13912345678", "purpose": "register",
                                          "captcha_id": captcha_id, "captcha_code": "ＡＢＣＤ"})
    assert reply.status_code == 422 and reply.get_json()["errors"] == {
        "captcha_code": "图形验证码错误"}
