"""单位版 in the browser (seed 002): a unit approves one affiliation request and rejects
another (through its task's own form), sees 在职员工 and 员工详情, regenerates its association
code; 单位认证 and 人才引进 pages; every page checked (axe, 1280 and 390 px)."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.support import PDF

from .conftest import api, check_page, register_in_browser
from .test_review_workbench import unit_sign_in


def request_affiliation(web, who: dict, code: str) -> None:
    citizen = api(web).login(who["username"], who["password"])
    started = citizen.start("affiliation", {"association_code": code, "unit_confirmed": True})
    assert started.status == 201, started


def test_a_unit_approves_one_affiliation_and_rejects_another(page, web):
    gateway = api(web)
    first = register_in_browser(page, web)
    second = register_in_browser(page, web)
    for who in (first, second):
        request_affiliation(web, who, "XHRJ6688")
    page.context.clear_cookies()

    unit_sign_in(page, "xinghe")
    check_page(page, "51-unit-home-xinghe")
    page.get_by_role("link", name="查看员工列表").click()
    expect(page.get_by_role("link", name=re.compile("待确认关联"))).to_have_attribute(
        "aria-current", "page")
    check_page(page, "52-unit-pending")

    # 通过 with the employee's position (the task's form: 审核结果, 当前职位).
    page.get_by_role("link", name=re.compile(f"通过或拒绝.*{first['name']}")).click()
    expect(page.locator("dl.preview").first).to_contain_text("XHRJ6688")
    page.get_by_role("group", name="审核结果").get_by_label("通过", exact=True).check()
    page.get_by_role("button", name="提交审核意见").click()
    expect(page.locator("#f-position-error")).to_be_visible()  # the position is required
    check_page(page, "53-unit-affiliation-decide")
    page.get_by_label("当前职位").fill("软件工程师")
    page.get_by_role("button", name="提交审核意见").click()
    expect(page.get_by_role("status").first).to_contain_text("已办理")

    # 拒绝 with the reason.
    page.goto("/org/employees")
    page.get_by_role("link", name=re.compile(f"通过或拒绝.*{second['name']}")).click()
    page.get_by_role("group", name="审核结果").get_by_label("拒绝", exact=True).check()
    page.get_by_label("拒绝原因").fill("本单位无此员工")
    page.get_by_role("button", name="提交审核意见").click()
    expect(page.get_by_role("status").first).to_contain_text("已办理")

    rejected = gateway.login(second["username"], second["password"])
    answer = gateway.eventually(lambda: next((
        r for r in rejected.get("/api/orgs/me/affiliation-requests").body["items"]
        if r["status"] == "rejected"), None))
    assert answer and answer["reason"] == "本单位无此员工", answer

    # 在职员工 → 员工详情 (tabs), 职位与劳动合同, 解除关联.
    page.goto("/org/employees?tab=active")
    gateway.eventually(lambda: page.reload() or page.get_by_text(first["name"]).count())
    check_page(page, "54-unit-employees")
    page.get_by_role("link", name=re.compile(f"查看.*{first['name']}")).click()
    expect(page.get_by_role("heading", name=f"员工详情：{first['name']}")).to_be_visible()
    check_page(page, "55-unit-employee")
    page.get_by_role("link", name="职位与劳动合同").click()
    assert page.get_by_label("当前职位").input_value() == "软件工程师"
    page.get_by_label("劳动合同期限类型").select_option("fixed")
    page.get_by_label("合同开始日期").fill("2026-01-01")
    page.get_by_label("合同结束日期").fill("2028-12-31")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("status").first).to_contain_text("职位与劳动合同已更新")
    check_page(page, "56-unit-employee-job")
    page.get_by_role("link", name="解除关联", exact=True).click()
    check_page(page, "57-unit-employee-unlink")
    page.get_by_role("button", name="确认解除关联").click()
    expect(page.get_by_role("status").first).to_contain_text("解除关联原因")  # required
    page.get_by_role("link", name="解除关联", exact=True).click()
    page.get_by_label("解除关联原因").fill("员工已离职")
    page.get_by_role("button", name="确认解除关联").click()
    expect(page.get_by_role("status").first).to_contain_text("已解除")

    # 单位首页: regenerate the association code; the new one is shown.
    page.goto("/org/")
    old = page.locator("#association-code").inner_text()
    page.get_by_role("button", name="重新生成").click()
    expect(page.get_by_role("status").first).to_contain_text("关联代码已重新生成")
    assert page.locator("#association-code").inner_text() not in ("", old)


def test_unit_certification_and_talent_pages(page, web):
    unit_sign_in(page, "xinghe")
    page.goto("/org/certification")
    expect(page.get_by_text("已通过").first).to_be_visible()
    check_page(page, "58-unit-certification")
    page.get_by_role("link", name="重新认证").click()
    page.get_by_role("button", name="上传并识别").click()
    expect(page.locator("#f-licence-error")).to_be_visible()
    check_page(page, "59-unit-certification-redo")
    page.goto("/org/talent")
    expect(page.get_by_role("heading", name="业务权限开通")).to_be_visible()
    check_page(page, "60-unit-talent")
    # 附件管理 of the unit: the same page as a person's, with the unit's slots (files decides).
    page.get_by_role("link", name="附件管理").click()
    expect(page.locator("#slot-business_licence")).to_be_visible()
    check_page(page, "60-unit-attachments")
    page.get_by_label("搜索附件").fill("营业执照")  # 模糊搜索
    page.get_by_role("button", name="搜索").click()
    slot = page.locator("#slot-business_licence")
    slot.locator("input[type=file]").set_input_files(
        {"name": "单位附件测试.pdf", "mimeType": "application/pdf", "buffer": PDF})
    slot.get_by_role("button", name="上传", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("上传成功")
    expect(slot.get_by_role("link", name="单位附件测试.pdf")).to_be_visible()
    slot.get_by_role("button", name=re.compile("^删除.*单位附件测试")).click()
    expect(page.get_by_role("status").first).to_contain_text("附件已删除")
    page.goto("/org/login/other")
    expect(page.get_by_role("status")).to_contain_text("暂未开通")
    check_page(page, "61-unit-login-other")


def test_a_unit_completes_its_information_and_maintains_its_handler(page, web):
    unit = api(web).login("shiyan")
    unit.upload("business_licence", "事业单位法人证书.pdf")
    unit_sign_in(page, "shiyan")
    page.get_by_role("link", name="去完善").click()
    expect(page.get_by_role("heading", name="单位信息完善")).to_be_visible()
    page.get_by_role("button", name="保存并提交").click()
    expect(page.locator(".field-error").first).to_be_visible()  # orgs names what is missing
    check_page(page, "82-unit-profile-errors")
    page.get_by_label("办公地点").fill("北京市西城区")
    page.get_by_label("单位类型").select_option("事业单位")
    page.get_by_label("法定代表人").fill("刘校长")
    page.get_by_label("单位地址").fill("北京市西城区南菜园 1 号")
    page.locator("#f-qualifications-0-name").fill("北京市示范性高中")
    page.get_by_label("经办人姓名").fill("陈老师")
    page.get_by_label("经办人联系电话").fill("13900002222")
    page.get_by_label("紧急联系人姓名").fill("张老师")
    page.get_by_label("紧急联系人联系电话").fill("13900003333")
    page.get_by_label("事业单位法人证书.pdf").check()
    page.get_by_role("button", name="保存并预览").click()
    expect(page.get_by_role("heading", name="单位完整信息")).to_be_visible()
    expect(page.locator(".panel").first).to_contain_text("北京市示范性高中")
    check_page(page, "83-unit-profile")
    page.get_by_role("link", name="修改").click()
    page.get_by_role("button", name="保存并提交").click()
    expect(page.get_by_role("status").first).to_contain_text("单位信息已提交")
    expect(page.get_by_text("单位信息尚未完善")).to_have_count(0)
    page.get_by_role("link", name="维护业务经办人信息").first.click()
    page.get_by_label("经办人联系电话").fill("12345")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#f-handler-phone-error")).to_be_visible()
    check_page(page, "84-unit-handler")
    page.get_by_label("经办人联系电话").fill("13900004444")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("status").first).to_contain_text("业务经办人信息已更新")
    expect(page.locator(".facts")).to_contain_text("13900004444")


def test_a_unit_applies_for_an_employees_work_permit(page, web, browser):
    unit_sign_in(page, "zhizao")
    page.get_by_role("link", name="进入 工作居住证").click()  # 人才服务列表
    check_page(page, "85-unit-work-permits")
    page.get_by_role("link", name="为在职员工申请工作居住证").click()
    page.get_by_role("group", name="申请人员").get_by_label("张三").check()
    page.get_by_role("group", name="申请类型").get_by_label("新办").check()
    page.get_by_label("现任职务").fill("研究员")
    page.get_by_label("最高学历").select_option("博士研究生")
    page.get_by_label("已与本单位签订劳动合同").check()
    check_page(page, "86-unit-work-permit-form")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("status").first).to_contain_text("提交成功")
    expect(page.locator("h1")).to_contain_text("工作居住证")
    instance_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    page.goto("/org/work-permits")
    expect(page.locator("table")).to_contain_text("审核中")
    # 归口单位 passes it; at 市局 the 有效期限 is required when (and only when) 通过 is chosen.
    gateway = api(web)
    supervisor = gateway.login("kewei")
    assert gateway.eventually(lambda: supervisor.task_of(instance_id)), instance_id
    assert supervisor.decide(instance_id, "approve", "同意").status == 200
    from .test_review_hand_over import second_browser
    from .test_review_workbench import staff_sign_in
    bureau = second_browser(browser, web)
    staff_sign_in(bureau, web, "shiju")
    bureau.locator("table.tasks tr", has_text="工作居住证").filter(has_text="张三").first \
        .get_by_role("link", name=re.compile("^办理")).click()
    expect(bureau.locator("dl.facts")).to_contain_text("市局审核")
    # 有效期限 appears only when it applies: with 通过.
    expect(bureau.get_by_label(re.compile("^有效期限"))).to_be_hidden()
    bureau.get_by_role("group", name="审核结果").get_by_label(re.compile("^通过")).check()
    expect(bureau.get_by_label(re.compile("^有效期限"))).to_be_visible()
    bureau.get_by_role("button", name="提交审核意见").click()
    expect(bureau.locator("#f-valid_years-error")).to_be_visible()
    check_page(bureau, "92-bureau-work-permit-valid-years")
    # Leave 张三 as found (one open 工作居住证 each): 不通过 needs no 有效期限, only the reason.
    bureau.get_by_role("group", name="审核结果").get_by_label(re.compile("^不通过")).check()
    bureau.get_by_label("审核意见").fill("测试结束")
    bureau.get_by_role("button", name="提交审核意见").click()
    expect(bureau.get_by_role("status").first).to_contain_text("已办理")
    bureau.context.close()

    # 单位首页: the outcome as a 系统提示 (to the application), and 通知公告 with 查看更多.
    notice = gateway.login("admin").post("/api/workflow/admin/notices", {
        "title": "关于工作居住证办理的通知（单位版测试）", "body": "请各用人单位及时办理。"})
    assert notice.status == 201, notice
    page.goto("/org/")
    prompts = page.locator("#prompts")
    assert gateway.eventually(lambda: page.reload() or prompts.get_by_text("未通过审核").count())
    expect(prompts.locator(".unread").first).to_be_visible()
    check_page(page, "93-unit-home-prompts")
    prompts.get_by_role("link", name=re.compile("未通过审核")).first.click()
    expect(page.locator("h1")).to_contain_text("工作居住证")
    page.goto("/org/")
    page.get_by_role("link", name="关于工作居住证办理的通知（单位版测试）").click()
    expect(page.get_by_role("heading", name="关于工作居住证办理的通知（单位版测试）")).to_be_visible()
    page.goto("/org/")
    page.get_by_role("link", name=re.compile("^查看更多")).click()
    expect(page.get_by_role("heading", name="通知公告", exact=True)).to_be_visible()


def test_the_unit_header_is_one_menu_on_a_phone(page, web):
    """At 390 px the unit's header links fold into one 菜单 (a <details>, no script) instead
    of wrapping over several lines; at 1280 px they are a row and the 菜单 is not shown."""
    from .conftest import SCREENSHOTS

    unit_sign_in(page, "zhizao")
    # 复制 the association code (the button exists only where the clipboard works).
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="复制").click()
    expect(page.get_by_role("button", name="已复制")).to_be_visible()
    code = page.locator("#association-code").inner_text().strip()
    assert page.evaluate("navigator.clipboard.readText()") == code
    menu = page.locator(".site-header summary", has_text="菜单")
    expect(menu).to_be_hidden()
    expect(page.locator(".site-header").get_by_role("link", name="员工管理")).to_be_visible()
    page.set_viewport_size({"width": 390, "height": 844})
    header = page.locator(".site-header .header-row")
    assert header.bounding_box()["height"] < 100  # brand, 菜单 and 退出登录 on one line
    expect(menu).to_be_visible()
    menu.click()
    page.screenshot(path=str(SCREENSHOTS / "50-unit-phone-menu-390.png"))
    page.locator(".site-header").get_by_role("link", name="员工管理").click()
    expect(page.get_by_role("heading", name="员工管理")).to_be_visible()
    page.set_viewport_size({"width": 1280, "height": 900})
    check_page(page, "50-unit-employees-menu")


def test_an_employee_with_a_business_in_progress_cannot_be_unlinked(page, web):
    """员工列表 filtered by name; 解除关联 refused with the reason while the employee has a
    business in progress (seed 002 图 20: 不满足解除关联的原因)."""
    from .test_review_workbench import submitted_application

    submitted_application(web)  # 张三 applies for a plan project: in progress
    unit_sign_in(page, "zhizao")
    page.goto("/org/employees?tab=active")
    page.get_by_label("姓名").fill("张三")
    page.get_by_role("button", name="查询").click()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(1)
    rows.get_by_role("link", name=re.compile("查看.*张三")).click()
    page.get_by_role("link", name="解除关联", exact=True).click()
    refusal = page.get_by_role("status").filter(has_text="暂不能解除关联")
    expect(refusal).to_contain_text("正在办理的业务")
    expect(page.get_by_role("button", name="确认解除关联")).to_have_count(0)
    check_page(page, "94-unit-unlink-refused")
