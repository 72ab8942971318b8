"""The admin console's organisation and platform pages in the browser (issue 14): the org
tree (create, edit), staff accounts with roles and the reset of their authenticator,
restrictions (限制办理), notices (通知公告), real-name appeals, and the audit log searched by
person, action and date."""
from __future__ import annotations

import re
from datetime import date

from playwright.sync_api import expect

from demo.data import BUREAU, PERSON_ZHANG

from .conftest import api, check_page
from .test_admin_processes import _bundle, admin_sign_in  # noqa: F401


def test_the_organisation_staff_restrictions_notices_appeals_and_audit_log(page, web):
    admin_sign_in(page, web)

    # The org tree: a new supervising body under the city bureau, then renamed.
    page.get_by_role("link", name="组织机构").click()
    expect(page.locator(".org-tree")).to_contain_text("北京智能制造研究院")
    page.get_by_label("机构类型").select_option("supervisor")
    page.get_by_label("机构名称").fill("市网页测试委员会")
    page.get_by_label("上级机构").select_option(BUREAU)
    page.get_by_role("button", name="新建").click()
    expect(page.get_by_role("status").first).to_contain_text("已新建机构：市网页测试委员会")
    check_page(page, "admin-20-orgs")
    page.get_by_role("link", name="市网页测试委员会").click()
    page.get_by_label("机构名称").fill("市网页测试工作委员会")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".org-tree")).to_contain_text("市网页测试工作委员会")
    page.get_by_label("机构类型").select_option("unit")
    page.get_by_role("button", name="新建").click()  # no name: told beside the field
    expect(page.locator("#f-name-error")).to_be_visible()

    # A staff account with roles, in the list; enrolled by QR at its first sign-in (the
    # row's 扫码绑定 opens the sign-in its holder uses), then its authenticator reset.
    page.get_by_role("link", name="工作人员").click()
    admin_row = page.get_by_role("row").filter(has=page.get_by_role("cell", name="admin",
                                                                    exact=True))
    expect(admin_row).to_contain_text("管理员")
    expect(admin_row).to_contain_text("已绑定")
    page.locator("#f-username").fill("webreviewer1")
    page.locator("#f-display_name").fill("网页审核员")
    page.get_by_label("初始密码").fill("Review@2026x")
    body = page.locator("#f-org_id option", has_text="市网页测试工作委员会").get_attribute("value")
    page.get_by_label("所属机构").select_option(body)
    page.get_by_label("归口单位审核员").check()
    page.get_by_role("button", name="创建").click()
    expect(page.get_by_role("status").first).to_contain_text("已创建账号 webreviewer1")
    page.get_by_label("用户名或姓名").fill("webreviewer")
    page.get_by_role("button", name="查询").click()
    row = page.get_by_role("row").filter(has_text="webreviewer1")
    expect(row).to_contain_text("市网页测试工作委员会")
    expect(row).to_contain_text("归口单位审核员")
    expect(row).to_contain_text("未绑定")
    expect(row.get_by_role("button", name=re.compile("重置"))).to_have_count(0)
    check_page(page, "admin-21-staff")
    enrol = row.get_by_role("link", name=re.compile("扫码绑定")).get_attribute("href")
    other = page.context.browser.new_context(base_url=web[0], locale="zh-CN")
    staff_page = other.new_page()
    staff_page.goto(enrol)
    expect(staff_page.get_by_label("账号")).to_have_value("webreviewer1")
    staff_page.get_by_label("密码").fill("Review@2026x")
    staff_page.get_by_role("button", name="登录").click()
    expect(staff_page.get_by_role("img", name=re.compile("二维码"))).to_be_visible()
    staff_page.console_errors = []
    check_page(staff_page, "admin-21-staff-enrolment")
    other.close()
    page.reload()
    row = page.get_by_role("row").filter(has_text="webreviewer1")
    expect(row).to_contain_text("绑定中")
    row.get_by_role("button", name="重置 webreviewer1 的身份验证器").click()
    expect(page.get_by_role("status").first).to_contain_text("已重置 webreviewer1 的身份验证器")
    expect(page.get_by_role("row").filter(has_text="webreviewer1")).to_contain_text("未绑定")
    page.get_by_label("角色").select_option("expert")
    page.get_by_label("用户名或姓名").fill("")
    page.get_by_role("button", name="查询").click()
    expect(page.locator("table.staff-list tbody")).to_contain_text("zhuanjia")
    expect(page.locator("table.staff-list tbody")).not_to_contain_text("webreviewer1")

    # 限制办理 with a reason the applicant sees, then lifted.
    page.get_by_role("link", name="业务限制").click()
    page.get_by_label("个人账号或单位编号").fill(PERSON_ZHANG)
    page.get_by_label("业务").select_option("plan_project")
    page.get_by_label("原因（申请人可见）").fill("材料存疑，待核实")
    page.get_by_role("button", name="限制办理").click()
    expect(page.get_by_role("row", name=re.compile("材料存疑"))).to_be_visible()
    check_page(page, "admin-22-restrictions")
    catalogue = api(web).login("zhangsan").get("/api/workflow/catalogue").body
    assert any("材料存疑" in str(entry) for entry in catalogue)
    page.get_by_role("button", name=re.compile("解除限制.*材料存疑")).click()
    expect(page.get_by_role("status").first).to_contain_text("已解除限制")

    # 通知公告
    page.get_by_role("link", name="通知公告").click()
    page.get_by_label("标题").fill("关于网页版上线的通知")
    page.get_by_label("正文").fill("人才业务办理平台网页版已上线。")
    page.get_by_role("button", name="发布").click()
    expect(page.locator(".plain-list")).to_contain_text("关于网页版上线的通知")
    check_page(page, "admin-23-notices")

    page.get_by_role("link", name="实名申诉").click()
    expect(page.get_by_role("heading", name=re.compile("实名申诉"))).to_be_visible()
    check_page(page, "admin-24-appeals")

    # The audit log of identity: the admin's sign-ins today.
    page.get_by_role("link", name="审计日志").click()
    page.get_by_label("操作").fill("login.*")
    page.get_by_label("日期起").fill(date.today().isoformat())
    page.get_by_role("button", name="查询").click()
    expect(page.locator("tbody")).to_contain_text("login")
    # ... by person: the admin's own account.
    admin_id = api(web).login("admin").get("/api/identity/me").body["id"]
    page.get_by_label("人员（账号编号）").fill(admin_id)
    page.get_by_role("button", name="查询").click()
    expect(page.locator("tbody")).to_contain_text(admin_id)
    expect(page.locator("tbody")).to_contain_text("login")
    check_page(page, "admin-25-audit-log")
    page.get_by_label("人员（账号编号）").fill("00000000-0000-4000-9000-00000000dead")
    page.get_by_role("button", name="查询").click()
    expect(page.locator("tbody")).to_contain_text("没有符合条件的记录")
    page.get_by_label("人员（账号编号）").fill("")
    page.get_by_label("服务").select_option("orgs")
    page.get_by_label("操作").fill("")
    page.get_by_role("button", name="查询").click()
    expect(page.locator("tbody")).not_to_contain_text("没有符合条件的记录")


