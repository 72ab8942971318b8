"""Person registration through the gateway: captcha, SMS codes, the three steps, real-name
check (GB 11643), 换绑 and 人工申诉, and personal information encrypted at rest."""
import base64
import json
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update

from services.common.db import utcnow
from services.common.pii import blind_index
from services.common.audit import LOG
from services.identity.model import BUS, Account, Captcha, SmsCode
from services.identity.rules import id_number_error, with_check_digit
from services.identity.service import create_account
from tests.service.identity_harness import Harness, new_id_number, new_phone


@pytest.fixture(scope="module")
def h(tmp_path_factory):
    harness = Harness(tmp_path_factory.mktemp("identity-registration"))
    yield harness
    harness.close()


@pytest.fixture(scope="module")
def admin_account(h):
    create_account(h.db, h.kit.outbox, username="appealadmin", kind="staff",
                   display_name="管理员", password="Admin12345", org_id="org-1", roles=["admin"])
    return "appealadmin"


@pytest.fixture
def admin(h, admin_account):
    """A token fresh enough for each test (StaffSessions renews it): one made once per module
    expires when the suite runs slowly (tokens live 15 minutes)."""
    return h.staff_token(admin_account, "Admin12345")


def events(h, type_):
    with h.db.reading() as session:
        rows = session.scalars(select(BUS.outbox.c.envelope).where(BUS.outbox.c.type == type_))
        return [json.loads(row) for row in rows]


def form(phone_number, /, **changes):
    body = {"username": "liuyang88", "phone": phone_number, "sms_code": "123456",
            "password": "Shu1yuan", "password_confirm": "Shu1yuan", "agree": True}
    body.update(changes)
    return body


# --- graphic captcha ----------------------------------------------------------------------

def test_a_captcha_is_a_png_image_with_an_id(h):
    reply = h.call("POST", "/captchas")
    body = reply.get_json()
    assert reply.status_code == 201 and body["expires_in"] == 120
    png = base64.b64decode(body["image"].removeprefix("data:image/png;base64,"))
    assert png.startswith(b"\x89PNG")
    image = h.call("GET", f"/captchas/{body['captcha_id']}.png")
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert h.call("GET", "/captchas/nope.png").status_code == 404


def test_no_sms_without_the_right_captcha_and_a_captcha_serves_once(h):
    phone = new_phone()
    missing = h.call("POST", "/sms-codes", {"phone": phone, "purpose": "register"})
    assert missing.status_code == 422 and missing.get_json()["errors"] == {
        "captcha_code": "请输入图形验证码"}
    captcha_id, answer = h.captcha()
    wrong = h.call("POST", "/sms-codes", {"phone": phone, "captcha_id": captcha_id,
                                          "captcha_code": "0000"})
    assert wrong.status_code == 422 and wrong.get_json()["errors"] == {
        "captcha_code": "图形验证码错误"}
    # The right answer, but the captcha was spent by the wrong guess.
    again = h.call("POST", "/sms-codes", {"phone": phone, "captcha_id": captcha_id,
                                          "captcha_code": answer})
    assert again.status_code == 422 and "已失效" in again.get_json()["detail"]


def test_an_expired_captcha_is_refused(h):
    captcha_id, answer = h.captcha()
    with h.db.transaction() as session:
        session.execute(update(Captcha).where(Captcha.id == captcha_id)
                        .values(expires_at=utcnow() - timedelta(seconds=1)))
    reply = h.call("POST", "/sms-codes", {"phone": new_phone(), "captcha_id": captcha_id,
                                          "captcha_code": answer.lower()})
    assert reply.status_code == 422 and reply.get_json()["errors"]["captcha_code"] == \
        "图形验证码已过期，请刷新后重新输入"


# --- SMS codes ----------------------------------------------------------------------------

def test_the_dev_sender_keeps_the_message_for_the_demo(h):
    phone = new_phone()
    assert h.send_sms(phone).status_code == 201
    reply = h.call("GET", f"/dev/sms?phone={phone}")
    assert reply.status_code == 200
    [message] = reply.get_json()["messages"]
    assert message["phone"] == phone and h.last_sms_code(phone) in message["text"]
    assert h.call("GET", "/dev/sms?phone=12").status_code == 422


