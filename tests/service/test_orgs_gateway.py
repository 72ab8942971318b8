"""orgs through the gateway with the demo data: the unit home, the person's side, the
authorisation between units, and unlinking refused while a real business is in progress
(workflow.instance.started travels over the bus into orgs' read model)."""

from demo.data import UNIT_DETAILS, UNIT_INSTITUTE, UNIT_SCHOOL

ORGS = "/api/orgs"


def test_the_unit_home_shows_its_code_and_counts(gateway):
    zhizao = gateway.login("zhizao")
    home = zhizao.get(f"{ORGS}/units/{UNIT_INSTITUTE}/home")
    assert home.status == 200, home
    assert home.body["association_code"] == UNIT_DETAILS[UNIT_INSTITUTE][1]
    assert home.body["credit_code"] == UNIT_DETAILS[UNIT_INSTITUTE][0]
    assert home.body["active_employees"] >= 1
    assert zhizao.get(f"{ORGS}/units/{UNIT_SCHOOL}/home").status == 404


def test_the_persons_side(gateway):
    zhangsan = gateway.login("zhangsan")
    mine = zhangsan.get(f"{ORGS}/me/affiliation")
    assert mine.status == 200 and mine.body["unit_name"] == "北京智能制造研究院"
    school_code = UNIT_DETAILS[UNIT_SCHOOL][1]
    found = zhangsan.get(f"{ORGS}/association-codes/{school_code}")
    assert found.status == 200 and found.body["name"] == "北京市第一实验中学"
    again = zhangsan.post(f"{ORGS}/me/affiliation-requests", {"association_code": school_code})
    assert again.status == 409 and "解除关联" in again.body["detail"]
    unknown = zhangsan.post(f"{ORGS}/me/affiliation-requests", {"association_code": "ZZZZ9999"})
    assert unknown.status == 404 and "未找到" in unknown.body["detail"]


def test_the_supervising_body_sees_its_units_employees_only(gateway):
    kewei, jiaowei = gateway.login("kewei"), gateway.login("jiaowei")
    assert kewei.get(f"{ORGS}/units/{UNIT_INSTITUTE}/employees").status == 200
    assert jiaowei.get(f"{ORGS}/units/{UNIT_INSTITUTE}/employees").status == 404


def test_unlink_is_refused_while_the_employee_has_business_in_progress(gateway):
    zhizao, zhangsan = gateway.login("zhizao"), gateway.login("zhangsan")
    zhangsan.submit()
    employees = zhizao.get(f"{ORGS}/units/{UNIT_INSTITUTE}/employees?name=张三")
    affiliation_id = employees.body["items"][0]["affiliation_id"]
    path = f"{ORGS}/units/{UNIT_INSTITUTE}/employees/{affiliation_id}"
    check = gateway.eventually(
        lambda: (r := zhizao.get(f"{path}/unlink-check")).body["reasons"] and r)
    assert check.body["allowed"] is False and "业务办结后才能解除关联" in check.body["reasons"][0]
    refused = zhizao.post(f"{path}/unlink", {"reason": "离职"})
    assert refused.status == 409 and "不满足解除关联条件" in refused.body["detail"]


def test_employee_detail_tabs_come_from_the_persons_submitted_profile(gateway):
    """identity.profile.completed crosses the bus into orgs: the unit sees the tabs."""
    person = gateway.login("lisi")
    profile = {
        "general": {"gender": "女", "ethnicity": "汉族", "political_status": "群众",
                    "email": "lisi@example.cn", "address": "北京市西城区", "title": "一级教师"},
        "education": [{"level": "硕士研究生", "degree": "硕士", "school": "北京师范大学",
                       "major": "数学", "graduated": "2016-07"}],
        "study_history": [{"from": "2013-09", "to": "2016-07", "school": "北京师范大学",
                           "major": "数学"}],
        "work_history": [{"from": "2016-08", "employer": "北京市第一实验中学", "position": "教师"}],
        "photo_file_id": "00000000-0000-4000-b000-000000000001",
    }
    assert person.gateway.send("PUT", "/api/identity/me/profile", json=profile, headers={
        "Authorization": f"Bearer {person.token}"}).status == 200
    assert person.post("/api/identity/me/profile/submit", {}).status == 200

    school = gateway.login("shiyan")
    employees = school.get(f"{ORGS}/units/{UNIT_SCHOOL}/employees").body["items"]
    (mine,) = [e for e in employees if e["person_name"] == "李四"]
    detail = gateway.eventually(lambda: (lambda d: d if d["profile"] else None)(
        school.get(f"{ORGS}/units/{UNIT_SCHOOL}/employees/{mine['affiliation_id']}").body))
    assert detail["profile"]["education"][0]["school"] == "北京师范大学"
    assert detail["profile"]["work_history"][0]["position"] == "教师"
    # Another unit cannot read it.
    other = gateway.login("zhizao").get(f"{ORGS}/units/{UNIT_SCHOOL}/employees/{mine['affiliation_id']}")
    assert other.status == 404
