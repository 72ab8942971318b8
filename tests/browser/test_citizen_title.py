"""Seed 000/001 政工职评 in the browser: 资格审核 (the 免考 choice shows 免考类型 only when it
applies), then, after the unit and the supervisor approve, 完善材料 from the application page
with a material uploaded in the form."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.support import PDF

from .conftest import api, check_page, sign_in


def test_title_evaluation_in_two_stages(page, web):
    gateway = api(web)
    sign_in(page, "zhangsan")
    page.locator(".service", has_text="政工职评").get_by_role("link").click()
    expect(page.get_by_role("heading", name="政工职评", exact=True)).to_be_visible()
    exemption = page.get_by_role("group", name="是否免考")  # one field, as in plan_project
    check_page(page, "40-title-evaluation")
    page.get_by_role("group", name="申报职称").get_by_label("政工师", exact=True).check()
    page.get_by_label("基础信息确认").check()
    page.get_by_label("现任职务").fill("党委办公室主任")
    page.get_by_label("项目基本情况").fill("从事思想政治工作十年。")
    page.locator("#f-work_history-0-employer").fill("北京智能制造研究院")
    page.locator("#f-work_history-0-position").fill("党委办公室主任")
    page.get_by_label("确认未上传涉密材料").check()
    page.get_by_role("button", name="直接提交").click()  # no 是否免考 chosen
    expect(page.locator("#f-exam_exemption-error")).to_be_visible()
    exemption.get_by_label("业绩突出免考").check()
    page.get_by_role("button", name="预览").click()
    expect(page.get_by_text("业绩突出免考")).to_be_visible()
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("status").first).to_contain_text("已提交")
    instance_id = page.url.rsplit("/", 1)[-1]

    for reviewer in ("zhizao", "kewei"):
        user = gateway.login(reviewer)
        assert gateway.eventually(lambda: user.task_of(instance_id))
        assert user.complete(instance_id, {"decision": "approve", "comment": "同意"}).status == 200
    page.reload()
    page.get_by_role("link", name="去办理").click()
    expect(page.get_by_role("heading", name="完善材料", exact=False)).to_be_visible()
    check_page(page, "41-title-materials")
    page.get_by_label("任现职以来专业技术工作总结").fill("牵头完成院党建工作体系建设。")
    page.locator("#f-achievements-0-name").fill("科研院所思想政治工作研究")
    page.locator("#f-achievements-0-year").fill("2024")
    page.get_by_label("确认材料真实且不含涉密内容").check()
    page.locator("input[name='attachments.__upload']").set_input_files(
        {"name": "评审材料.pdf", "mimeType": "application/pdf", "buffer": PDF})
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("status").first).to_contain_text("已提交")
    detail = gateway.login("zhangsan").instance(instance_id)
    assert detail["status"] == "running"
    assert detail["current_stage"][0]["holder"] == "用人单位：北京智能制造研究院"
    # 张三 may hold one open 政工职评: the unit ends this one, leaving 张三 as found.
    assert gateway.login("zhizao").complete(
        instance_id, {"decision": "reject", "comment": "测试结束"}).status == 200
