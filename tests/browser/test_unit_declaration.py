"""Seed 003 第四步 in the browser: 新增申报 (the required person fields, the named attachments)
→ 待审核; 初审 未通过 with the reason (区委人才办 in 办理) → the unit reads it in 查看 and
重新申请 → 初审 → 复审 → 已完成 in the list of all declarations."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.flows_talent_intro import ensure_permission, id_number

from .conftest import api, check_page
from .test_review_workbench import open_task, staff_sign_in, unit_sign_in


def test_a_declaration_fails_first_review_is_reapplied_and_completes(page, web, browser):
    gateway = api(web)
    ensure_permission(gateway)
    unit = gateway.login("zhizao")
    person = "钱十一"
    prefix = f"北京智能制造研究院-{person}-"
    uploaded = {kind: unit.upload(kind, f"{prefix}{material}.pdf")
                for kind, material in (("social_insurance", "社会保险个人权益记录"),
                                       ("integrity_statement", "诚信声明"),
                                       ("patent_certificate", "专利证书"))}

    unit_sign_in(page, "zhizao")
    page.goto("/org/talent")
    page.get_by_role("link", name="新增申报").click()
    expect(page.get_by_role("heading", name="新增申报：个人信息填报")).to_be_visible()
    check_page(page, "76-unit-declaration-form")
    page.get_by_label("姓名").fill(person)
    page.locator("#f-id_number").fill(id_number())
    page.get_by_role("group", name="性别").get_by_label("男").check()
    page.get_by_label("年龄").fill("35")
    page.get_by_label("政治面貌").select_option("中共党员")
    page.get_by_label("职称").fill("高级工程师")
    page.locator("#f-education").select_option("博士研究生")
    page.get_by_role("group", name="最高学位").get_by_label("博士").check()
    page.get_by_label("最高学历(学位)所在院校").fill("清华大学")
    page.get_by_label("所学专业").fill("机械工程")
    page.get_by_label("引进依据及条件").fill("专利条款")
    page.get_by_role("button", name="提交").click()
    expect(page.locator("#f-attachments-error")).to_be_visible()  # the materials are required
    add = page.get_by_role("button", name="添加附件")
    add.click()
    add.click()
    for index, (kind, material) in enumerate((("social_insurance", "社会保险个人权益记录"),
                                             ("integrity_statement", "诚信声明"),
                                             ("patent_certificate", "专利证书"))):
        page.locator(f"#f-attachments-{index}-kind").select_option(kind)
        picker = page.locator(f"#f-attachments-{index}-file_id")
        expect(picker.locator("option", has_text=f"{prefix}{material}.pdf")).to_have_count(1)
        picker.select_option(uploaded[kind])
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("status").first).to_contain_text("提交成功")
    instance_id = page.url.rsplit("/", 1)[-1]
    page.goto("/org/talent")
    row = page.locator("tr", has_text=person)
    expect(row).to_contain_text("待审核")

    # 初审 (朝阳区委人才办) in 办理: 未通过 needs the reason.
    staff_context = browser.new_context(base_url=web[0], locale="zh-CN",
                                        viewport={"width": 1280, "height": 900})
    staff_context.set_default_timeout(15000)
    staff = staff_context.new_page()
    staff.console_errors = []
    staff_sign_in(staff, web, "chaoyang")
    open_task(staff, person)
    check_page(staff, "77-district-initial-review")
    staff.get_by_role("group", name="审核结果").get_by_label("未通过").check()
    staff.get_by_label("审核意见").fill("社保缴费记录不完整")
    staff.get_by_role("button", name="提交审核意见").click()
    expect(staff.get_by_role("status").first).to_contain_text("已办理")

    # The unit: 未通过 in the list, 查看 says why, 重新申请 opens the form with the reason.
    page.reload()
    row = page.locator("tr", has_text=person)
    expect(row).to_contain_text("未通过")
    check_page(page, "78-unit-declarations-failed")
    row.get_by_role("link", name=re.compile("^查看")).click()
    expect(page.get_by_role("status").first).to_contain_text("社保缴费记录不完整")
    check_page(page, "79-unit-declaration-failed")
    page.get_by_role("link", name="重新申请").click()
    expect(page.get_by_role("status").first).to_contain_text("社保缴费记录不完整")
    assert page.get_by_label("姓名").input_value() == person
    check_page(page, "80-unit-declaration-reapply")
    page.get_by_label("引进依据及条件").fill("专利条款（发明专利 3 项）")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("status").first).to_contain_text("已重新提交")

    # 初审 passes (the same reviewer may act again at the same level), 复审 by another.
    assert gateway.eventually(lambda: gateway.login("chaoyang").task_of(instance_id))
    assert gateway.login("chaoyang").decide(instance_id, "approve").status == 200
    page.goto("/org/talent?status=待复审")
    expect(page.locator("tr", has_text=person)).to_contain_text("待复审")
    staff.get_by_role("button", name="退出登录").click()
    staff_sign_in(staff, web, "chaoyang2")
    open_task(staff, person)
    staff.get_by_role("group", name="审核结果").get_by_label("通过", exact=True).check()
    staff.get_by_role("button", name="提交审核意见").click()
    expect(staff.get_by_role("status").first).to_contain_text("已办理")
    staff_context.close()
    page.goto("/org/talent?status=已完成")
    expect(page.locator("tr", has_text=person)).to_contain_text("已完成")
    check_page(page, "81-unit-declarations-completed")