_appellants = iter(range(1, 10_000))


def test_the_admin_decides_real_name_appeals_on_the_appeals_page(page, web):
    """人工申诉 decided in the console: the page completes the appeal's review task
    (bpmn/realname_appeal.bpmn) and identity applies the outcome — a rejection needs its
    reason, an approval moves the ID number's binding to the appellant."""
    import os

    from demo.data import DEMO_PASSWORD
    from services.identity.service import create_account
    from tests import flows_title_appeal as flows

    base_url, system = web
    gateway = api(web)
    kit = system.kit("identity")

    def make_person(id_number):
        suffix = f"{os.getpid() % 1000:03d}{next(_appellants):05d}"
        username = f"webappeal{suffix}"
        create_account(kit.db, kit.outbox, username=username, kind="person",
                       display_name=username, password=DEMO_PASSWORD, phone=f"136{suffix}",
                       id_number=id_number, real_name="孙悟空" if id_number else None)
        system.settle()
        return username

    rejected_number, _, _, rejected_appellant, _ = flows.appeal_parties(gateway, make_person)
    rejected, _ = flows.file_appeal(gateway, rejected_appellant, rejected_number)
    approved_number, _, holder_me, appellant, _ = flows.appeal_parties(gateway, make_person)
    approved, _ = flows.file_appeal(gateway, appellant, approved_number)

    admin_sign_in(page, web)
    page.get_by_role("link", name="实名申诉").click()
    page.get_by_label("状态").select_option("pending")
    page.get_by_role("button", name="筛选").click()
    masked = rejected_number[:3] + "*" * 11 + rejected_number[-4:]
    row = page.get_by_role("row").filter(has_text=masked)
    row.get_by_text("审核 孙** 的申诉").click()
    check_page(page, "admin-24-appeals-decide")
    # 驳回 without a reason: told beside the field, nothing decided.
    row.get_by_label("驳回", exact=True).check()
    row.get_by_role("button", name="提交审核").click()
    expect(page.locator("#f-comment-error")).to_contain_text("驳回时请填写理由")
    row = page.get_by_role("row").filter(has_text=masked)
    expect(row.get_by_label("驳回", exact=True)).to_be_checked()
    row.get_by_label(re.compile("^审核意见")).fill("证明材料无法证明身份证为本人所有")
    row.get_by_role("button", name="提交审核").click()
    expect(page.get_by_role("status").first).to_contain_text("已审核申诉：驳回")

    other = page.get_by_role("row").filter(
        has_text=approved_number[:3] + "*" * 11 + approved_number[-4:])
    other.get_by_text("审核 孙** 的申诉").click()
    other.get_by_label(re.compile("^通过")).check()
    other.get_by_label(re.compile("^审核意见")).fill("材料属实")
    other.get_by_role("button", name="提交审核").click()
    expect(page.get_by_role("status").first).to_contain_text("已审核申诉：通过")

    # identity applies what the process decided (over the bus).
    assert flows.my_appeal(gateway, rejected_appellant, rejected["id"], "rejected")
    assert flows.my_appeal(gateway, appellant, approved["id"], "approved")
    assert appellant.get("/api/identity/me").body["verified"] is True
    # The holder was signed out everywhere; signed in again, the number is no longer theirs.
    again = gateway.login(holder_me["username"]).get("/api/identity/me").body
    assert again["verified"] is False
    page.get_by_label("状态").select_option("")
    page.get_by_role("button", name="筛选").click()
    expect(page.get_by_role("row").filter(has_text="证明材料无法证明身份证为本人所有")) \
        .to_contain_text("未通过")
    check_page(page, "admin-24-appeals-decided")
