"""申请计划项目 end to end through the gateway, embedded mode (SQLite, memory bus)."""
import pytest

from tests import flows
from tests.support import APPLICATION


def test_approved_at_every_level_reaches_the_applicant(gateway):
    flows.approve_all(gateway)


@pytest.mark.parametrize("level", range(4), ids=["unit", "supervisor", "bureau", "expert"])
def test_rejection_tells_who_and_why(gateway, level):
    flows.reject_at(gateway, level)


def test_basic_info_is_prefilled_from_the_profile(gateway):
    flows.basic_info_prefilled(gateway)


def test_return_then_resubmit_starts_again_at_the_unit(gateway):
    flows.return_and_resubmit(gateway)


def test_education_certificate_and_work_proof_are_required(gateway):
    flows.attachments_required(gateway)


def test_reviewer_of_another_supervising_body_cannot_see_or_complete(gateway):
    flows.other_supervisor_is_shut_out(gateway)


def test_second_completion_of_a_task_conflicts(gateway):
    flows.second_completion_conflicts(gateway)


def test_application_form_is_validated_field_by_field(gateway):
    applicant = gateway.login("zhangsan")
    bad = {**APPLICATION, "project_type": "不存在的类型", "summary": ""}
    del bad["project_name"]
    reply = applicant.post("/api/workflow/instances", {"process_key": "plan_project", "data": bad})
    assert reply.status == 422
    assert reply.headers["Content-Type"].startswith("application/problem+json")
    assert reply.body["errors"] == {"project_name": "请填写项目名称",
                                    "project_type": "项目申报类型的取值不正确",
                                    "summary": "请填写项目基本情况"}
    before = applicant.get("/api/workflow/instances?per_page=100").body["total"]
    reply = applicant.post("/api/workflow/instances", {"process_key": "plan_project"})
    assert reply.status == 422 and reply.body["errors"] == {"data": "必填项"}
    assert applicant.get("/api/workflow/instances?per_page=100").body["total"] == before


def test_the_no_classified_material_confirmation_is_required(gateway):
    applicant = gateway.login("zhangsan")
    for value in (None, False):
        data = {**APPLICATION, "no_classified_material": value}
        if value is None:
            del data["no_classified_material"]
        reply = applicant.post("/api/workflow/instances",
                               {"process_key": "plan_project", "data": data})
        assert reply.status == 422, reply
        assert "no_classified_material" in reply.body["errors"]


def test_reject_or_return_needs_a_reason(gateway):
    instance = gateway.login("zhangsan").submit()
    unit = gateway.login("zhizao")
    reply = unit.decide(instance["id"], "reject")
    assert reply.status == 422 and reply.body["errors"] == {"comment": "请填写审核意见"}
    reply = unit.decide(instance["id"], "maybe")
    assert reply.status == 422 and reply.body["errors"] == {"decision": "审核结果的取值不正确"}
    # Nothing moved: the task still waits at the unit.
    assert gateway.login("zhangsan").instance(instance["id"])["current_stage"][0]["title"] == "用人单位审核"


def test_only_an_affiliated_person_may_apply(gateway, embedded):
    from services.identity import service as identity

    identity.create_account(embedded.kit("identity").db, embedded.kit("identity").outbox,
                            username="wangwu", kind="person", display_name="王五",
                            password="Secret123")
    reply = gateway.login("wangwu", "Secret123").post(
        "/api/workflow/instances", {"process_key": "plan_project", "data": APPLICATION})
    assert reply.status == 403 and "未关联单位" in reply.body["detail"]
    reply = gateway.login("zhizao").post(
        "/api/workflow/instances", {"process_key": "plan_project", "data": APPLICATION})
    assert reply.status == 403 and reply.body["detail"] == "仅个人账号可以提交业务申请"


def test_inbox_lists_only_the_groups_tasks_and_pages(gateway):
    applicant = gateway.login("lisi")  # 北京市第一实验中学, under 市教委
    instance = applicant.submit()
    school = gateway.login("shiyan")
    assert school.task_of(instance["id"])
    assert gateway.login("zhizao").task_of(instance["id"]) is None
    page = school.get("/api/workflow/tasks?page=1&per_page=1").body
    assert page["per_page"] == 1 and len(page["items"]) == 1 and page["total"] >= 1
    assert school.get("/api/workflow/tasks?per_page=1000").status == 422
    # The task page gives the reviewer the form to fill in and the application to judge.
    detail = school.get(f"/api/workflow/tasks/{school.task_of(instance['id'])}").body
    assert detail["form"]["properties"]["decision"]["enum"] == ["approve", "reject", "return"]
    assert detail["instance"]["application"]["project_name"] == APPLICATION["project_name"]
