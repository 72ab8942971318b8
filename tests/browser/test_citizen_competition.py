"""Seed 004 in the browser: 个人身份信息确认 → 个人基本信息维护 (保存并上传照片 → 裁切照片 → 保存成功)
→ 报名 (职业（工种）, 保存并上传照片) → 提交审核 → the committee's answer in 已报名竞赛管理."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from .conftest import api, check_page, citizen_via_api, sign_in
from .test_citizen_business import crop_photo


def test_a_competition_registration_with_a_cropped_photo(page, web):
    gateway = api(web)
    who = citizen_via_api(web)  # 李四 stays unconfirmed for the API tests' first entry
    sign_in(page, who["username"], who["password"])
    page.locator(".service", has_text="技能竞赛报名").get_by_role("link").click()
    expect(page.get_by_role("heading", name="个人身份信息确认")).to_be_visible()
    check_page(page, "30-competition-confirm")
    page.get_by_label("姓名").fill(who["name"])
    wrong = who["id_number"][:17] + ("0" if who["id_number"][-1] != "0" else "1")
    page.get_by_label("证件号码").fill(wrong)  # a wrong check digit
    page.get_by_role("button", name="确认").click()
    expect(page.locator("#f-id_number-error")).to_be_visible()
    page.get_by_label("证件号码").fill(who["id_number"])
    page.get_by_role("button", name="确认").click()
    expect(page.get_by_role("heading", name="个人竞赛计划列表")).to_be_visible()
    check_page(page, "31-competitions")

    page.get_by_role("navigation", name="技能竞赛").get_by_role("link", name="个人基本信息维护").click()
    page.get_by_label("手机号码").fill(who["phone"])
    page.get_by_label("工作单位").fill("北京智能制造研究院")
    page.get_by_label("民族").fill("汉族")
    page.get_by_label("政治面貌").select_option("群众")
    page.get_by_label("文化程度").select_option("大学本科")
    page.get_by_label("邮政编码").fill("100000")
    check_page(page, "32-competitor")
    page.get_by_role("button", name="保存并上传照片").click()
    crop_photo(page, "33-competitor-crop")
    expect(page.get_by_role("img", name="参赛照片")).to_be_visible()

    page.get_by_role("navigation", name="技能竞赛").get_by_role("link", name="报名", exact=True).click()
    page.locator("tr", has_text="北京市职业技能竞赛（演示）").get_by_role("link", name=re.compile("报名")).click()
    expect(page.get_by_role("heading", name=re.compile("报名："))).to_be_visible()
    page.get_by_role("group", name="职业（工种）").get_by_label(re.compile("电工")).check()
    page.get_by_role("button", name="保存", exact=True).click()  # years and level missing
    expect(page.locator("#f-years_in_occupation-error")).to_be_visible()
    check_page(page, "34-competition-register-errors")
    page.get_by_label("从事本职业（工种）年限").fill("8")
    page.get_by_label("现职业资格（技能）等级").select_option("四级/中级工")
    page.get_by_role("button", name="保存并上传照片").click()
    crop_photo(page, "35-registration-crop")
    expect(page.get_by_role("img", name="报名照片")).to_be_visible()
    check_page(page, "36-registration-draft")
    page.get_by_role("button", name="提交审核").click()
    expect(page.get_by_role("status").first).to_contain_text("已提交审核")
    registration_id = page.url.rsplit("/", 1)[-1]

    lisi = gateway.login(who["username"], who["password"])
    instance_id = gateway.eventually(lambda: lisi.get(
        f"/api/workflow/me/competition-registrations/{registration_id}").body["instance_id"])
    committee = gateway.login("jingsai")
    assert gateway.eventually(lambda: committee.task_of(instance_id))
    assert committee.decide(instance_id, "approve", "资格审核通过").status == 200
    assert gateway.eventually(lambda: lisi.get(
        f"/api/workflow/me/competition-registrations/{registration_id}").body["status"] == "审核通过")
    page.get_by_role("navigation", name="技能竞赛").get_by_role("link", name="已报名竞赛管理").click()
    row = page.locator("tr", has_text="北京市职业技能竞赛（演示）")
    expect(row).to_contain_text("审核通过")
    check_page(page, "37-registrations")
    row.get_by_role("link", name=re.compile("查看")).click()
    expect(page.locator(".preview")).to_contain_text("电工")
    check_page(page, "38-registration-approved")


def test_a_returned_registration_is_corrected_in_the_browser(page, web):
    from tests.flows_competition import PROFILE, REGISTRATION, register
    from tests.support import photo

    gateway = api(web)
    who = citizen_via_api(web)
    person = gateway.login(who["username"], who["password"])
    assert person.post("/api/workflow/me/competitor/confirmation",
                       {"name": who["name"], "id_number": who["id_number"]}).status == 201
    assert person.put("/api/workflow/me/competitor", PROFILE).status == 200
    assert person.put("/api/workflow/me/competitor/photo", {"file_id": photo(person)}).status == 200
    competition = next(c for c in person.get("/api/workflow/competitions").body["items"]
                       if c["name"] == "北京市职业技能竞赛（演示）")
    submitted = register(person, competition)
    committee = gateway.login("jingsai")
    instance_id = gateway.eventually(lambda: person.get(
        f"/api/workflow/me/competition-registrations/{submitted['id']}").body["instance_id"])
    assert gateway.eventually(lambda: committee.task_of(instance_id))
    assert committee.decide(instance_id, "return", "从事年限与证书不符，请核对").status == 200
    assert gateway.eventually(lambda: person.get(
        f"/api/workflow/me/competition-registrations/{submitted['id']}").body["revise_task_id"])

    sign_in(page, who["username"], who["password"])
    page.goto(f"/competitions/registrations/{submitted['id']}")
    expect(page.get_by_text("从事年限与证书不符，请核对")).to_be_visible()
    page.get_by_role("link", name="修改报名信息并重新提交").click()
    expect(page.get_by_role("heading", name="修改报名信息")).to_be_visible()
    years = page.get_by_label("从事本职业（工种）年限")
    assert years.input_value() == str(REGISTRATION["years_in_occupation"])  # prefilled
    check_page(page, "39-registration-revise")
    years.fill("5")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("status").first).to_contain_text("提交")
    assert gateway.eventually(lambda: person.get(
        f"/api/workflow/me/competition-registrations/{submitted['id']}").body["status"] == "待审核")
