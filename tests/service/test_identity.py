"""identity over HTTP in-process: password login, refresh rotation, JWKS, the record."""
import pytest


def _login(gateway, username="zhangsan", password="Rencai@2026", **extra):
    return gateway.send("POST", "/api/identity/tokens",
                        json={"username": username, "password": password, **extra})


def test_login_gives_an_access_and_a_refresh_token(gateway):
    reply = _login(gateway)
    assert reply.status == 201
    assert reply.body["token_type"] == "Bearer" and reply.body["expires_in"] == 900
    assert "recovery_codes" not in reply.body
    me = gateway.send("GET", "/api/identity/me",
                      headers={"Authorization": f"Bearer {reply.body['access_token']}"})
    assert me.body["username"] == "zhangsan" and me.body["kind"] == "person"
    assert "password_hash" not in me.body


def test_demo_staff_sign_in_with_their_authenticator(gateway):
    """The demo staff are enrolled (secrets in demo/data.py, codes from `python -m demo.totp`):
    a password alone is not enough."""
    from demo.data import DEMO_TOTP_SECRETS

    alone = _login(gateway, "kewei")
    assert alone.status == 401 and alone.body["type"].endswith("/totp-required")
    assert alone.body["errors"] == {"totp_code": "请输入动态验证码"}
    code = gateway.staff.code("kewei", DEMO_TOTP_SECRETS["kewei"])
    reply = _login(gateway, "kewei", totp_code=code)
    assert reply.status == 201, reply
    me = gateway.send("GET", "/api/identity/me",
                      headers={"Authorization": f"Bearer {reply.body['access_token']}"})
    assert me.body["roles"] == ["supervisor"] and me.body["totp_enabled"] is True


@pytest.mark.parametrize("username, password", [("wrongpass1", "wrong"),
                                                ("nobody", "Rencai@2026")])
def test_a_bad_login_says_the_same_whatever_was_wrong(embedded, username, password):
    # Its own account, and an address of its own: a failure makes that account (and, after
    # a few, that address) need a captcha, which the demo accounts must not.
    from services.identity.service import create_account

    identity = embedded.kit("identity")
    if username == "wrongpass1":
        create_account(identity.db, identity.outbox, username=username, kind="person",
                       display_name="错密码", password="Rencai@2026")
    reply = embedded.gateway.test_client().post(
        "/api/identity/tokens", json={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": "10.254.0.1"})
    assert reply.status_code == 401 and reply.get_json()["detail"] == "用户名或密码错误"


def test_missing_fields_are_named(gateway):
    reply = gateway.send("POST", "/api/identity/tokens", json={"username": "kewei"})
    assert reply.status == 422 and reply.body["errors"] == {"password": "必填项"}


def test_refresh_rotates_and_a_reused_token_revokes_the_family(gateway):
    first = _login(gateway).body
    second = gateway.send("POST", "/api/identity/tokens/refresh",
                          json={"refresh_token": first["refresh_token"]})
    assert second.status == 201 and second.body["refresh_token"] != first["refresh_token"]

    replay = gateway.send("POST", "/api/identity/tokens/refresh",
                          json={"refresh_token": first["refresh_token"]})
    assert replay.status == 401 and replay.body["detail"] == "登录凭证已失效，请重新登录"
    # The thief's replay also ended the legitimate successor.
    after = gateway.send("POST", "/api/identity/tokens/refresh",
                         json={"refresh_token": second.body["refresh_token"]})
    assert after.status == 401


def test_jwks_publishes_only_public_keys(gateway):
    keys = gateway.send("GET", "/api/identity/.well-known/jwks.json").body["keys"]
    assert keys and all(k["kty"] == "RSA" and k["alg"] == "RS256" and "d" not in k for k in keys)


def test_demo_people_sign_in_by_phone_or_id_number_and_see_themselves(gateway):
    for login in ("13800000001", "110105198503070019"):
        reply = _login(gateway, login)
        assert reply.status == 201, reply
    me = gateway.send("GET", "/api/identity/me",
                      headers={"Authorization": f"Bearer {reply.body['access_token']}"}).body
    assert me["username"] == "zhangsan" and me["verified"] is True
    assert me["id_number"] == "110105198503070019"  # the owner sees it whole
    basic = gateway.send("GET", "/api/identity/me/basic",
                         headers={"Authorization": f"Bearer {reply.body['access_token']}"}).body
    assert basic["id_number"] == "110***********0019" and basic["name"] == "张三"


def test_registration_starts_without_a_token_through_the_gateway(gateway):
    captcha = gateway.send("POST", "/api/identity/captchas")
    assert captcha.status == 201 and captcha.body["image"].startswith("data:image/png;base64,")
    reply = gateway.send("POST", "/api/identity/registrations", json={"username": "x"})
    assert reply.status == 422 and reply.body["errors"]["username"] == "用户名应为 6-20 个字符"
    assert gateway.send("GET", "/api/identity/me/profile").status == 401
