"""The reviewers' workbench, continued (issue 13): the four-eyes rule said in plain words on
the 办理 page (not an error page); 委派 a colleague, who 交回 it; 转交 to a colleague; saved
filters; the application's PDF and image attachments shown inside 办理 through signed links.
Two 朝阳区委人才办 reviewers (chaoyang 初审员, chaoyang2 复审员) are colleagues of one group."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.flows_talent_intro import declaration, ensure_permission

from .conftest import api, check_page, jpeg
from .test_review_workbench import open_task, staff_sign_in, unit_sign_in


def declared(web, name: str) -> dict:
    """A 人才引进需求申报 of 北京智能制造研究院 for `name`, waiting for 初审; its 专利证书 is a
    JPEG photo, the other two materials PDFs."""
    gateway = api(web)
    ensure_permission(gateway)
    unit = gateway.login("zhizao")
    data = declaration(name=name)
    data["attachments"] = [{**a, "name": a["name"].replace(".pdf", ".jpg"), "file_id": unit.upload(
        a["kind"], a["name"].replace(".pdf", ".jpg"), jpeg(300, 400))}
        if a["kind"] == "patent_certificate" else {**a, "file_id": unit.upload(a["kind"], a["name"])}
        for a in data["attachments"]]
    started = unit.start("talent_demand", data)
    assert started.status == 201, started
    return started.body


def second_browser(browser, web):
    context = browser.new_context(base_url=web[0], locale="zh-CN",
                                  viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15000)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    return page


def test_four_eyes_is_explained_in_plain_words_on_the_task_page(page, web):
    instance = declared(web, "冯四眼")
    gateway = api(web)
    assert gateway.login("chaoyang").decide(instance["id"], "approve", "符合条件").status == 200
    # The same person who did 初审 opens 复审 (their group's task) and tries to decide it.
    staff_sign_in(page, web, "chaoyang")
    open_task(page, "冯四眼")
    expect(page.locator("dl.facts")).to_contain_text("需求信息复审")
    page.get_by_role("group", name="审核结果").get_by_label("通过", exact=True).check()
    with page.expect_response(re.compile(r"/review/tasks/")) as answer:
        page.get_by_role("button", name="提交审核意见").click()
    assert answer.value.status == 200  # a situation explained, not an error page
    handled = page.locator(".handled")
    expect(handled).to_contain_text("按照四眼原则")
    expect(handled).to_contain_text("请由同组其他同事办理")
    expect(page.get_by_role("heading", name="申请内容")).to_be_visible()
    check_page(page, "88-task-four-eyes")
    # Claiming it from 待办 is refused in the same words, as a notice above the list.
    page.goto("/review/")
    row = page.locator("table.tasks tr", has_text="冯四眼").first
    row.get_by_role("button", name=re.compile("^认领")).click()
    expect(page.get_by_role("status").first).to_contain_text("按照四眼原则")
    # 复审 by another person (chaoyang2): 未通过 with the reason — back to the unit, whose
    # 重新申请 goes to 初审 again (seed 003 (3)); the unit reads it in 查看.
    page.get_by_role("button", name="退出登录").click()
    staff_sign_in(page, web, "chaoyang2")
    open_task(page, "冯四眼")
    page.get_by_role("group", name="审核结果").get_by_label("未通过").check()
    page.get_by_label("审核意见").fill("不符合引进条件中的专利条款")
    page.get_by_role("button", name="提交审核意见").click()
    expect(page.get_by_role("status").first).to_contain_text("已办理")
    page.get_by_role("button", name="退出登录").click()
    unit_sign_in(page, "zhizao")
    page.goto("/org/talent?status=未通过")
    row = page.locator("tr", has_text="冯四眼")
    expect(row).to_contain_text("未通过")
    row.get_by_role("link", name=re.compile("^查看")).click()
    expect(page.get_by_role("status").first).to_contain_text("不符合引进条件中的专利条款")
    expect(page.get_by_role("link", name="重新申请")).to_be_visible()


def test_delegate_hand_back_assign_saved_filters_and_inline_attachments(page, web, browser):
    instance = declared(web, "卫协办")
    staff_sign_in(page, web, "chaoyang")
    open_task(page, "卫协办")

    # The attachments are read inside 办理: the first PDF in a frame, the photo as a picture.
    frame = page.locator("iframe.attachment-frame").first  # the first attachment is open
    expect(frame).to_be_visible()
    src = frame.get_attribute("src")
    served = page.request.get(src)  # follows the redirect to the signed link, as the frame did
    assert served.status == 200 and served.headers["content-type"] == "application/pdf"
    assert "/api/files/signed/" in served.url and served.url.endswith("inline=1")
    assert served.headers["content-disposition"].startswith("inline")
    assert served.headers["x-frame-options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in served.headers["content-security-policy"]
    photo = page.get_by_role("img", name=re.compile("^附件：.*专利证书"))
    expect(photo).to_be_hidden()  # closed: no link is made until it is opened
    page.locator("summary", has_text="专利证书").click()
    expect(photo).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth === 300",
                           arg=photo.element_handle())
    check_page(page, "89-task-inline-attachments")  # no CSP or framing refusal logged

    # 认领, then 委派 the colleague: they help and hand it back, the decision stays here.
    page.get_by_role("button", name="认领", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("已认领")
    page.get_by_text("转交或委派同事").click()
    page.get_by_label("同事", exact=True).select_option(label="朝阳区复审员")
    page.get_by_label("委派协办（办完交回我）").check()
    page.get_by_label("说明").fill("请核对社保缴费记录")
    page.get_by_role("button", name="确定").click()
    expect(page.get_by_role("status").first).to_contain_text("已委派同事协办")
    expect(page.locator(".review-side")).to_contain_text("已委派 朝阳区复审员 协办")
    expect(page.get_by_role("button", name="提交审核意见")).to_have_count(0)

    colleague = second_browser(browser, web)
    staff_sign_in(colleague, web, "chaoyang2")
    row = colleague.locator("table.tasks tr", has_text="卫协办").first
    expect(row).to_contain_text("朝阳区初审员 委派")
    open_task(colleague, "卫协办")
    expect(colleague.locator(".review-side")).to_contain_text("朝阳区初审员 委派您协办此任务")
    expect(colleague.get_by_role("button", name="提交审核意见")).to_have_count(0)
    check_page(colleague, "90-task-delegated-to-me")
    colleague.get_by_label("添加备注（仅审核人员可见）").fill("已电话核实社保缴费记录")
    colleague.get_by_role("button", name="添加备注").click()
    expect(colleague.locator("#comments")).to_contain_text("已电话核实社保缴费记录")
    colleague.get_by_label("交回说明").fill("社保记录齐全")
    colleague.get_by_role("button", name="交回朝阳区初审员").click()
    expect(colleague.get_by_role("status").first).to_contain_text("已交回委派人")

    # Back with chaoyang: the decision form again; then 转交 to the colleague for good.
    page.reload()
    expect(page.get_by_role("button", name="提交审核意见")).to_be_visible()
    expect(page.locator("#comments")).to_contain_text("已电话核实社保缴费记录")
    page.get_by_text("转交或委派同事").click()
    page.get_by_label("同事", exact=True).select_option(label="朝阳区复审员")
    page.get_by_label("转交（由同事办理）").check()
    page.get_by_role("button", name="确定").click()
    expect(page.get_by_role("status").first).to_contain_text("已转交同事办理")
    expect(page.locator("table.tasks tr", has_text="卫协办")).to_have_count(0)  # not mine now

    # The colleague: a saved filter brings the task back in one click, and is deleted.
    colleague.goto("/review/")
    colleague.get_by_label("范围").select_option("mine")
    colleague.get_by_label("业务", exact=True).select_option(label="人才引进需求申报")
    colleague.get_by_label("环节").select_option(label="区委人才办初审")
    colleague.get_by_label("申请人").fill("智能制造")  # the applicant is the declaring unit
    colleague.get_by_role("button", name="筛选").click()
    mine = colleague.locator("table.tasks tbody tr", has_text="卫协办")
    expect(mine).to_have_count(1)
    expect(mine).to_contain_text("朝阳区复审员")
    colleague.get_by_text(re.compile(r"^保存的筛选条件")).click()
    colleague.get_by_label("把当前条件保存为").fill("我的卫协办")
    colleague.get_by_role("button", name="保存", exact=True).click()
    expect(colleague.get_by_role("status").first).to_contain_text("筛选条件已保存")
    colleague.get_by_role("link", name="清除条件").click()
    expect(colleague.get_by_label("申请人")).to_have_value("")
    colleague.get_by_text(re.compile(r"^保存的筛选条件")).click()
    check_page(colleague, "91-inbox-saved-filters")
    colleague.get_by_role("link", name="我的卫协办").click()
    expect(colleague.get_by_label("申请人")).to_have_value("智能制造")
    expect(colleague.get_by_label("范围")).to_have_value("mine")
    expect(mine).to_have_count(1)
    colleague.get_by_text(re.compile(r"^保存的筛选条件")).click()
    colleague.get_by_role("button", name=re.compile("^删除.*我的卫协办")).click()
    expect(colleague.get_by_role("status").first).to_contain_text("筛选条件已删除")
    # It is the colleague's now: they decide it (初审 未通过 with the reason, back to the unit).
    open_task(colleague, "卫协办")
    colleague.get_by_role("group", name="审核结果").get_by_label("未通过").check()
    colleague.get_by_label("审核意见").fill("测试结束")
    colleague.get_by_role("button", name="提交审核意见").click()
    expect(colleague.get_by_role("status").first).to_contain_text("已办理")
    colleague.context.close()
    assert api(web).login("zhizao").instance(instance["id"])["stage"] != "待审核"