def test_sms_codes_are_rate_limited_per_phone_and_per_ip(h):
    phone = new_phone()
    assert h.send_sms(phone).status_code == 201
    again = h.send_sms(phone)
    assert again.status_code == 429 and "秒后再试" in again.get_json()["detail"]

    ip = "10.99.0.1"
    limit = h.config.sms_per_ip_per_hour
    with h.db.transaction() as session:  # this IP already asked `limit` times this hour
        for index in range(limit):
            session.add(SmsCode(id=f"ip-{index}", phone_index=f"x{index}", purpose="register",
                                code_hash="-", ip=ip, created_at=utcnow(), attempts=0,
                                expires_at=utcnow() + timedelta(minutes=5)))
    refused = h.send_sms(new_phone(), ip=ip)
    assert refused.status_code == 429 and "1 小时后再试" in refused.get_json()["detail"]


def test_the_phone_must_be_valid_and_new(h):
    bad = h.send_sms("2345")
    assert bad.status_code == 422 and bad.get_json()["errors"]["phone"].startswith("手机号格式不正确")
    taken = h.register("takenphone1")["phone"]
    reply = h.send_sms(taken)
    assert reply.status_code == 422 and reply.get_json()["errors"]["phone"] == "该手机号已被注册，请直接登录"


def test_a_wrong_sms_code_counts_and_enough_of_them_spend_it(h):
    phone = new_phone()
    h.send_sms(phone)
    right = h.last_sms_code(phone)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(h.config.sms_max_attempts):
        reply = h.call("POST", "/registrations", form(phone, username="triesalot", sms_code=wrong))
        assert reply.status_code == 422 and reply.get_json()["errors"] == {"sms_code": "短信验证码错误"}
    reply = h.call("POST", "/registrations", form(phone, username="triesalot", sms_code=right))
    assert reply.get_json()["errors"] == {"sms_code": "短信验证码错误次数过多，请重新获取"}


def test_an_expired_sms_code_is_refused_and_a_used_one_too(h):
    phone = new_phone()
    h.send_sms(phone)
    code = h.last_sms_code(phone)
    with h.db.transaction() as session:
        session.execute(update(SmsCode).values(expires_at=utcnow() - timedelta(seconds=1))
                        .where(SmsCode.expires_at > utcnow(), SmsCode.purpose == "register",
                               SmsCode.ip == "10.255.0.1"))
    reply = h.call("POST", "/registrations", form(phone, username="latecomer", sms_code=code))
    assert reply.status_code == 422 and reply.get_json()["errors"] == {
        "sms_code": "短信验证码已过期，请重新获取"}

    done = h.register("usedcode01")
    with h.db.reading() as session:
        account = session.get(Account, done["account_id"])
    assert account.phone == done["phone"]
    code = h.last_sms_code(done["phone"])
    with h.db.transaction() as session:  # the same person tries to register the phone again
        session.execute(update(Account).where(Account.id == account.id)
                        .values(phone_index=None))
    reply = h.call("POST", "/registrations", form(done["phone"], username="usedcode02",
                                                  sms_code=code))
    assert reply.get_json()["errors"] == {"sms_code": "短信验证码已使用，请重新获取"}


# --- step 1: 注册账号 -----------------------------------------------------------------------

@pytest.mark.parametrize("changes, field, message", [
    ({"username": ""}, "username", "请输入用户名"),
    ({"username": "abc12"}, "username", "用户名应为 6-20 个字符"),
    ({"username": "a" * 21}, "username", "用户名应为 6-20 个字符"),
    ({"username": "1abcdef"}, "username", "用户名第一位必须是字母"),
    ({"username": "abc_def"}, "username", "用户名只能由字母和数字组成"),
    ({"username": "张三丰abcd"}, "username", "用户名第一位必须是字母"),
    ({"phone": ""}, "phone", "请输入手机号"),
    ({"phone": "12345678901"}, "phone", "手机号格式不正确，应为 11 位中国大陆手机号"),
    ({"sms_code": ""}, "sms_code", "请输入短信验证码"),
    ({"sms_code": "12ab"}, "sms_code", "短信验证码应为 6 位数字"),
    ({"password": ""}, "password", "请设置密码"),
    ({"password": "ab1", "password_confirm": "ab1"}, "password", "密码应为 6-20 个字符"),
    ({"password": "20261126", "password_confirm": "20261126"}, "password", "密码须包含字母"),
    ({"password": "abc 1234", "password_confirm": "abc 1234"}, "password",
     "密码只能由字母、数字和英文标点符号组成（不含空格）"),
    ({"password": "密码abc123", "password_confirm": "密码abc123"}, "password",
     "密码只能由字母、数字和英文标点符号组成（不含空格）"),
    ({"password": "Password1", "password_confirm": "Password1"}, "password",
     "该密码过于常见，容易被猜中，请换一个"),
    ({"password": "woaini1314", "password_confirm": "woaini1314"}, "password",
     "该密码过于常见，容易被猜中，请换一个"),
    ({"password_confirm": ""}, "password_confirm", "请再次输入密码"),
    ({"password_confirm": "abc124"}, "password_confirm", "两次输入的密码不一致"),
    ({"agree": False}, "agree", "请阅读并勾选“我已阅读并同意《用户协议》”"),
    ({"agree": None}, "agree", "请阅读并勾选“我已阅读并同意《用户协议》”"),
])
def test_every_registration_rule_has_its_own_message(h, changes, field, message):
    reply = h.call("POST", "/registrations", form(new_phone(), **changes))
    assert reply.status_code == 422
    assert reply.get_json()["errors"] == {field: message}
    assert message in reply.get_json()["detail"]


