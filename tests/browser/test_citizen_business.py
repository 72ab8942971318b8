"""Seed 000 and 001 in the browser: a new citizen completes the profile (photo cropped),
affiliates by the unit's code, applies for 申请计划项目 with uploaded attachments and — after
the reviewers act through the API — reads the result and the timeline; a returned application
is corrected and resubmitted; 附件管理; 个人中心."""
from __future__ import annotations

import re

import pytest

from playwright.sync_api import expect

from tests.flows import CHAIN, EXPERTS, upload_materials
from tests.support import APPLICATION, PDF

from .conftest import api, check_page, jpeg, register_in_browser, sign_in


def crop_photo(page, name: str) -> None:
    """上传照片 → 裁切照片 (cropperjs) → 保存成功."""
    page.get_by_label("选择照片").set_input_files(
        {"name": "证件照.jpg", "mimeType": "image/jpeg", "buffer": jpeg()})
    page.get_by_role("button", name="上传", exact=True).click()
    expect(page.get_by_role("heading", name="裁切照片")).to_be_visible()
    page.locator("img[data-crop-ready=true]").wait_for(state="attached")
    expect(page.locator(".cropper-container")).to_be_visible()
    check_page(page, name)
    # The box sent is cropperjs's own (after the screenshots' resizes it lays out again).
    # (polled from here: wait_for_function's string would be an eval the page's CSP forbids)
    # A loaded machine may take seconds to lay it out: wait for a real box (up to 30 s).
    for _ in range(300):
        box = page.evaluate("document.querySelector('img[data-crop]').cropper.getData(true)")
        if box["width"] >= 20 and box["height"] >= 20:
            break
        page.wait_for_timeout(100)
    assert box["width"] >= 20 and box["height"] >= 20, f"cropperjs never laid out a box: {box}"
    page.get_by_role("button", name="裁切照片").click()
    expect(page.get_by_role("status").first).to_contain_text("保存成功")
    assert box["width"] / box["height"] == pytest.approx(295 / 413, rel=0.02)


