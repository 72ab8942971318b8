"""The stack runs identity as a deployment does (issue 17 §1, §5): no development SMS sender
(the gateway does not route /dev/, identity has none), codes travel through an HTTP SMS
gateway (demo/fake_gateways here), and staff need their second factor."""
import requests


def test_no_development_sms_sender_in_the_stack(stack, gateway):
    sent_before = len(gateway.sms_texts("13800000001"))
    for headers in ({}, {"Authorization": "Bearer x"}):
        reply = gateway.send("GET", "/api/identity/dev/sms?phone=13800000001", headers=headers)
        assert reply.status == 404, reply
    # Straight at identity, behind the gateway: it has no development sender either.
    direct = requests.get(f"http://127.0.0.1:{stack.ports['identity']}/dev/sms",
                          params={"phone": "13800000001"}, timeout=10)
    assert direct.status_code == 404
    # An SMS login code reaches the SMS gateway over HTTP, not a readable endpoint of ours.
    captcha = gateway.send("POST", "/api/identity/captchas").body
    from sqlalchemy import create_engine, text

    engine = create_engine(stack.urls["identity"])
    with engine.connect() as connection:
        answer = connection.execute(text("SELECT answer FROM captcha WHERE id = :id"),
                                    {"id": captcha["captcha_id"]}).scalar()
    engine.dispose()
    reply = gateway.send("POST", "/api/identity/sms-codes", json={
        "phone": "13800000001", "purpose": "login", "captcha_id": captcha["captcha_id"],
        "captcha_code": answer})
    assert reply.status == 201, reply
    texts = gateway.sms_texts("13800000001")
    assert len(texts) == sent_before + 1 and "登录验证码" in texts[0]


def test_staff_sign_in_with_their_second_factor_in_the_stack(gateway):
    alone = gateway.send("POST", "/api/identity/tokens",
                         json={"username": "shiju", "password": "Rencai@2026"})
    assert alone.status == 401 and alone.body["type"].endswith("/totp-required")
    me = gateway.login("shiju").get("/api/identity/me").body
    assert me["roles"] == ["bureau"] and me["totp_enabled"] is True