def test_wrong_types_are_named_not_a_500(h):
    reply = h.call("POST", "/registrations", {"username": 5, "agree": "maybe", "extra": 1})
    assert reply.status_code == 422
    assert set(reply.get_json()["errors"]) == {"username", "agree", "extra"}


def test_a_taken_username_is_refused(h):
    h.register("samename01")
    reply = h.call("POST", "/registrations", form(new_phone(), username="samename01"))
    assert reply.status_code == 422 and reply.get_json()["errors"] == {
        "username": "该用户名已被注册"}


def test_registration_signs_in_and_publishes_registered(h):
    done = h.register("newperson1")
    assert done["step"] == "real_name" and done["tokens"]["token_type"] == "Bearer"
    me = h.call("GET", "/me", token=done["token"]).get_json()
    assert me["username"] == "newperson1" and me["phone"] == done["phone"]
    assert me["verified"] is False and me["profile_complete"] is False
    [event] = [e for e in events(h, "identity.person.registered")
               if e["data"]["account_id"] == done["account_id"]]
    assert event["data"] == {"account_id": done["account_id"], "username": "newperson1"}
    # The password works for the account login too.
    assert h.call("POST", "/tokens", {"username": "newperson1", "password": "Shu1yuan"},
                  ip=h.new_ip()).status_code == 201


def test_phone_and_id_number_are_encrypted_at_rest(h):
    done = h.register("secretive1")
    id_number = new_id_number()
    h.call("POST", "/me/real-name", {"consent": True, "name": "王秘", "id_number": id_number}, token=done["token"])
    with h.db.reading() as session:
        raw = session.execute(text("SELECT phone, id_number, phone_index FROM account "
                                   "WHERE id = :id"), {"id": done["account_id"]}).one()
    assert raw.phone.startswith("v2:") and done["phone"] not in raw.phone
    assert raw.id_number.startswith("v2:") and id_number not in raw.id_number
    assert raw.phone_index != done["phone"]


# --- step 2: 实名认证 -----------------------------------------------------------------------

def test_gb11643_rules():
    good = with_check_digit("11010519491231002")
    assert good == "11010519491231002X" and id_number_error(good) is None
    assert id_number_error(good.lower()) is None
    assert id_number_error("11010519491231002") == "身份证号应为 18 位"
    assert id_number_error("11010519491231002A").startswith("身份证号格式不正确")
    assert id_number_error(with_check_digit("11010519490230002")) == "身份证号中的出生日期不正确"
    assert id_number_error(with_check_digit("11010530000101002")) == "身份证号中的出生日期不正确"
    assert id_number_error(with_check_digit("91010519491231002")) == "身份证号的地区码不正确"
    assert id_number_error("110105194912310021") == "身份证号校验位不正确，请核对"


@pytest.mark.parametrize("body, field, message", [
    ({"name": "", "id_number": None}, "name", "请输入姓名"),
    ({"name": "张", "id_number": None}, "name", "姓名应为 2-30 个字符"),
    ({"name": "张3", "id_number": None}, "name", "姓名只能包含汉字、字母、空格或“·”"),
    ({"name": "张三", "id_number": ""}, "id_number", "请输入身份证号"),
    ({"name": "张三", "id_number": "110105199003070011"}, "id_number", "身份证号校验位不正确，请核对"),
    ({"name": "张三", "id_number": with_check_digit("11010519901307001")}, "id_number",
     "身份证号中的出生日期不正确"),
])
def test_real_name_rules_name_the_field(h, body, field, message):
    done = h.register(f"rn{abs(hash(str(body))) % 10 ** 8:08d}")
    if body["id_number"] is None:
        body = {**body, "id_number": new_id_number()}
    reply = h.call("POST", "/me/real-name", {**body, "consent": True}, token=done["token"])
    assert reply.status_code == 422 and reply.get_json()["errors"] == {field: message}