def test_a_new_citizen_completes_the_profile_affiliates_and_applies(page, web):
    gateway = api(web)
    who = register_in_browser(page, web)
    page.goto("/")
    page.get_by_role("link", name="去完善").click()

    # 个人信息完善: 基本信息, 教育信息, 学习经历, 工作经历, 照片 → 预览 → 提交.
    expect(page.get_by_role("heading", name="个人信息完善")).to_be_visible()
    check_page(page, "10-profile")
    page.get_by_role("button", name="保存并预览").click()  # nothing filled: told per field
    expect(page.locator("#f-general-gender-error")).to_be_visible()
    check_page(page, "10-profile-errors")
    page.get_by_role("group", name="性别").get_by_label("男").check()
    page.get_by_label("民族").fill("汉族")
    page.locator("#f-general-political_status").select_option("群众")
    page.get_by_label("电子邮箱").fill("web@example.cn")
    page.get_by_label("通讯地址").fill("北京市朝阳区建国路 1 号")
    page.locator("#f-education-0-level").select_option("大学本科")
    page.locator("#f-education-0-degree").get_by_label("学士").check()
    page.locator("#f-education-0-school").fill("北京工业大学")
    page.locator("#f-education-0-major").fill("机械工程")
    page.locator("#f-education-0-graduated").fill("2012-07")
    page.locator("#f-study_history-0-from").fill("2008-09")
    page.locator("#f-study_history-0-to").fill("2012-07")
    page.locator("#f-study_history-0-school").fill("北京工业大学")
    page.locator("#f-study_history-0-major").fill("机械工程")
    page.locator("#f-work_history-0-from").fill("2012-08")
    page.locator("#f-work_history-0-employer").fill("北京智能制造研究院")
    page.locator("#f-work_history-0-position").fill("工程师")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("已保存")
    page.get_by_role("link", name="上传照片").click()
    crop_photo(page, "11-profile-photo-crop")
    page.get_by_role("button", name="保存并预览").click()
    expect(page.get_by_role("heading", name="预览个人信息")).to_be_visible()
    check_page(page, "12-profile-preview")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("status").first).to_contain_text("个人信息已提交")

    # 关联单位: a wrong code is told beside the field; the right one shows the unit.
    page.get_by_role("link", name=re.compile("您未关联单位")).first.click()
    check_page(page, "13-affiliation")
    page.get_by_label("单位关联代码").fill("NOPE0000")
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#f-association_code-error")).to_be_visible()
    page.get_by_label("单位关联代码").fill("ZNZZ2828")
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_text("北京智能制造研究院").first).to_be_visible()
    check_page(page, "13-affiliation-found")
    page.get_by_label("我确认单位信息无误").check()
    page.get_by_role("button", name="申请关联").click()
    expect(page.get_by_role("status").first).to_contain_text("已向“北京智能制造研究院”发送关联申请")
    # The unit approves (through the API), with the position.
    citizen = gateway.login(who["username"], who["password"])
    request = next(i for i in citizen.get("/api/workflow/instances?per_page=100").body["items"]
                   if i["process_key"] == "affiliation")
    unit = gateway.login("zhizao")
    assert gateway.eventually(lambda: unit.task_of(request["id"])), "the unit never saw it"
    reply = unit.complete(request["id"], {"decision": "approve", "position": "工程师"})
    assert reply.status == 200, reply
    gateway.eventually(lambda: any(
        e["process_key"] == "plan_project" and e["can_start"]
        for e in citizen.catalogue().values()))

    # 附件管理: the degree certificate first.
    page.goto("/attachments")
    check_page(page, "14-attachments")
    page.get_by_label("上传学历学位证书").set_input_files(
        {"name": "学士学位证书.pdf", "mimeType": "application/pdf", "buffer": PDF})
    page.locator("#slot-degree").get_by_role("button", name="上传", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("上传成功")
    page.get_by_label("搜索附件").fill("xlxw")
    page.get_by_role("button", name="搜索").click()
    expect(page.locator("#slot-degree")).to_be_visible()

    # 申请计划项目: without the work proof the API says so beside the attachments.
    page.goto("/")
    page.locator(".service", has_text="申请计划项目").get_by_role("link").click()
    expect(page.get_by_role("heading", name="申请计划项目", exact=True)).to_be_visible()
    check_page(page, "15-apply-plan-project")
    page.get_by_role("group", name="项目申报类型").get_by_label("青年拔尖人才").check()
    page.get_by_label("项目名称").fill("智能焊接工艺研究")
    page.get_by_label("基础信息确认").check()
    page.get_by_label("项目基本情况").fill("面向汽车制造的焊接工艺优化。")
    page.get_by_label("我确认填写的专业工作主要经历及附件不含涉密材料").check()
    page.get_by_role("group", name="是否免考").get_by_label("不免考").check()
    page.locator("#f-attachments-0-kind").get_by_label("学历学位证书").check()
    degree = page.locator("#f-attachments-0-file_id option", has_text="学士学位证书.pdf")
    page.locator("#f-attachments-0-file_id").select_option(degree.get_attribute("value"))
    page.get_by_role("button", name="直接提交").click()
    expect(page.locator("#f-attachments-error")).to_contain_text("工作经历证明")
    check_page(page, "15-apply-errors")
    assert page.get_by_label("项目名称").input_value() == "智能焊接工艺研究"  # kept
    page.get_by_label("上传新文件").set_input_files(
        {"name": "劳动合同.pdf", "mimeType": "application/pdf", "buffer": PDF})
    page.get_by_label("材料类型").select_option("work_proof")
    page.get_by_role("button", name="预览").click()
    expect(page.get_by_role("heading", name="预览")).to_be_visible()
    expect(page.get_by_text("劳动合同.pdf")).to_be_visible()
    check_page(page, "16-apply-preview")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("status").first).to_contain_text("已提交")
    check_page(page, "17-application-submitted")
    instance_id = page.url.rsplit("/", 1)[-1]

    # The reviewers act; the citizen reads the result and the timeline.
    for username, _ in CHAIN[:3]:
        assert gateway.login(username).decide(instance_id, "approve", "同意").status == 200
    for expert in EXPERTS[:2]:
        reviewer = gateway.login(expert)
        task_id = reviewer.task_of(instance_id)
        assert reviewer.post(f"/api/workflow/tasks/{task_id}/complete", {"data": {
            "score": 90, "decision": "approve", "comment": "同意"}}).status == 200
    page.reload()
    expect(page.locator("h1 .badge")).to_have_text("已办结")
    expect(page.locator(".timeline li")).to_have_count(6)
    expect(page.locator(".timeline")).to_contain_text("市局审核")
    check_page(page, "18-application-completed")
    page.goto("/me")
    expect(page.get_by_role("heading", name="办结记录")).to_be_visible()
    gateway.eventually(lambda: page.reload() or page.locator("text=申请计划项目").count())
    check_page(page, "19-me")


