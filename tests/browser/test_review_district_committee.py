"""区委人才办 exports the 已完成 list (the reason is required, CSV and XLSX download);
竞赛组委会 creates, edits and publishes a competition plan and reads its registrations."""
from __future__ import annotations

from playwright.sync_api import expect

from .conftest import check_page
from .test_review_workbench import staff_sign_in


def test_the_district_exports_the_passed_list_with_a_reason(page, web):
    staff_sign_in(page, web, "chaoyang")
    page.get_by_role("link", name="已完成名单导出").click()
    expect(page.get_by_role("heading", name="已完成名单导出")).to_be_visible()
    check_page(page, "62-district-export")
    page.get_by_role("button", name="导出").click()
    expect(page.locator("#f-reason-error")).to_be_visible()  # the reason is required
    check_page(page, "63-district-export-error")
    page.get_by_label("导出事由").fill("报市人才工作局审批")
    with page.expect_download() as csv_download:
        page.get_by_role("button", name="导出").click()
    csv = csv_download.value
    assert csv.suggested_filename.endswith(".csv")
    assert "内部资料" in open(csv.path(), encoding="utf-8-sig").read()
    page.get_by_label("Excel（XLSX）").check()
    page.get_by_label("导出事由").fill("报市人才工作局审批")
    with page.expect_download() as xlsx_download:
        page.get_by_role("button", name="导出").click()
    assert xlsx_download.value.suggested_filename.endswith(".xlsx")
    assert open(xlsx_download.value.path(), "rb").read(2) == b"PK"


def test_the_committee_creates_edits_and_publishes_a_competition(page, web):
    staff_sign_in(page, web, "jingsai")
    page.get_by_role("link", name="竞赛计划").click()
    check_page(page, "64-committee-competitions")
    page.get_by_role("link", name="新建竞赛计划").click()
    page.get_by_label("竞赛名称").fill("2027年北京市焊工技能竞赛")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".field-error").first).to_be_visible()  # the API names what is missing
    check_page(page, "65-committee-competition-form")
    page.get_by_label("主办单位").fill("北京市职业技能竞赛组委会")
    page.get_by_label("报名开始日期").fill("2026-11-01")
    page.get_by_label("报名截止日期").fill("2027-03-31")
    page.get_by_label("竞赛开始日期").fill("2027-04-10")
    page.get_by_label("竞赛结束日期").fill("2027-04-12")
    page.locator("#f-occupations-0-code").fill("6-18-02-04")
    page.locator("#f-occupations-0-name").fill("焊工")
    page.locator("#f-occupations-0-levels").fill("三级/高级工、二级/技师")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("status").first).to_contain_text("竞赛计划已保存")
    row = page.locator("tr", has_text="2027年北京市焊工技能竞赛")
    expect(row).to_contain_text("未发布")
    row.get_by_role("link", name="修改").click()
    page.get_by_label("竞赛地点").fill("北京市工业技师学院")
    page.get_by_role("button", name="保存").click()
    row = page.locator("tr", has_text="2027年北京市焊工技能竞赛")
    row.get_by_role("button", name="发布").click()
    expect(page.get_by_role("status").first).to_contain_text("已发布")
    row = page.locator("tr", has_text="2027年北京市焊工技能竞赛")
    row.get_by_role("link", name="报名列表").click()
    expect(page.get_by_role("heading", name="报名列表：2027年北京市焊工技能竞赛")).to_be_visible()
    check_page(page, "66-committee-registrations")
    page.get_by_role("link", name="竞赛计划").click()
    row = page.locator("tr", has_text="2027年北京市焊工技能竞赛")
    row.get_by_role("button", name="结束报名").click()
    expect(page.get_by_role("status").first).to_contain_text("已结束报名")