def test_verified_says_认证成功_and_publishes(h):
    done = h.register("verifyme01")
    number = new_id_number()
    reply = h.call("POST", "/me/real-name", {"consent": True, "name": "赵敏", "id_number": number},
                   token=done["token"])
    assert reply.status_code == 200 and reply.get_json() == {
        "step": "done", "verified": True, "message": "认证成功"}
    assert h.call("GET", "/me/registration", token=done["token"]).get_json()["message"] == "认证成功"
    [event] = [e for e in events(h, "identity.person.verified")
               if e["data"]["account_id"] == done["account_id"]]
    assert event["data"]["name"] == "赵敏" and "id_number" not in event["data"]
    # only the keyed blind index travels (技能竞赛 checks the identity confirmation with it)
    assert event["data"]["id_number_index"] == blind_index(number) != number
    again = h.call("POST", "/me/real-name", {"consent": True, "name": "赵敏", "id_number": new_id_number()},
                   token=done["token"])
    assert again.status_code == 409


def test_skipping_says_注册成功_and_it_can_be_done_later(h):
    done = h.register("skipper001")
    reply = h.call("POST", "/me/real-name/skip", token=done["token"])
    assert reply.get_json() == {"step": "done", "verified": False, "message": "注册成功"}
    assert h.call("GET", "/me/registration", token=done["token"]).get_json()["message"] == "注册成功"
    later = h.call("POST", "/me/real-name", {"consent": True, "name": "周芷若", "id_number": new_id_number()},
                   token=done["token"])
    assert later.get_json()["message"] == "认证成功"


def test_only_people_verify_and_strangers_are_turned_away(h, admin):
    assert h.call("POST", "/me/real-name", {"consent": True, "name": "某某", "id_number": new_id_number()}
                  ).status_code == 401
    assert h.call("POST", "/me/real-name", {"consent": True, "name": "某某", "id_number": new_id_number()},
                  token=admin).status_code == 403


# --- 换绑 and 人工申诉 -----------------------------------------------------------------------

def _bound_elsewhere(h, name="钱多多"):
    id_number = new_id_number()
    first = h.register(f"first{id_number[-6:]}")
    h.call("POST", "/me/real-name", {"consent": True, "name": name, "id_number": id_number}, token=first["token"])
    second = h.register(f"second{id_number[-6:]}")
    return id_number, first, second


def test_an_id_number_bound_elsewhere_offers_rebind_or_appeal(h):
    id_number, first, second = _bound_elsewhere(h)
    reply = h.call("POST", "/me/real-name", {"consent": True, "name": "钱多多", "id_number": id_number},
                   token=second["token"])
    body = reply.get_json()
    assert reply.status_code == 409 and body["type"].endswith("/id-bound")
    assert "换绑" in body["detail"] and "人工申诉" in body["detail"]


def rebind_code(h, token, name, id_number, ip="10.255.0.1"):
    captcha_id, answer = h.captcha(ip)
    return h.call("POST", "/me/sms-codes", {"purpose": "rebind", "name": name,
                                            "id_number": id_number, "captcha_id": captcha_id,
                                            "captcha_code": answer}, token=token, ip=ip)