def test_a_returned_application_is_corrected_and_resubmitted(page, web):
    gateway = api(web)
    applicant = gateway.login("zhangsan")
    materials = upload_materials(applicant)
    instance = applicant.submit({**APPLICATION, "attachments": materials})
    assert gateway.login("zhizao").decide(instance["id"], "approve", "同意").status == 200
    reason = "请补充受教育情况的起止时间"
    assert gateway.login("kewei").decide(instance["id"], "return", reason).status == 200

    sign_in(page, "zhangsan")
    expect(page.get_by_role("heading", name="当前在办业务")).to_be_visible()
    check_page(page, "20-home-zhangsan")
    page.goto("/applications")
    check_page(page, "21-applications")
    page.goto(f"/applications/{instance['id']}")
    expect(page.get_by_role("status").first).to_contain_text(reason)
    check_page(page, "22-application-returned")
    page.get_by_role("link", name="修改并重新提交").click()
    expect(page.get_by_role("status").first).to_contain_text(reason)
    assert page.get_by_label("项目名称").input_value() == APPLICATION["project_name"]
    check_page(page, "23-revise")
    page.locator("#f-education-0-from").fill("2008-09")
    page.locator("#f-education-0-to").fill("2013-07")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("status").first).to_contain_text("已重新提交")
    expect(page.locator(".facts")).to_contain_text("用人单位：北京智能制造研究院")
    detail = applicant.instance(instance["id"])
    assert detail["status"] == "running"
    assert detail["application"]["education"][0]["from"] == "2008-09"
    assert [e["action"] for e in detail["timeline"]][-1] == "resubmit"
    assert gateway.login("zhizao").decide(instance["id"], "reject", "测试结束").status == 200


def test_an_application_is_withdrawn_before_review(page, web):
    gateway = api(web)
    applicant = gateway.login("zhangsan")
    instance = applicant.submit({**APPLICATION, "attachments": upload_materials(applicant)})
    sign_in(page, "zhangsan")
    page.goto(f"/applications/{instance['id']}")
    page.get_by_text("撤回申请").click()
    page.get_by_label("撤回原因").fill("信息填写有误，重新申请")
    page.get_by_role("button", name="确认撤回").click()
    expect(page.get_by_role("status").first).to_contain_text("申请已撤回")
    expect(page.locator("h1 .badge")).to_have_text("已撤回")


def test_a_locked_attachment_says_which_application_holds_it(page, web):
    gateway = api(web)
    applicant = gateway.login("zhangsan")
    loose = applicant.upload("other", "张三其他材料.pdf")
    materials = upload_materials(applicant)
    instance = applicant.submit({**APPLICATION, "attachments": materials})
    held = materials[0]["file_id"]
    assert gateway.eventually(
        lambda: applicant.get(f"/api/files/attachments/{held}").body["locked"])
    sign_in(page, "zhangsan")
    page.goto("/attachments")
    page.get_by_role("button", name="删除 博士学位证书.pdf").first.click()
    expect(page.get_by_role("status").first).to_contain_text("已被提交的申请引用")
    expect(page.get_by_role("status").first).to_contain_text(instance["title"])
    check_page(page, "24-attachments-locked")
    page.get_by_role("button", name="删除 张三其他材料.pdf").click()
    expect(page.get_by_role("status").first).to_contain_text("附件已删除")
    assert applicant.get(f"/api/files/attachments/{loose}").status == 404
    assert applicant.post(f"/api/workflow/instances/{instance['id']}/withdraw",
                          {"reason": "测试结束"}).status == 200
