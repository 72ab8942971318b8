"""The admin console's process models in the browser (issue 14): an admin signs in with the
second factor, creates a small process from the template in the bpmn-js modeler, gives each
task a form (previewed by the frame's renderer), validates and sees the error on its element,
fixes it, saves a draft and deploys it; a person starts it in the browser, completes the
applicant's task, and the unit's reviewer completes the review. A label changed in a new
version of plan_project shows in the diff drawn on the diagram, is deployed and rolled back."""
from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.flows import upload_materials
from tests.support import APPLICATION

from .conftest import api, check_page, sign_in
from .test_review_workbench import decide, unit_sign_in


@pytest.fixture(autouse=True, scope="module")
def _bundle():
    """The modeler's bundle is built by assets.py; a manifest from before it existed is rebuilt."""
    from gateway.web import assets

    if "admin.js" not in assets.manifest():
        assets.ensure()


def admin_sign_in(page, web, username: str = "admin") -> None:
    staff = api(web).staff  # the run's TOTP steps per account: a code is good once
    page.goto("/admin/login")
    page.get_by_label("账号").fill(username)
    page.get_by_label("密码").fill("Rencai@2026")
    page.get_by_label("动态验证码").fill(staff.code(username, staff.secrets[username]))
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="流程模型")).to_be_visible()


def diagram_ready(page, selector: str = "[data-bpmn][data-ready]") -> None:
    try:
        page.locator(selector).wait_for(state="attached")
    except Exception as error:  # the browser's own words say why the diagram is missing
        shown = page.locator("#canvas-error").all_inner_texts()
        raise AssertionError(f"no diagram: {shown} {page.console_errors}") from error


def select_element(page, element_id: str, edge: bool = False) -> None:
    """Clicks the element on the canvas (a lane: near its right edge, clear of its tasks)."""
    shape = page.locator(f'.djs-element[data-element-id="{element_id}"]').first
    if edge:
        box = shape.bounding_box()
        page.mouse.click(box["x"] + box["width"] - 12, box["y"] + box["height"] / 2)
    else:
        shape.click(force=True)


def test_staff_sign_in_needs_the_second_factor(page, web):
    page.goto("/admin/processes")
    expect(page).to_have_url(re.compile(r"/admin/login\?next="))
    page.get_by_label("账号").fill("admin")
    page.get_by_label("密码").fill("Rencai@2026")
    page.get_by_role("button", name="登录").click()
    expect(page.locator("#f-totp_code-error")).to_contain_text("动态验证码")
    check_page(page, "admin-01-login-totp")


