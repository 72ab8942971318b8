"""orgs: a unit's information (the first-login gate), the handler panel, the association
code and the unit home."""
import uuid

import pytest

from services.common import audit
from tests.service.test_orgs_fixtures import (CODE_A, linked, request_link,  # noqa: F401
                                              migrated_orgs_db,
                                              signing_key, world)

FILE = str(uuid.uuid4())
COMPLETE = {
    "office_location": "北京市朝阳区科技园1号",
    "unit_type": "事业单位",
    "general": {"legal_representative": "王五", "address": "北京市朝阳区科技园1号",
                "postcode": "100020", "established_on": "2001-05-01"},
    "qualifications": [{"name": "高新技术企业证书", "number": "GR2023110001", "file_id": FILE}],
    "handler": {"name": "赵六", "phone": "13800138000"},
    "emergency": {"name": "钱七", "phone": "010-62345678"},
    "attachment_ids": [FILE],
}


def test_a_new_unit_must_complete_its_information_first(world):
    status, home = world.call("GET", f"/units/{world.sibling}/home", world.as_("sibling"), None)
    assert status == 200 and home["needs_completion"] is True
    status, preview = world.call("GET", f"/units/{world.sibling}/profile", world.as_("sibling"),
                                 None)
    assert preview["ready"] is False and "credit_code" in preview["missing"]
    status, body = world.call("POST", f"/units/{world.sibling}/profile/submit",
                              world.as_("sibling"), None)
    assert status == 422 and body["errors"]["handler.phone"] == "请填写业务经办人联系电话"


def test_fill_preview_submit_view_modify(world):
    me = world.as_("sibling")
    draft = {"credit_code": "91110105MA00000012", "office_location": "中关村"}
    status, body = world.call("PUT", f"/units/{world.sibling}/profile", me, draft)
    assert status == 200 and body["status"] == "incomplete" and not body["ready"]
    status, body = world.call("PUT", f"/units/{world.sibling}/profile", me, COMPLETE)
    assert status == 200 and body["ready"] and body["missing"] == {}
    status, body = world.call("POST", f"/units/{world.sibling}/profile/submit", me, None)
    assert status == 200 and body["status"] == "complete"
    assert [e["data"] for e in world.events("orgs.unit.profile_completed")] == [
        {"unit_id": world.sibling}]
    status, view = world.call("GET", f"/units/{world.sibling}/profile", me, None)
    assert view["qualifications"][0]["name"] == "高新技术企业证书"
    assert view["handler"] == {"name": "赵六", "phone": "13800138000"}
    # Modify: renaming goes out as an update; emptying a required field is refused.
    status, body = world.call("PUT", f"/units/{world.sibling}/profile", me,
                              {"name": "星河软件（北京）有限公司"})
    assert status == 200 and world.events("orgs.org.updated")[-1]["data"]["name"] == \
        "星河软件（北京）有限公司"
    status, body = world.call("PUT", f"/units/{world.sibling}/profile", me,
                              {"attachment_ids": []})
    assert status == 422 and "attachment_ids" in body["errors"]
    status, home = world.call("GET", f"/units/{world.sibling}/home", me, None)
    assert home["needs_completion"] is False and home["office_location"] == "北京市朝阳区科技园1号"


def test_phones_are_encrypted_at_rest_and_masked_for_the_supervising_body(world):
    world.call("PUT", f"/units/{world.sibling}/profile", world.as_("sibling"), COMPLETE)
    from sqlalchemy import text
    with world.kit.db.reading() as session:
        raw = session.execute(text("SELECT handler_phone FROM unit_profile")).scalar()
    assert raw.startswith("v2:") and "13800138000" not in raw
    status, view = world.call("GET", f"/units/{world.sibling}/profile",
                              world.as_("supervisor"), None)
    assert status == 200 and view["handler"]["phone"] == "138****8000"


@pytest.mark.parametrize("payload, field, words", [
    ({"credit_code": "121100004000000015"}, "credit_code", "校验位"),
    ({"credit_code": "91110105MA00000012X"}, "credit_code", "18位"),
    ({"handler": {"name": "赵六", "phone": "12345"}}, "handler.phone", "联系电话格式不正确"),
    ({"handler": {"phone": "13800138000"}}, "handler.name", "请填写姓名"),
    ({"general": {"postcode": "1000"}}, "general.postcode", "邮政编码"),
    ({"attachment_ids": ["not-a-file"]}, "attachment_ids.0", "附件编号"),
    ({"qualifications": [{"number": "1"}]}, "qualifications.0.name", "请填写"),
    ({"name": "x" * 201}, "name", "200"),
])
def test_bad_unit_information_names_the_field(world, payload, field, words):
    status, body = world.call("PUT", f"/units/{world.sibling}/profile", world.as_("sibling"),
                              payload)
    assert status == 422, body
    assert words in body["errors"][field], body


def test_the_handler_panel_has_its_own_maintain_action(world):
    me = world.as_("unit")
    status, body = world.call("PUT", f"/units/{world.unit}/handler", me,
                              {"handler": {"name": "孙八", "phone": "13900139000"},
                               "emergency": {"name": "周九", "phone": "13700137000"}})
    assert status == 200 and body["handler"]["name"] == "孙八"
    [change] = audit.search(world.kit.db, action="unit.handler_changed")["items"]
    assert change["object_id"] == world.unit and change["actor_kind"] == "unit"
    assert change["after"]["handler"] == {"name": "孙八", "phone": "139****9000"}
    status, body = world.call("PUT", f"/units/{world.unit}/handler", me,
                              {"handler": {"name": "孙八", "phone": "13900139000"}})
    assert status == 422 and body["errors"] == {"emergency": "必填项"}


def test_the_association_code_is_shown_on_the_home_and_regenerating_retires_the_old(world):
    person = world.as_("person")
    status, home = world.call("GET", f"/units/{world.unit}/home", world.as_("unit"), None)
    assert home["association_code"] == CODE_A
    assert world.call("GET", f"/association-codes/{CODE_A.lower()}", person, None)[1][
        "name"] == "北京智能制造研究院"
    status, body = world.call("POST", f"/units/{world.unit}/association-code",
                              world.as_("unit"), None)
    assert status == 200 and body["association_code"] != CODE_A
    status, gone = world.call("GET", f"/association-codes/{CODE_A}", person, None)
    assert status == 404 and "未找到该关联代码对应的单位" in gone["detail"]
    assert world.call("GET", f"/association-codes/{body['association_code']}", person,
                      None)[0] == 200


def test_the_unit_home_counts_pending_and_active(world):
    linked(world, "p-1")
    linked(world, "p-2", "李四", id_number=None)
    request_link(world, "p-3", "王五", id_number=None)
    status, home = world.call("GET", f"/units/{world.unit}/home", world.as_("unit"), None)
    assert (home["pending_affiliations"], home["active_employees"]) == (1, 2)
    status, home = world.call("GET", f"/units/{world.unit}/home", world.as_("supervisor"), None)
    assert status == 200 and home["association_code"] is None
