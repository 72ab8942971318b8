"""The admin console's operations in the browser (issue 14): an incident is found, its data
fixed and the instance retried; instances are searched and one is shown on its diagram with
the path taken and the current task, its data and timeline."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from .conftest import api, check_page
from .test_admin_processes import _bundle, admin_sign_in, diagram_ready  # noqa: F401

BROKEN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:rencai="https://rencai.example/bpmn/extensions" id="d_web_broken" targetNamespace="t">
  <bpmn:process id="web_broken" name="两级审核（脚本出错）" isExecutable="true" rencai:fourEyes="false">
    <bpmn:laneSet id="lanes"><bpmn:lane id="l_unit" name="unit">
      <bpmn:flowNodeRef>first</bpmn:flowNodeRef><bpmn:flowNodeRef>second</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>compute</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="first" />
    <bpmn:userTask id="first" name="初审" />
    <bpmn:sequenceFlow id="f2" sourceRef="first" targetRef="compute" />
    <bpmn:scriptTask id="compute" name="计算等级"><bpmn:script>level = priority * 2</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f3" sourceRef="compute" targetRef="second" />
    <bpmn:userTask id="second" name="复审" />
    <bpmn:sequenceFlow id="f4" sourceRef="second" targetRef="end_approved" />
    <bpmn:endEvent id="end_approved" />
  </bpmn:process>
</bpmn:definitions>"""
REVIEW = {"type": "object", "required": ["decision"], "properties": {
    "decision": {"type": "string", "enum": ["approve", "reject", "return"]},
    "comment": {"type": "string"}}}


def test_an_incident_is_fixed_and_retried_and_instances_are_searched(page, web):
    gateway = api(web)
    admin = gateway.login("admin")
    base = "/api/workflow/admin/definitions/web_broken"
    uploaded = admin.post(f"{base}/versions", {"bpmn_xml": BROKEN, "forms": {
        "start": {"type": "object"}, "first": REVIEW, "second": REVIEW}})
    assert uploaded.status == 201, uploaded
    assert admin.post(f"{base}/versions/{uploaded.body['version']}/deploy", {}).status == 200
    started = gateway.login("zhangsan").post("/api/workflow/instances",
                                             {"process_key": "web_broken", "data": {}})
    assert started.status == 201, started
    instance_id = started.body["id"]
    assert gateway.login("zhizao").decide(instance_id, "approve", "同意").body["status"] == "failed"

    admin_sign_in(page, web)
    page.get_by_role("link", name="办理异常").click()
    row = page.get_by_role("row", name=re.compile("两级审核"))
    expect(row).to_contain_text("priority")
    check_page(page, "admin-10-incidents")
    row.get_by_role("link").click()
    diagram_ready(page)
    expect(page.get_by_role("alert").first).to_contain_text("priority")
    expect(page.locator('.djs-element[data-element-id="first"].path-taken')).to_have_count(1)
    check_page(page, "admin-11-incident")

    page.get_by_label("修正后的流程数据（JSON）").fill("{不是 JSON")
    page.get_by_role("button", name="修正数据并重试").click()
    expect(page.locator("#f-data-error")).to_contain_text("不是有效的 JSON")
    page.get_by_label("修正后的流程数据（JSON）").fill('{"priority": 3}')
    page.get_by_role("button", name="修正数据并重试").click()
    expect(page.get_by_role("status").first).to_contain_text("已重试，当前环节：用人单位审核中")
    diagram_ready(page)
    expect(page.locator('.djs-element[data-element-id="second"].current-task')).to_have_count(1)
    expect(page.locator('.djs-element[data-element-id="compute"].path-taken')).to_have_count(1)
    expect(page.locator(".timeline")).to_contain_text("异常处理")
    check_page(page, "admin-12-instance-retried")

    # 移动环节: back to 初审, with the reason in the timeline (none given: refused).
    expect(page.locator('#f-task_key option[value="second"]')).to_be_disabled()  # waits there
    page.get_by_label("移到环节").select_option("first")
    page.get_by_role("button", name="移动", exact=True).click()
    expect(page.locator(".notice-danger").first).to_contain_text("未能移动")
    page.get_by_label("移到环节").select_option("first")
    page.get_by_label("原因").fill("初审意见有误，重新初审")
    page.get_by_role("button", name="移动", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("已移动")
    diagram_ready(page)
    expect(page.locator('.djs-element[data-element-id="first"].current-task')).to_have_count(1)
    expect(page.locator(".timeline")).to_contain_text("初审意见有误，重新初审")
    # ... and forward again, past the script, to 复审 (a task it now has not reached).
    page.get_by_label("移到环节").select_option("second")
    page.get_by_label("原因").fill("初审已线下完成，直接复审")
    page.get_by_role("button", name="移动", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("已移动")
    diagram_ready(page)
    expect(page.locator('.djs-element[data-element-id="second"].current-task')).to_have_count(1)
    expect(page.locator(".timeline")).to_contain_text("初审已线下完成，直接复审")
    check_page(page, "admin-14-instance-moved")

    page.get_by_role("link", name="申请实例").first.click()
    page.get_by_label("业务").select_option("web_broken")
    page.get_by_label("申请人").fill("张三")
    page.get_by_label("单位", exact=True).select_option(label="北京智能制造研究院")  # 张三's unit
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_role("row", name=re.compile("两级审核"))).to_contain_text("办理中")
    check_page(page, "admin-13-instances")
    page.get_by_label("提交日期止").fill("2020-01-01")
    page.get_by_role("button", name="查询").click()
    expect(page.locator("main")).to_contain_text("没有符合条件的申请")
    page.get_by_label("提交日期止").fill("")
    page.get_by_label("单位", exact=True).select_option(label="北京星河软件有限公司")  # not 张三's unit
    page.get_by_role("button", name="查询").click()
    expect(page.locator("main")).to_contain_text("没有符合条件的申请")