def test_knowing_a_name_and_an_id_number_takes_over_nobody(h):
    """The attack of issue 17 §2: register with your own phone, real-name check → 409, a
    rebind code to your own phone, rebind. The code now goes to the holder's phone only."""
    id_number, victim, attacker = _bound_elsewhere(h)
    body = {"name": "钱多多", "id_number": id_number}
    sent = rebind_code(h, attacker["token"], **body)
    assert sent.status_code == 201, sent.get_json()
    assert sent.get_json()["phone"] == victim["phone"][:3] + "****" + victim["phone"][-4:]
    assert not [t for t in h.sms_texts(attacker["phone"]) if "换绑" in t], \
        "nothing reaches the asker's own phone"
    [text] = [t for t in h.sms_texts(victim["phone"]) if "换绑" in t]
    assert "有人申请将您账号已认证的身份证换绑到另一个账号" in text and "请勿将验证码告诉任何人" in text
    # A code from the attacker's own phone (any purpose) proves nothing.
    h.send_sms(new_phone())
    guessed = h.call("POST", "/me/real-name/rebind", {**body, "sms_code": "000000"},
                     token=attacker["token"])
    assert guessed.status_code == 422 and guessed.get_json()["errors"] == {
        "sms_code": "短信验证码错误"}
    # The old way (a code to one's own phone) is gone.
    own = h.send_sms(attacker["phone"], purpose="rebind", token=attacker["token"])
    assert own.status_code == 422 and "id_number" in own.get_json()["errors"]
    anonymous = h.send_sms(attacker["phone"], purpose="rebind")
    assert anonymous.status_code == 422 and anonymous.get_json()["errors"] == {
        "purpose": "换绑身份证的验证码请登录后获取"}
    assert h.call("GET", "/me", token=victim["token"]).get_json()["id_number"] == id_number
    assert h.call("GET", "/me", token=attacker["token"]).get_json()["verified"] is False
    # Wrong name, unbound number and strangers are refused, each naming the field.
    assert rebind_code(h, attacker["token"], "钱少少", id_number).get_json()["errors"] == {
        "name": "姓名与身份证号不匹配"}
    assert rebind_code(h, attacker["token"], "钱多多", new_id_number()).get_json()[
        "errors"] == {"id_number": "该身份证号未被其他账号认证"}
    assert rebind_code(h, None, **body).status_code == 401


def test_rebind_proved_by_the_holders_phone_moves_the_binding_and_tells_the_holder(h):
    id_number, first, second = _bound_elsewhere(h)
    body = {"name": "钱多多", "id_number": id_number}
    no_code = h.call("POST", "/me/real-name/rebind", {**body, "sms_code": "123456"},
                     token=second["token"])
    assert no_code.status_code == 422 and no_code.get_json()["errors"] == {
        "sms_code": "请先获取短信验证码"}
    assert rebind_code(h, second["token"], **body).status_code == 201
    reply = h.call("POST", "/me/real-name/rebind",
                   {**body, "sms_code": h.last_sms_code(first["phone"])}, token=second["token"])
    assert reply.status_code == 200 and reply.get_json()["verified"] is True
    assert h.call("GET", "/me", token=second["token"]).get_json()["id_number"] == id_number
    # The old account's sign-ins ended at once (its access token is on the denylist) and it
    # is no longer verified; the audit keeps both sides.
    assert h.call("GET", "/me", token=first["token"]).status_code == 401
    with h.db.reading() as session:
        old = session.get(Account, first["account_id"])
        assert old.verified_at is None and old.id_number is None
    assert h.call("POST", "/tokens/refresh", {"refresh_token": first["tokens"]["refresh_token"]}
                  ).status_code == 401
    assert "已换绑到另一个账号" in h.sms_texts(first["phone"])[0]
    [notice] = [e for e in events(h, "identity.account.notified")
                if e["data"]["account_id"] == first["account_id"]]
    assert "如非本人操作，请立即通过“人工申诉”找回" in notice["data"]["text"]
    # The audit keeps both sides, and how it was proved.
    with h.db.reading() as session:
        rows = [row._mapping for row in session.execute(select(LOG))]
    actions = {(row["action"], row["subject_id"]) for row in rows}
    assert ("person.rebound", second["account_id"]) in actions
    assert ("person.binding_released", first["account_id"]) in actions
    assert ("person.rebind_code_sent", first["account_id"]) in actions
    [released] = [r for r in rows if r["action"] == "person.binding_released"
                  and r["subject_id"] == first["account_id"]]
    assert released["detail"]["proof"] == "sms-to-holder" and released["actor_id"] == second["account_id"]


def test_a_holder_without_a_phone_leaves_only_the_appeal(h):
    id_number = new_id_number()
    create_account(h.db, h.kit.outbox, username="nophone01", kind="person", display_name="吴用",
                   password="Nophone2026", id_number=id_number, real_name="吴用")
    asker = h.register("asker00001")
    refused = rebind_code(h, asker["token"], "吴用", id_number)
    assert refused.status_code == 422 and refused.get_json()["errors"] == {
        "id_number": "原认证账号未绑定手机号，请通过人工申诉办理"}


