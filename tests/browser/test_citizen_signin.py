"""Seed 000 图 1–9 in the browser: the landing page, 账号登录 (errors beside the field, the
captcha once the API asks for it), 注册 → 实名认证 → 完成, 短信登录, 扫码登录, 退出登录."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from .conftest import captcha_answer, check_page, citizen_via_api, new_citizen, sign_in, sms_code


def test_landing_offers_personal_and_unit_entries(page, web):
    page.goto("/")
    expect(page.get_by_role("link", name="个人版")).to_be_visible()
    expect(page.get_by_role("link", name="单位版")).to_be_visible()
    response = page.request.get("/")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["x-frame-options"] == "DENY"
    check_page(page, "00-landing")


def test_a_wrong_password_is_told_beside_the_field_then_the_captcha_is_asked(
        page, web, ip_guard_kept):
    base_url, system = web
    who = citizen_via_api(web)
    page.goto("/login")
    check_page(page, "01-login")
    page.get_by_label("账号").fill(who["username"])
    page.get_by_label("密码").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    expect(page.locator(".error-summary")).to_be_visible()
    check_page(page, "01-login-error")
    # Until it is shown the captcha may be asked; once shown, a right answer lets one in.
    for _ in range(6):
        if page.locator("input[name=captcha_id]").count():
            break
        page.get_by_label("密码").fill("wrong-password")
        page.get_by_role("button", name="登录").click()
    assert page.locator("input[name=captcha_id]").count() == 1
    page.get_by_label("密码").fill(who["password"])
    page.get_by_label("图形验证码").fill("XXXX")
    page.get_by_role("button", name="登录").click()
    expect(page.locator("#f-captcha_code-error")).to_have_text(re.compile("图形验证码"))
    page.get_by_label("密码").fill(who["password"])
    page.get_by_label("图形验证码").fill(captcha_answer(system, page))
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="人才服务列表")).to_be_visible()


def test_a_new_citizen_registers_verifies_and_lands_signed_in(page, web):
    base_url, system = web
    who = new_citizen()
    page.goto("/register")
    check_page(page, "02-register")
    page.get_by_label("用户名").fill(who["username"])
    page.get_by_label("手机号").fill(who["phone"])
    # A wrong captcha: told beside the field, nothing sent.
    page.get_by_label("图形验证码").fill("0000")
    page.get_by_role("button", name="获取验证码").click()
    expect(page.locator("#f-captcha_code-error")).to_contain_text("图形验证码")
    page.get_by_label("图形验证码").fill(captcha_answer(system, page))
    page.get_by_role("button", name="获取验证码").click()
    expect(page.get_by_role("status").first).to_contain_text("短信验证码已发送")
    expect(page.get_by_role("button", name=re.compile("秒后重新获取"))).to_be_disabled()
    page.get_by_label("短信验证码").fill(sms_code(base_url, who["phone"]))
    page.get_by_label("设置密码").fill(who["password"])
    page.get_by_label("确认密码").fill(who["password"])
    page.get_by_label("我已阅读并同意").check()
    page.get_by_role("button", name="注册", exact=True).click()

    expect(page.get_by_role("heading", name="实名认证")).to_be_visible()
    check_page(page, "03-real-name")
    page.get_by_label("姓名").fill(who["name"])
    page.get_by_label("身份证号").fill(who["id_number"])
    page.get_by_role("button", name="认证", exact=True).click()  # no consent: told beside it
    expect(page.locator("#f-consent-error")).to_contain_text("请阅读并勾选同意")
    page.get_by_label("我已阅读并同意上述告知").check()
    page.get_by_label("身份证号").fill(who["id_number"][:17] + ("0" if who["id_number"][-1] != "0" else "1"))
    page.get_by_role("button", name="认证", exact=True).click()
    expect(page.locator("#f-id_number-error")).to_be_visible()  # the check digit is wrong
    check_page(page, "03-real-name-error")
    page.get_by_label("身份证号").fill(who["id_number"])
    page.get_by_role("button", name="认证", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("认证成功")
    check_page(page, "04-registered")
    page.get_by_role("link", name="进入办事大厅").click()
    expect(page.get_by_role("heading", name="请完善个人信息")).to_be_visible()
    check_page(page, "05-home-new-citizen")


def test_a_taken_username_is_told_beside_the_field(page, web):
    base_url, system = web
    who = new_citizen()
    page.goto("/register")
    page.get_by_label("用户名").fill("zhangsan")
    page.get_by_label("手机号").fill(who["phone"])
    page.get_by_label("图形验证码").fill(captcha_answer(system, page))
    page.get_by_role("button", name="获取验证码").click()
    page.get_by_label("短信验证码").fill(sms_code(base_url, who["phone"]))
    page.get_by_label("设置密码").fill(who["password"])
    page.get_by_label("确认密码").fill(who["password"])
    page.get_by_label("我已阅读并同意").check()
    page.get_by_role("button", name="注册", exact=True).click()
    expect(page.locator("#f-username-error")).to_be_visible()
    assert page.get_by_label("用户名").input_value() == "zhangsan"  # what was typed is kept


def test_sms_login_and_logout(page, web):
    base_url, system = web
    who = citizen_via_api(web)
    page.goto("/login/sms")
    check_page(page, "06-login-sms")
    page.get_by_label("手机号").fill(who["phone"])
    page.get_by_label("图形验证码").fill(captcha_answer(system, page))
    page.get_by_role("button", name="获取验证码").click()
    page.get_by_label("短信验证码").fill(sms_code(base_url, who["phone"]))
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="人才服务列表")).to_be_visible()
    cookie = next(c for c in page.context.cookies() if c["name"] == "rencai_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    page.get_by_role("button", name="退出登录").click()
    expect(page.get_by_role("status").first).to_contain_text("您已安全退出")
    page.goto("/me")
    expect(page).to_have_url(re.compile("/login"))


def test_qr_login_confirmed_from_a_phone(page, web, browser):
    base_url, system = web
    page.goto("/login/qr")
    expect(page.locator(".qr-code svg")).to_be_visible()
    check_page(page, "07-login-qr")
    link = page.locator(".qr-box a.break").get_attribute("href")
    phone = browser.new_context(base_url=base_url, viewport={"width": 390, "height": 844},
                                locale="zh-CN")
    try:
        mobile = phone.new_page()
        who = citizen_via_api(web)
        sign_in(mobile, who["username"], who["password"])
        mobile.goto(link)
        expect(mobile.get_by_role("button", name="确认授权")).to_be_visible()
        mobile.console_errors = []
        check_page(mobile, "08-qr-confirm")
        mobile.get_by_role("button", name="确认授权").click()
        expect(mobile.get_by_role("status")).to_be_visible()
    finally:
        phone.close()
    # The PC page polls (htmx) and lands signed in.
    expect(page.get_by_role("heading", name="人才服务列表")).to_be_visible(timeout=15000)


def test_an_id_bound_to_another_account_offers_rebind_and_appeal(page, web, browser):
    from .conftest import register_in_browser, submit_registration

    base_url, system = web
    first = register_in_browser(page, web)  # holds the ID number now
    page.context.clear_cookies()

    # A second account with the same person: 换绑 proved by the code sent to the phone of the
    # account holding the binding (the first one's), never by this account's own phone.
    second = new_citizen()
    second.update(name=first["name"], id_number=first["id_number"])
    submit_registration(page, web, second)
    expect(page.locator("#f-id_number-error")).to_contain_text("换绑或人工申诉")
    expect(page.get_by_role("link", name="人工申诉", exact=True)).to_be_visible()
    check_page(page, "09-real-name-bound")

    page.get_by_role("link", name="人工申诉", exact=True).click()
    check_page(page, "09-appeal")
    page.get_by_label("申诉理由").fill("本人身份证号被他人误认证")
    page.get_by_label("证明材料").set_input_files(
        {"name": "身份证.pdf", "mimeType": "application/pdf",
         "buffer": b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"})
    page.get_by_role("button", name="提交申诉").click()
    expect(page.get_by_role("status").first).to_contain_text("申诉已提交")
    expect(page.get_by_role("heading", name="实名认证申诉")).to_be_visible()

    page.goto("/register/real-name")
    page.get_by_label("姓名").fill(second["name"])
    page.get_by_label("身份证号").fill(second["id_number"])
    page.get_by_label("我已阅读并同意上述告知").check()
    page.get_by_role("button", name="认证", exact=True).click()
    page.get_by_role("link", name="换绑", exact=True).click()
    check_page(page, "09-rebind")
    page.get_by_label("图形验证码").fill(captcha_answer(system, page))
    page.get_by_role("button", name="获取验证码").click()
    expect(page.get_by_role("status").first).to_contain_text(
        f"原认证账号绑定的手机 {first['phone'][:3]}****{first['phone'][-4:]}")
    page.get_by_label("短信验证码").fill(sms_code(base_url, first["phone"]))
    page.get_by_role("button", name="确认换绑").click()
    expect(page.get_by_role("status")).to_contain_text("认证成功")


def test_a_third_party_account_is_linked_in_the_personal_centre_then_signs_in(
        page, web, oidc_provider):
    oidc_provider.subject = "gov-" + (who := citizen_via_api(web))["username"]
    sign_in(page, who["username"], who["password"])
    page.goto("/me")
    page.get_by_role("button", name="关联国家政务服务平台").click()
    expect(page.get_by_role("status").first).to_contain_text("第三方账号已关联")
    expect(page.locator("#ext-h + ul")).to_contain_text("gov")
    page.get_by_role("button", name="退出登录").click()
    page.get_by_role("button", name="国家政务服务平台").click()
    expect(page.get_by_role("heading", name="人才服务列表")).to_be_visible()
    expect(page.locator(".whoami")).to_have_text(who["name"])
    check_page(page, "09-home-after-third-party")
    # Not linked: the API's refusal is shown on the sign-in page.
    page.get_by_role("button", name="退出登录").click()
    oidc_provider.subject = "gov-stranger"
    page.get_by_role("button", name="国家政务服务平台").click()
    expect(page.get_by_role("status").first).to_be_visible()
    expect(page).to_have_url(re.compile("/login"))
