"""The reviewers' workbench in the browser (issue 13): every level of a plan-project
application decides in 办理 (the unit, 归口单位 returning it once, 市局, two experts scoring
with the panel's state shown); two reviewers on the same task — the second is told plainly it
was handled; a reviewer of another supervising body gets a 404 page; the first sign-in of a new
staff account enrols its authenticator from the QR code."""
from __future__ import annotations

import os
import re

import pyotp
from playwright.sync_api import expect

from tests.flows import upload_materials
from tests.support import APPLICATION

from .conftest import api, check_page


def staff_sign_in(page, web, username: str, password: str = "Rencai@2026") -> None:
    """工作人员登录 with the authenticator's code (the step shared with the API's sessions)."""
    staff = api(web).staff
    page.goto("/review/login")
    page.get_by_label("账号").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_label("动态验证码").fill(staff.code(username, staff.secrets[username]))
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="待办", exact=True)).to_be_visible()


def unit_sign_in(page, username: str) -> None:
    page.goto("/org/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("Rencai@2026")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="单位信息")).to_be_visible()


def open_task(page, applicant: str, instance_id: str | None = None) -> None:
    page.goto("/review/")
    row = page.locator("table.tasks tr", has_text=applicant).first
    row.get_by_role("link", name=re.compile("^办理")).click()
    expect(page.get_by_role("heading", name="申请内容")).to_be_visible()


def decide(page, decision: str, comment: str = "") -> None:
    page.get_by_role("group", name="审核结果").get_by_label(decision, exact=True).check()
    if comment:
        page.get_by_label("审核意见").fill(comment)
    page.get_by_role("button", name="提交审核意见").click()


def submitted_application(web, applicant: str = "zhangsan") -> tuple[dict, object]:
    gateway = api(web)
    user = gateway.login(applicant)
    instance = user.submit({**APPLICATION, "attachments": upload_materials(user)})
    return instance, gateway


def test_every_level_decides_in_the_browser_and_one_returns(browser, web):
    instance, gateway = submitted_application(web)
    applicant = gateway.login("zhangsan")
    context = browser.new_context(base_url=web[0], locale="zh-CN",
                                  viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15000)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)

    # 用人单位 (the unit reviews its employee's application): 待办 → 办理 → 通过.
    unit_sign_in(page, "zhizao")
    check_page(page, "50-unit-home")
    page.goto("/review/")
    check_page(page, "40-inbox-unit")
    open_task(page, "张三")
    expect(page.get_by_role("link", name="查看 博士学位证书.pdf")).to_be_visible()
    expect(page.locator("dl.preview").first).to_contain_text(APPLICATION["project_name"])
    check_page(page, "41-task-unit")
    # Each attachment is shown inside 办理 (the first one open); and in a tab of its own.
    expect(page.get_by_title("附件：博士学位证书.pdf")).to_be_visible()
    page.locator("summary", has_text="劳动合同.pdf").click()
    expect(page.get_by_title("附件：劳动合同.pdf")).to_be_visible()
    # The link opens a tab of its own, sent on to the signed link that serves the file itself.
    # (Followed by request, not by a popup: headless Chromium may take a PDF tab for a download.)
    link = page.get_by_role("link", name="查看 劳动合同.pdf")
    expect(link).to_have_attribute("target", "_blank")
    hop = page.request.get(link.get_attribute("href"), max_redirects=0)
    assert hop.status == 302 and "/api/files/signed/" in hop.headers["location"], hop.status
    served = page.request.get(hop.headers["location"])
    assert served.ok and served.headers["content-type"].startswith("application/pdf")
    decide(page, "通过")
    expect(page.get_by_role("status").first).to_contain_text("已办理")
    page.get_by_role("button", name="退出登录").click()

    # 归口单位: 退回修改 needs the reason (told beside the field), then returns it.
    staff_sign_in(page, web, "kewei")
    open_task(page, "张三")
    page.get_by_role("group", name="审核结果").get_by_label("退回申请人修改").check()
    page.get_by_role("button", name="提交审核意见").click()
    expect(page.locator("#f-comment-error")).to_be_visible()
    check_page(page, "42-task-decision-error")
    decide(page, "退回申请人修改", "请补充受教育情况的起止时间")
    expect(page.get_by_role("status").first).to_contain_text("已办理")
    assert applicant.instance(instance["id"])["status"] == "returned"
    fixed = {**APPLICATION, "attachments": applicant.instance(instance["id"])["application"]["attachments"]}
    assert applicant.complete(instance["id"], fixed).status == 200  # the applicant resubmits

    # A resubmission starts again at the unit (through the API this time), then back at
    # 归口单位 — acting again at the same level is allowed: 通过.
    assert gateway.login("zhizao").decide(instance["id"], "approve", "同意").status == 200
    assert gateway.eventually(lambda: gateway.login("kewei").task_of(instance["id"]))
    open_task(page, "张三")
    expect(page.locator(".timeline")).to_contain_text("请补充受教育情况的起止时间")
    decide(page, "通过", "同意推荐")
    page.goto("/review/done")
    expect(page.get_by_role("link", name=re.compile("申请计划项目")).first).to_be_visible()
    check_page(page, "43-done")
    page.get_by_role("button", name="退出登录").click()

    # 市局: 通过.
    staff_sign_in(page, web, "shiju")
    open_task(page, "张三")
    decide(page, "通过", "同意")
    page.get_by_role("button", name="退出登录").click()

    # 专家评审: the first expert sees nobody scored yet, scores; the second sees the vote.
    staff_sign_in(page, web, "zhuanjia")
    open_task(page, "张三")
    expect(page.get_by_role("heading", name="专家打分")).to_be_visible()
    expect(page.get_by_role("heading", name="专家组评审情况")).to_be_visible()
    page.get_by_label("评分").fill("120")
    page.get_by_role("group", name="评审建议").get_by_label("建议通过").check()
    page.get_by_label("评审意见").fill("创新性强")
    page.get_by_role("button", name="提交评分").click()
    expect(page.locator("#f-score-error")).to_be_visible()  # the API's range, beside it
    check_page(page, "44-expert-scoring")
    page.get_by_label("评分").fill("92")
    page.get_by_role("button", name="提交评分").click()
    expect(page.get_by_role("status").first).to_contain_text("已办理")
    page.get_by_role("button", name="退出登录").click()
    staff_sign_in(page, web, "zhuanjia2")
    open_task(page, "张三")
    expect(page.locator("section", has=page.get_by_role("heading", name="专家组评审情况"))) \
        .to_contain_text("建议通过 1 票")
    check_page(page, "45-expert-panel")
    page.get_by_label("评分").fill("88")
    page.get_by_role("group", name="评审建议").get_by_label("建议通过").check()
    page.get_by_label("评审意见").fill("同意")
    page.get_by_role("button", name="提交评分").click()
    expect(page.get_by_role("status").first).to_contain_text("已办理")
    final = applicant.instance(instance["id"])
    assert final["status"] == "completed" and final["outcome"] == "approved"
    assert [e["action"] for e in final["timeline"]].count("return") == 1
    context.close()