def test_an_appeal_is_filed_reviewed_and_its_result_notified(h, admin):
    id_number, first, second = _bound_elsewhere(h, "孙悟空")
    bad = h.call("POST", "/me/appeals", {"name": "孙悟空", "id_number": id_number},
                 token=second["token"])
    assert bad.status_code == 422 and set(bad.get_json()["errors"]) == {"reason",
                                                                        "evidence_file_id"}
    appeal = h.call("POST", "/me/appeals", {
        "name": "孙悟空", "id_number": id_number, "reason": "本人身份证被他人冒用注册",
        "evidence_file_id": "5f0c6a52-4c1e-4a53-9b1f-0f7d1a2b3c4d"}, token=second["token"])
    assert appeal.status_code == 201 and appeal.get_json()["status"] == "pending"
    assert appeal.get_json()["id_number"] == id_number  # the owner sees it whole
    # The holder of the binding is told at once (SMS + prompt), and audited on both sides.
    assert "提出了人工申诉" in h.sms_texts(first["phone"])[0]
    assert [e for e in events(h, "identity.account.notified")
            if e["data"]["account_id"] == first["account_id"] and "人工申诉" in e["data"]["text"]]
    with h.db.reading() as session:
        against = [row._mapping for row in session.execute(
            select(LOG).where(LOG.c.action == "appeal.filed_against"))]
    assert [(row["subject_id"], row["actor_id"]) for row in against
            if row["detail"]["appeal_id"] == appeal.get_json()["id"]] == [
        (first["account_id"], second["account_id"])]
    twice = h.call("POST", "/me/appeals", {
        "name": "孙悟空", "id_number": id_number, "reason": "再提交一次申诉",
        "evidence_file_id": "x"}, token=second["token"])
    assert twice.status_code == 409

    assert h.call("GET", "/appeals", token=second["token"]).status_code == 403
    listed = h.call("GET", "/appeals?status=pending", token=admin).get_json()
    [item] = [a for a in listed["items"] if a["id"] == appeal.get_json()["id"]]
    assert item["id_number"] == id_number[:3] + "*" * 11 + id_number[-4:]

    # The admins review it in workflow (bpmn/realname_appeal.bpmn), started from this event
    # (masked data only); identity has no decision endpoint, it applies the process's outcome.
    [filed] = [e for e in events(h, "identity.appeal.filed") if e["data"]["appeal_id"] == item["id"]]
    assert filed["data"]["id_number"] == item["id_number"] and id_number not in json.dumps(filed)
    assert filed["data"]["attachment_ids"] == ["5f0c6a52-4c1e-4a53-9b1f-0f7d1a2b3c4d"]
    assert h.call("POST", f"/appeals/{item['id']}/decision", {"decision": "approve"},
                  token=admin).status_code in (404, 405)
    review_ends(h, item["id"], "approved", "材料属实")
    review_ends(h, item["id"], "approved", "材料属实")  # a redelivery changes nothing
    assert [a for a in h.call("GET", "/me/appeals", token=second["token"]).get_json()
            if a["status"] == "approved"]
    unknown = review_ends(h, "nope", "approved", "", apply=False)
    with pytest.raises(LookupError):
        h.kit.worker.consumer.apply(unknown)

    assert h.call("GET", "/me", token=second["token"]).get_json()["verified"] is True
    # The released holder's sessions ended at once (denylist); the binding is gone.
    assert h.call("GET", "/me", token=first["token"]).status_code == 401
    with h.db.reading() as session:
        assert session.get(Account, first["account_id"]).verified_at is None
    assert "已换绑到申诉人的账号" in h.sms_texts(first["phone"])[0]
    mine = h.call("GET", "/me/appeals", token=second["token"]).get_json()
    assert mine[0]["status"] == "approved" and mine[0]["comment"] == "材料属实"
    sms = h.call("GET", f"/dev/sms?phone={second['phone']}").get_json()["messages"]
    assert "人工申诉已通过" in sms[0]["text"]
    assert [e for e in events(h, "identity.appeal.decided")
            if e["data"]["appeal_id"] == item["id"]]


def review_ends(h, appeal_id, outcome, comment, apply=True):
    """workflow.instance.completed of the admins' review of the appeal, through identity's
    consumer (as the bus delivers it)."""
    import uuid

    envelope = {"id": str(uuid.uuid4()), "type": "workflow.instance.completed",
                "occurred_at": utcnow().isoformat(), "producer": "workflow", "subject": "i",
                "data": {"instance_id": f"instance-of-{appeal_id}", "process_key": "realname_appeal",
                         "business_key": appeal_id, "title": "实名认证人工申诉：孙**",
                         "applicant_id": "someone", "outcome": outcome,
                         "status": "completed" if outcome == "approved" else outcome,
                         "comment": comment, "decided_by": "admin-1",
                         "completed_at": utcnow().isoformat()}}
    if apply:
        h.kit.worker.consumer.apply(envelope)
    return envelope