def test_an_admin_models_validates_and_deploys_a_process_that_a_person_then_uses(page, web):
    admin_sign_in(page, web)
    expect(page.get_by_role("row", name=re.compile("plan_project"))).to_contain_text("第 1 版")
    check_page(page, "admin-02-processes")

    # New process from the template: start → applicant's task → unit review → end.
    page.get_by_role("link", name="新建流程").click()
    page.get_by_label("流程编号").fill("talent_flat")
    page.get_by_label("流程名称").fill("人才公寓申请")
    page.get_by_role("button", name="从模板创建").click()
    diagram_ready(page)
    expect(page.locator('.djs-element[data-element-id="review"]')).to_be_visible()
    # The process settings and the lanes' roles are edited in the properties panel.
    expect(page.get_by_label("关联单位要求")).to_be_visible()
    page.get_by_label("每位申请人同时只能有一件在办").check()
    select_element(page, "lane_unit", edge=True)
    expect(page.get_by_label("由谁办理")).to_have_value("unit")
    check_page(page, "admin-03-modeler-new")

    # Validate: the two tasks have no form yet; each error is drawn on its element.
    page.get_by_role("button", name="校验").click()
    diagram_ready(page)
    expect(page.get_by_role("alert")).to_contain_text("流程定义未通过校验")
    review_error = page.locator('.djs-overlays[data-container-id="review"] .bpmn-error')
    expect(review_error).to_contain_text("缺少表单")
    expect(page.locator('.djs-element[data-element-id="review"].has-error')).to_have_count(1)
    check_page(page, "admin-04-modeler-errors")

    # Fix: the applicant's task gets a form (previewed live), the review the decision form.
    select_element(page, "fill")
    expect(page.locator("#prop-form-key")).to_have_text("fill")
    page.get_by_label("JSON Schema").fill(json.dumps({
        "title": "补充材料", "type": "object", "required": ["household"],
        "properties": {"household": {"title": "家庭人数", "type": "integer", "minimum": 1}}},
        ensure_ascii=False))
    expect(page.locator("#form-preview")).to_contain_text("家庭人数")
    select_element(page, "review")
    page.get_by_role("button", name="插入审核表单").click()
    expect(page.locator("#form-preview")).to_contain_text("审核结果")
    check_page(page, "admin-05-modeler-form-preview")
    page.get_by_role("button", name="校验").click()
    diagram_ready(page)
    assert page.locator("#validation-errors").count() == 0, page.locator("#validation-errors").inner_text()
    expect(page.get_by_role("status").first).to_contain_text("校验通过")
    expect(page.locator(".bpmn-error")).to_have_count(0)
    page.get_by_label("版本说明").fill("首个版本")
    page.get_by_role("button", name="保存为草稿").click()
    expect(page.get_by_role("status").first).to_contain_text("已保存为第 1 版")
    check_page(page, "admin-06-versions-draft")
    page.get_by_role("button", name=re.compile(r"^发布\s*：第 1 版")).click()
    expect(page.get_by_role("status").first).to_contain_text("已发布第 1 版")
    expect(page.get_by_role("row", name=re.compile("第 1 版"))).to_contain_text("运行中")
    expect(page.get_by_role("row", name=re.compile("第 1 版"))).to_contain_text("首个版本")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile(r"下载 XML\s*：第 1 版")).click()
    xml = open(download.value.path(), encoding="utf-8").read()
    assert 'rencai:onePerApplicant="true"' in xml and 'id="review"' in xml

    # A person starts it and completes the applicant's task, all in the browser.
    person = page.context.browser.new_context(base_url=web[0], locale="zh-CN")
    applicant = person.new_page()
    sign_in(applicant, "zhangsan")
    applicant.goto("/apply/talent_flat")
    applicant.get_by_label("申请事项").fill("申请两居室人才公寓")
    applicant.get_by_role("button", name="直接提交").click()
    expect(applicant.get_by_role("status").first).to_contain_text("人才公寓申请已提交")
    # The applicant's task right after the start is their next step, not a return: 待您办理,
    # no 退回修改 (workflow's sync once counted every applicant-lane wait as a return).
    expect(applicant.locator("main")).not_to_contain_text("退回修改")
    expect(applicant.locator("main")).to_contain_text("待您办理：补充材料")
    applicant.locator("a[href^='/tasks/']").click()
    applicant.get_by_label("家庭人数").fill("3")
    applicant.get_by_role("button", name="提交").click()
    expect(applicant.get_by_role("status").first).to_contain_text("补充材料已提交")
    expect(applicant.locator(".facts")).to_contain_text("用人单位审核中")
    # The unit's reviewer completes the review in the workbench (the form the admin gave).
    instance_id = applicant.url.rsplit("/", 1)[-1]
    task_id = api(web).login("zhizao").task_of(instance_id)
    unit = page.context.browser.new_context(base_url=web[0], locale="zh-CN")
    reviewer = unit.new_page()
    unit_sign_in(reviewer, "zhizao")
    reviewer.goto(f"/review/tasks/{task_id}")
    decide(reviewer, "通过", "同意")
    expect(reviewer.get_by_role("status").first).to_contain_text("已办理")
    unit.close()
    applicant.reload()
    expect(applicant.locator("main")).to_contain_text("已办结")
    person.close()