def test_the_second_reviewer_is_told_the_task_was_handled(browser, web):
    instance, gateway = submitted_application(web, "lisi")
    # 李四's unit is 北京市第一实验中学 (shiyan); two browsers of the same unit account.
    pages = []
    for _ in range(2):
        context = browser.new_context(base_url=web[0], locale="zh-CN",
                                      viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15000)
        page = context.new_page()
        page.console_errors = []
        unit_sign_in(page, "shiyan")
        open_task(page, "李四")
        pages.append(page)
    first, second = pages
    decide(first, "通过")
    expect(first.get_by_role("status").first).to_contain_text("已办理")
    decide(second, "通过")
    expect(second.locator(".handled")).to_contain_text("已被他人处理")
    check_page(second, "46-task-already-handled")
    for page in pages:
        page.context.close()


def test_a_reviewer_of_another_supervising_body_gets_a_404_page(page, web):
    instance, gateway = submitted_application(web)
    unit = gateway.login("zhizao")
    assert unit.decide(instance["id"], "approve", "同意").status == 200
    task_id = gateway.login("kewei").task_of(instance["id"])
    assert task_id
    staff_sign_in(page, web, "jiaowei")  # 市教委: not 张三's supervising body
    expect(page.locator("table.tasks")).not_to_contain_text("张三")
    response = page.goto(f"/review/tasks/{task_id}")
    assert response.status == 404
    expect(page.get_by_role("heading", name="未找到")).to_be_visible()
    check_page(page, "47-task-404")


def test_a_new_staff_account_enrols_its_authenticator_at_first_sign_in(page, web):
    gateway = api(web)
    admin = gateway.login("admin")
    username = f"shenhe{os.getpid()}"
    reply = admin.post("/api/identity/staff-accounts", {
        "username": username, "password": "Reviewer@2026x", "display_name": "新审核员",
        "org_id": "00000000-0000-4000-8000-000000000011", "roles": ["supervisor"]})
    assert reply.status == 201, reply
    page.goto("/review/login")
    page.get_by_label("账号").fill(username)
    page.get_by_label("密码").fill("Reviewer@2026x")
    page.get_by_role("button", name="登录").click()
    qr = page.get_by_role("img", name="身份验证器绑定二维码")
    expect(qr).to_be_visible()
    check_page(page, "48-staff-enrolment")
    secret = page.locator(".enrol code").inner_text().strip()
    page.get_by_label("密码").fill("Reviewer@2026x")
    page.get_by_label("动态验证码").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="待办", exact=True)).to_be_visible()
    shown = page.get_by_role("status").first
    expect(shown).to_contain_text("恢复码")
    check_page(page, "49-inbox-new-staff")
    recovery = re.search(r"[a-z0-9]{5}-[a-z0-9]{5}", shown.inner_text()).group(0)
    # A lost phone: one recovery code in the same box signs in (once).
    page.get_by_role("button", name="退出登录").click()
    page.goto("/review/login")
    page.get_by_label("账号").fill(username)
    page.get_by_label("密码").fill("Reviewer@2026x")
    page.get_by_label("动态验证码").fill(recovery)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="待办", exact=True)).to_be_visible()