def test_a_rejected_appeal_keeps_the_binding_and_tells_why(h):
    id_number, first, second = _bound_elsewhere(h, "猪八戒")
    appeal = h.call("POST", "/me/appeals", {
        "name": "猪八戒", "id_number": id_number, "reason": "本人身份证被他人冒用注册",
        "evidence_file_id": "5f0c6a52-4c1e-4a53-9b1f-0f7d1a2b3c4d"}, token=second["token"])
    assert appeal.status_code == 201, appeal.get_json()
    review_ends(h, appeal.get_json()["id"], "rejected", "证明材料不清晰")
    mine = h.call("GET", "/me/appeals", token=second["token"]).get_json()
    assert (mine[0]["status"], mine[0]["comment"]) == ("rejected", "证明材料不清晰")
    assert h.call("GET", "/me", token=first["token"]).get_json()["verified"] is True
    assert h.call("GET", "/me", token=second["token"]).get_json()["verified"] is False
    sms = h.call("GET", f"/dev/sms?phone={second['phone']}").get_json()["messages"]
    assert "人工申诉未通过，原因：证明材料不清晰" in sms[0]["text"]
    # A withdrawn review closes the appeal: the person may appeal again.
    again = h.call("POST", "/me/appeals", {
        "name": "猪八戒", "id_number": id_number, "reason": "补充材料后再次申诉",
        "evidence_file_id": "5f0c6a52-4c1e-4a53-9b1f-0f7d1a2b3c4d"}, token=second["token"])
    assert again.status_code == 201
    review_ends(h, again.get_json()["id"], "withdrawn", "材料准备不全")
    assert h.call("GET", "/me/appeals", token=second["token"]).get_json()[0]["status"] == "withdrawn"


def test_others_see_phone_and_id_number_masked(h, admin):
    done = h.register("maskedone1")
    id_number = new_id_number()
    h.call("POST", "/me/real-name", {"consent": True, "name": "李白", "id_number": id_number}, token=done["token"])
    seen = h.call("GET", f"/accounts/{done['account_id']}", token=admin).get_json()
    assert seen["phone"] == done["phone"][:3] + "****" + done["phone"][-4:]
    assert seen["id_number"] == id_number[:3] + "*" * 11 + id_number[-4:]
    assert seen["real_name"] == "李*"
    assert h.call("GET", f"/accounts/{done['account_id']}", token=done["token"]).status_code == 403
    basic = h.call("GET", "/me/basic", token=done["token"]).get_json()
    assert basic == {"name": "李白", "phone": done["phone"], "id_type": "居民身份证",
                     "id_number": id_number[:3] + "*" * 11 + id_number[-4:],
                     "verified": True, "profile_complete": False}


# --- the authoritative check and the production SMS sender --------------------------------

def test_a_name_that_does_not_match_the_id_number_is_refused(tmp_path):
    known = {}
    checked = Harness(tmp_path / "checked",
                      name_matches=lambda name, number: known.get(number) == name)
    try:
        done = checked.register("checkedone")
        id_number = new_id_number()
        known[id_number] = "欧阳修"
        wrong = checked.call("POST", "/me/real-name", {"consent": True, "name": "欧阳锋", "id_number": id_number},
                             token=done["token"])
        assert wrong.status_code == 422 and wrong.get_json()["errors"] == {
            "name": "姓名与身份证号不匹配，请核对后重新提交"}
        right = checked.call("POST", "/me/real-name", {"consent": True, "name": "欧阳修", "id_number": id_number},
                             token=done["token"])
        assert right.get_json()["message"] == "认证成功"
    finally:
        checked.close()


def test_the_http_sms_gateway_sender(tmp_path):
    import threading

    from flask import Flask, request
    from werkzeug.serving import make_server

    received, fail = [], []
    gateway_app = Flask("sms-gateway")

    @gateway_app.post("/send")
    def send():
        if fail:
            return {"error": "down"}, 503
        received.append(request.get_json())
        return {"ok": True}

    server = make_server("127.0.0.1", 0, gateway_app)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    real = Harness(tmp_path / "real-sms", sms_url=f"http://127.0.0.1:{server.server_port}/send")
    try:
        phone = new_phone()
        assert real.send_sms(phone).status_code == 201
        assert received[0]["phone"] == phone and "验证码" in received[0]["text"]
        # No development outbox in production.
        assert real.call("GET", f"/dev/sms?phone={phone}").status_code == 404
        fail.append(True)
        down = real.send_sms(new_phone())
        assert down.status_code == 400 and down.get_json()["detail"] == "短信发送失败，请稍后重试"
    finally:
        real.close()
        server.shutdown()


