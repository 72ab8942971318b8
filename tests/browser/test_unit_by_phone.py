"""Seed 003 in the browser: a unit registers by phone (手机号 + 图形验证码 + 短信验证码),
certifies with its business licence image (the recognised name and credit code shown to
check), applies for 业务权限开通 through the process's own form, and — once 区委人才办
approves it in 办理 — sees 已开通 and may 新增申报."""
from __future__ import annotations

import random

from playwright.sync_api import expect

from tests.flows_unit_by_phone import credit_code, licence_png, new_phone
from tests.support import PDF

from .conftest import captcha_answer, check_page, sms_code
from .test_review_workbench import open_task, staff_sign_in


def test_a_unit_registered_by_phone_certifies_and_gets_its_permission(page, web, browser):
    base_url, system = web
    phone = new_phone()
    page.goto("/org/login/phone")
    check_page(page, "70-unit-login-phone")
    page.get_by_label("手机号").fill(phone)
    page.get_by_label("图形验证码").fill(captcha_answer(system, page))
    page.get_by_role("button", name="获取验证码").click()
    expect(page.get_by_role("status").first).to_contain_text("短信验证码已发送")
    page.get_by_label("短信验证码").fill(sms_code(base_url, phone))
    page.get_by_role("button", name="登录/注册").click()

    # 单位认证: upload the licence, check the recognised name and code, add the e-mail.
    expect(page.get_by_role("heading", name="单位认证", exact=True)).to_be_visible()
    check_page(page, "71-unit-certification-new")
    name, code = f"北京朝阳网页测试科技有限公司{random.randint(100, 999)}", credit_code()
    page.get_by_label("营业执照图片").set_input_files(
        {"name": "营业执照.png", "mimeType": "image/png", "buffer": licence_png(name, code)})
    page.get_by_role("button", name="上传并识别").click()
    expect(page.get_by_label("单位名称")).to_have_value(name)
    expect(page.get_by_label("统一社会信用代码")).to_have_value(code)
    check_page(page, "72-unit-certification-recognised")
    page.get_by_label("邮箱").fill("hr@example.cn")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("status").first).to_contain_text("认证已通过")
    expect(page.locator(".big-result")).to_contain_text(name)

    # 人才引进 → 业务权限开通 → 申请开通 (the process's start form, rendered).
    page.goto("/org/talent")
    page.get_by_text("政策依据、办理条件和办理流程").click()
    page.get_by_role("link", name="申请开通").click()
    check_page(page, "73-unit-permission-form")
    page.get_by_label("高新技术企业").check()
    page.get_by_label("注册地所在区").fill("朝阳区")
    page.get_by_label("纳税所在区").fill("朝阳区")
    page.get_by_label("从事领域").fill("软件与信息服务")
    page.get_by_label("单位联系人").fill("王经办")
    page.get_by_label("联系方式").fill("13900001111")
    add = page.get_by_role("button", name="添加企业近三年纳税情况")
    add.click()
    add.click()
    for index, (year, amount) in enumerate([(2023, "120.5"), (2024, "150"), (2025, "180")]):
        page.locator(f"#f-tax_records-{index}-year").fill(str(year))
        page.locator(f"#f-tax_records-{index}-amount").fill(amount)
    page.get_by_label("企业简介").fill("专注工业软件的高新技术企业。")
    page.get_by_label("上传新文件").set_input_files(
        {"name": "企业资质证明.pdf", "mimeType": "application/pdf", "buffer": PDF})
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("status").first).to_contain_text("提交成功")
    check_page(page, "74-unit-permission-submitted")

    # 区委人才办 approves it in 办理 (another browser); the unit sees 已开通 and 新增申报.
    staff_context = browser.new_context(base_url=base_url, locale="zh-CN",
                                        viewport={"width": 1280, "height": 900})
    staff_context.set_default_timeout(15000)
    staff = staff_context.new_page()
    staff.console_errors = []
    staff_sign_in(staff, web, "chaoyang")
    open_task(staff, name)
    staff.get_by_role("group", name="审核结果").get_by_label("通过（开通业务权限）").check()
    staff.get_by_role("button", name="提交审核意见").click()
    expect(staff.get_by_role("status").first).to_contain_text("已办理")
    staff_context.close()
    page.goto("/org/talent")
    expect(page.locator("#perm-h + details + p .badge")).to_have_text("已开通")
    expect(page.get_by_role("link", name="新增申报")).to_be_visible()
    check_page(page, "75-unit-talent-open")

    # 修改资料 after approval: the earlier data to correct, reviewed again, still usable.
    page.get_by_role("link", name="修改资料").click()
    expect(page.get_by_label("从事领域")).to_have_value("软件与信息服务")
    page.get_by_label("从事领域").fill("工业软件")
    page.get_by_label("联系方式").fill("13900001111")  # shown masked before: typed again
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("status").first).to_contain_text("提交成功")
    page.goto("/org/talent")
    expect(page.locator("#perm-h + details + p .badge")).to_have_text("资料修改待审核（权限仍有效）")
    expect(page.get_by_role("link", name="新增申报")).to_be_visible()


def test_a_rejected_permission_is_reapplied_with_the_earlier_data(page, web):
    from tests.flows_talent_intro import PERMISSION

    from .conftest import api
    from .test_review_workbench import unit_sign_in

    gateway = api(web)
    unit = gateway.login("xinghe")
    qualification = unit.upload("unit_qualification", "企业资质证明.pdf")
    started = unit.start("business_permission", {**PERMISSION, "attachments": [
        {"kind": "qualification", "file_id": qualification, "name": "企业资质证明.pdf"}]})
    assert started.status == 201, started
    reason = "纳税凭证不清晰，请重新上传"
    assert gateway.login("chaoyang").complete(started.body["id"], {
        "decision": "reject", "comment": reason}).status == 200

    unit_sign_in(page, "xinghe")
    page.goto("/org/talent")
    expect(page.get_by_text("业务权限审核不通过")).to_be_visible()
    expect(page.locator("#perm-h").locator("..")).to_contain_text(reason)
    check_page(page, "87-unit-permission-rejected")
    page.get_by_role("link", name="重新申请").click()
    assert page.get_by_label("从事领域").input_value() == PERMISSION["field"]  # the earlier data
    assert page.get_by_label("联系方式").input_value() == ""  # shown masked: typed again
    page.get_by_label("联系方式").fill("13900001111")
    # the materials in the one attachments shape: uploaded here, with their kind
    page.locator("input[name='attachments.__upload']").set_input_files(
        {"name": "企业资质证明.pdf", "mimeType": "application/pdf",
         "buffer": b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"})
    page.locator("select[name='attachments.__upload_kind']").select_option("qualification")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("status").first).to_contain_text("提交成功")
    page.goto("/org/talent")
    expect(page.locator("#perm-h").locator("..")).to_contain_text("审核中")