def test_one_staff_sign_in_page_sends_each_to_their_console(page, web):
    """/review/login and /admin/login are the same page; an admin lands in 管理控制台,
    a reviewer in 待办 — also when they came by the console's address."""
    staff = api(web).staff
    page.goto("/review/login")
    page.get_by_label("账号").fill("admin")
    page.get_by_label("密码").fill("Rencai@2026")
    page.get_by_label("动态验证码").fill(staff.code("admin", staff.secrets["admin"]))
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="流程模型")).to_be_visible()
    page.context.clear_cookies()
    page.goto("/admin/processes")
    expect(page.get_by_role("heading", name="工作人员登录")).to_be_visible()
    check_page(page, "39-staff-sign-in")
    page.get_by_label("账号").fill("kewei")
    page.get_by_label("密码").fill("Rencai@2026")
    page.get_by_label("动态验证码").fill(staff.code("kewei", staff.secrets["kewei"]))
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="待办", exact=True)).to_be_visible()
    expect(page.get_by_role("status").first).to_contain_text("不是管理员")


def test_inbox_counts_refresh_without_a_reload_and_claiming_moves_them(page, web):
    unit_sign_in(page, "zhizao")
    page.goto("/review/")
    unclaimed = page.locator("#counts .count").nth(1).locator(".count-no")
    before = int(unclaimed.inner_text())
    page.evaluate("window.__same_page = true")
    submitted_application(web)  # a new task arrives while the page stays open
    expect(unclaimed).to_have_text(str(before + 1), timeout=25000)  # htmx polled it
    assert page.evaluate("window.__same_page") is True  # no reload happened
    page.reload()
    row = page.locator("table.tasks tr", has_text="张三").first
    row.get_by_role("button", name=re.compile("^认领")).click()
    expect(page.get_by_role("status").first).to_contain_text("已认领")
    expect(page.locator("#counts .count").first.locator(".count-no")).not_to_have_text("0")
    check_page(page, "40-inbox-claimed")
    page.locator("table.tasks tr", has_text="张三").first.get_by_role(
        "button", name="取消认领").click()
    expect(page.get_by_role("status").first).to_contain_text("已取消认领")


def test_the_inbox_is_filtered_by_unit_name(page, web):
    """单位: a name (or part of it) picks one unit; too vague or unknown is said beside it."""
    instance, gateway = submitted_application(web)
    assert gateway.login("zhizao").decide(instance["id"], "approve", "同意").status == 200
    staff_sign_in(page, web, "kewei")
    page.get_by_label("单位").fill("北京")  # 智能制造研究院 and 星河软件 both match
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("#f-unit_name-error")).to_contain_text("有多个单位名称包含“北京”")
    check_page(page, "40-inbox-unit-filter-vague")
    page.get_by_label("单位").fill("星河")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("table.tasks")).not_to_contain_text("张三")
    page.get_by_label("单位").fill("智能制造")
    page.get_by_role("button", name="筛选").click()
    expect(page.get_by_label("单位")).to_have_value("北京智能制造研究院")  # the unit it picked
    expect(page.locator("table.tasks tr", has_text="张三").first).to_be_visible()
    # With 到达日期, 排序 by 时限 and 只看已超时 (this new task is not overdue).
    from datetime import datetime, timedelta, timezone
    yesterday = (datetime.now(timezone.utc) - timedelta(days=1)).date().isoformat()
    page.get_by_label("到达日期起").fill(yesterday)
    page.get_by_label("排序").select_option("due_at")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("table.tasks tr", has_text="张三").first).to_be_visible()
    page.get_by_label("只看已超时").check()
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("table.tasks")).not_to_contain_text("张三")
    page.get_by_label("只看已超时").uncheck()
    page.get_by_role("button", name="筛选").click()
    # Saved, the filter keeps the unit (by its id) and shows its name again.
    page.get_by_text(re.compile(r"^保存的筛选条件")).click()
    page.get_by_label("把当前条件保存为").fill("智能制造研究院的")
    page.get_by_role("button", name="保存", exact=True).click()
    page.get_by_role("link", name="清除条件").click()
    expect(page.get_by_label("单位")).to_have_value("")
    page.get_by_text(re.compile(r"^保存的筛选条件")).click()
    page.get_by_role("link", name="智能制造研究院的").click()
    expect(page.get_by_label("单位")).to_have_value("北京智能制造研究院")
    expect(page.locator("table.tasks tr", has_text="张三").first).to_be_visible()
    page.get_by_text(re.compile(r"^保存的筛选条件")).click()
    page.get_by_role("button", name=re.compile("^删除.*智能制造研究院的")).click()
    expect(page.get_by_role("status").first).to_contain_text("筛选条件已删除")