def test_the_authoritative_name_check_decides_and_its_absence_is_no_pass(tmp_path):
    import threading

    from flask import Flask, request
    from werkzeug.serving import make_server

    known, down = {}, []
    source = Flask("name-check")

    @source.post("/check")
    def check():
        if down:
            return {"error": "down"}, 503
        body = request.get_json()
        return {"match": known.get(body["id_number"]) == body["name"]}

    server = make_server("127.0.0.1", 0, source)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    real = Harness(tmp_path / "real-name-check",  # the URL wins even in development
                   name_check_url=f"http://127.0.0.1:{server.server_port}/check")
    try:
        number = new_id_number()
        known[number] = "林冲"
        person = real.register("linchong01")
        # A valid check digit is not enough: the source says the name is not this number's.
        wrong = real.call("POST", "/me/real-name", {"name": "林仲", "id_number": number, "consent": True},
                          token=person["token"])
        assert wrong.status_code == 422 and wrong.get_json()["errors"] == {
            "name": "姓名与身份证号不匹配，请核对后重新提交"}
        down.append(True)
        unavailable = real.call("POST", "/me/real-name", {"name": "林冲", "id_number": number, "consent": True},
                                token=person["token"])
        assert unavailable.status_code == 503, unavailable.get_json()
        down.clear()
        right = real.call("POST", "/me/real-name", {"name": "林冲", "id_number": number, "consent": True},
                          token=person["token"])
        assert right.get_json()["message"] == "认证成功"
    finally:
        real.close()
        server.shutdown()


# --- the separate consent to process the ID number (PIPL art. 29) -----------------------------

def test_the_real_name_check_needs_a_separate_recorded_consent(h):
    from services.identity.model import Consent

    done = h.register("consent001")
    notice = h.call("GET", "/consents/id-number", token=done["token"]).get_json()
    assert notice["purpose"] == "id-number" and "敏感个人信息" in notice["text"]
    number = new_id_number()
    for body, field in (({}, "consent"), ({"consent": False}, "consent"),
                        ({"consent": True, "consent_version": "1999-01"}, "consent_version")):
        refused = h.call("POST", "/me/real-name", {"name": "郭靖", "id_number": number, **body},
                         token=done["token"])
        assert refused.status_code == 422 and field in refused.get_json()["errors"], body
    with h.db.reading() as session:
        assert session.query(Consent).filter_by(account_id=done["account_id"]).count() == 0
    reply = h.call("POST", "/me/real-name", {"name": "郭靖", "id_number": number, "consent": True,
                                             "consent_version": notice["version"]},
                   token=done["token"])
    assert reply.status_code == 200 and reply.get_json()["verified"] is True
    with h.db.reading() as session:
        [kept] = session.query(Consent).filter_by(account_id=done["account_id"]).all()
    assert (kept.purpose, kept.version, kept.text) == ("id-number", notice["version"],
                                                       notice["text"])
    assert kept.agreed_at is not None
    assert h.call("GET", "/consents/nothing", token=done["token"]).status_code == 404


def test_a_retried_registration_creates_one_account(h):
    """Idempotency-Key: the answer was lost, the client sends it again; one account, the
    first answer back (stored encrypted: it holds the tokens)."""
    phone, ip = new_phone(), h.new_ip()
    assert h.send_sms(phone, ip=ip).status_code == 201
    body = {"username": "retryreg1", "phone": phone, "sms_code": h.last_sms_code(phone),
            "password": "Shu1yuan", "password_confirm": "Shu1yuan", "agree": True}

    def send():
        return h.client.post("/api/identity/registrations", json=body,
                             headers={"Idempotency-Key": "reg-7f3a"},
                             environ_base={"REMOTE_ADDR": ip})

    first, again = send(), send()
    assert first.status_code == 201 and again.status_code == 201, again.get_json()
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    with h.db.reading() as session:
        assert len(session.scalars(select(Account).where(
            Account.username == "retryreg1")).all()) == 1
        stored = session.execute(text("SELECT body FROM idempotency_keys")).scalars().all()
    assert stored and not any(first.get_json()["tokens"]["access_token"] in row for row in stored)