def test_a_changed_label_is_shown_in_the_diff_then_deployed_and_rolled_back(page, web):
    gateway = api(web)
    admin = gateway.login("admin")
    applicant = gateway.login("zhangsan")
    running = applicant.submit({**APPLICATION, "attachments": upload_materials(applicant)})
    base = "/api/workflow/admin/definitions/plan_project"
    current = max(v["version"] for v in admin.get(f"{base}/versions").body
                  if v["state"] == "deployed")
    file = admin.get(f"{base}/versions/{current}").body
    changed = file["bpmn_xml"].replace('name="用人单位审核"', 'name="用人单位初审"', 1)
    assert changed != file["bpmn_xml"]
    review = dict(file["form_schemas"]["review"])
    forms = {**file["form_schemas"], "review": {**review, "title": "审核意见（新）"}}
    draft = admin.post(f"{base}/versions", {"bpmn_xml": changed, "forms": forms,
                                            "note": "用人单位审核改为初审"}).body
    version = draft["version"]

    admin_sign_in(page, web)
    page.goto("/admin/processes/plan_project")
    page.get_by_role("link", name=re.compile(rf"与运行中版本对比\s*：第 {version} 版")).click()
    diagram_ready(page, "[data-bpmn=diff][data-ready]")
    expect(page.locator("#diff-list")).to_contain_text("unit_review")
    expect(page.locator('#canvas-new .djs-element[data-element-id="unit_review"].diff-changed')) \
        .to_have_count(1)
    expect(page.locator("pre.code-diff").first).to_contain_text("审核意见（新）")
    check_page(page, "admin-07-diff")

    page.goto("/admin/processes/plan_project")
    page.get_by_role("button", name=re.compile(rf"^发布\s*：第 {version} 版")).click()
    expect(page.get_by_role("status").first).to_contain_text(f"已发布第 {version} 版")

    # The running instance moves to the new version: a dry run first, then the migration.
    page.get_by_label("目标版本").select_option(str(version))
    page.get_by_role("button", name="试运行").click()
    report = page.locator("section[aria-labelledby=report-h]")
    expect(report).to_contain_text("试运行结果")
    expect(report.get_by_role("row", name=re.compile(running["title"])).first).to_contain_text("可迁移")
    check_page(page, "admin-08-migration-dry-run")
    page.get_by_role("button", name="迁移", exact=True).click()
    expect(report).to_contain_text("迁移结果")
    expect(report.get_by_role("row", name=re.compile(running["title"])).first).to_contain_text("已迁移")
    trace = admin.get(f"/api/workflow/admin/instances/{running['id']}/trace").body
    assert trace["version"] == version and trace["current"] == ["unit_review"]
    page.get_by_role("button", name=re.compile(rf"回滚到此版本\s*：第 {current} 版")).click()
    expect(page.get_by_role("status").first).to_contain_text(f"已回滚到第 {current} 版")
    assert admin.get(f"{base}/versions").body[-current]["state"] == "deployed"
    check_page(page, "admin-09-versions-rolled-back")

    # A shipped process opens with the diagram its file carries (gateway/web/layout_bpmn.mjs),
    # lanes drawn; what bpmn-js writes back keeps its rencai settings: it validates as it is.
    page.get_by_role("link", name="编辑最新版本").click()
    diagram_ready(page)
    expect(page.locator("#auto-layout-note")).to_be_hidden()
    expect(page.locator('.djs-element[data-element-id="unit_review"]')).to_be_visible()
    expect(page.locator('.djs-element[data-element-id="lane_unit"]')).to_be_visible()
    expect(page.locator('.djs-element[data-element-id="lane_expert"]')).to_be_visible()
    page.get_by_role("button", name="校验").click()
    diagram_ready(page)
    assert page.locator("#validation-errors").count() == 0, page.locator("#validation-errors").inner_text()
    expect(page.get_by_role("status").first).to_contain_text("校验通过")
    check_page(page, "admin-09b-modeler-shipped-with-lanes")

    # A gateway's exit condition, in the properties panel: shown, edited, and a broken one is
    # refused on its flow at validation.
    # (the laid-out flow turns once, halfway: the centre of its box is on its line)
    select_element(page, "unit_approve")
    expect(page.locator("#prop-condition")).to_have_value('decision == "approve"')
    page.locator("#prop-condition").fill('decision == ')
    page.locator("#prop-condition").dispatch_event("change")
    page.get_by_role("button", name="校验").click()
    diagram_ready(page)
    expect(page.locator("#validation-errors")).to_contain_text("表达式不安全或有语法错误")
    expect(page.locator('.djs-element[data-element-id="unit_approve"].has-error')).to_have_count(1)
