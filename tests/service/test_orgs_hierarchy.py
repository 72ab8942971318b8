"""orgs: the hierarchy maintained by admins, its parent rules and its events."""
import pytest

from services.common import audit
from services.orgs.model import credit_code_problem, id_number_problem
from tests.service.test_orgs_fixtures import (CREDIT_A, migrated_orgs_db,  # noqa: F401
                                              signing_key, world)


def test_an_admin_creates_a_unit_under_a_supervising_body_and_it_is_published(world):
    status, body = world.call("POST", "/orgs", world.as_("admin"), {
        "kind": "unit", "name": "北京新材料有限公司", "parent_id": world.supervisor,
        "district_id": world.district, "credit_code": "91110105ma00000012"})
    assert status == 201, body
    assert body["credit_code"] == "91110105MA00000012" and body["district_id"] == world.district
    event = world.events("orgs.org.registered")[-1]
    assert event["data"] == {"org_id": body["id"], "kind": "unit", "name": "北京新材料有限公司",
                             "parent_id": world.supervisor, "district_id": world.district,
                             "association_code": event["data"]["association_code"]}
    assert len(event["data"]["association_code"]) == 8  # a new unit gets its 单位关联代码


def test_moving_and_renaming_publishes_an_update_of_the_same_shape(world):
    status, body = world.call("PATCH", f"/orgs/{world.sibling}", world.as_("admin"),
                              {"parent_id": world.other_supervisor, "name": "星河软件"})
    assert status == 200 and body["parent_id"] == world.other_supervisor
    event = world.events("orgs.org.updated")[-1]
    assert event["data"] == {"org_id": world.sibling, "kind": "unit", "name": "星河软件",
                             "parent_id": world.other_supervisor, "district_id": None,
                             "association_code": event["data"]["association_code"]}
    assert set(event["data"]) == set(world.events("orgs.org.registered")[0]["data"])
    # An org change is on the audit log with what it was and what it became.
    [change] = audit.search(world.kit.db, action="org.updated", object_id=world.sibling)["items"]
    assert change["actor_roles"] == "admin" and change["before"]["name"] == "北京星河软件有限公司"
    assert change["after"]["parent_id"] == world.other_supervisor


@pytest.mark.parametrize("payload, field, words", [
    ({"kind": "unit", "name": "甲"}, "parent_id", "归口单位"),
    ({"kind": "unit", "name": "甲", "parent": None}, "parent", "不允许的字段"),
    ({"kind": "supervisor", "name": "甲", "parent_id": "unit"}, "parent_id", "市局"),
    ({"kind": "bureau", "name": "甲", "parent_id": "bureau"}, "parent_id", "市局不能"),
    ({"kind": "supervisor", "name": "甲", "parent_id": "bureau", "district_id": "district"},
     "district_id", "只有用人单位"),
    ({"kind": "unit", "name": "甲", "parent_id": "supervisor", "district_id": "bureau"},
     "district_id", "区"),
    ({"kind": "unit", "name": " ", "parent_id": "supervisor"}, "name", "名称"),
    ({"kind": "planet", "name": "甲"}, "kind", "取值"),
    ({"name": "甲"}, "kind", "请选择机构类型"),
    ({"kind": "unit", "name": "甲", "parent_id": "supervisor", "credit_code": "12345"},
     "credit_code", "18位"),
    ({"kind": "unit", "name": "甲", "parent_id": "supervisor",
      "credit_code": "121100004000000015"}, "credit_code", "校验位"),
    ({"kind": "unit", "name": "甲", "parent_id": "supervisor",
      "credit_code": "12110000400000001O"}, "credit_code", "不允许的字符"),
])
def test_bad_placements_name_the_field(world, payload, field, words):
    ids = {"unit": world.unit, "bureau": world.bureau, "supervisor": world.supervisor,
           "district": world.district}
    payload = {k: ids.get(v, v) if k in ("parent_id", "district_id") else v
               for k, v in payload.items()}
    status, body = world.call("POST", "/orgs", world.as_("admin"), payload)
    assert status == 422, body
    assert words in body["errors"][field]


def test_a_credit_code_is_held_by_one_unit_only(world):
    status, body = world.call("POST", "/orgs", world.as_("admin"), {
        "kind": "unit", "name": "冒名单位", "parent_id": world.supervisor,
        "credit_code": CREDIT_A})
    assert status == 409 and "已被其他单位使用" in body["errors"]["credit_code"]


@pytest.mark.parametrize("who", ["unit", "supervisor", "person", "bureau"])
def test_only_admins_maintain_the_hierarchy(world, who):
    status, _ = world.call("POST", "/orgs", world.as_(who),
                           {"kind": "supervisor", "name": "甲", "parent_id": world.bureau})
    assert status == 403
    status, _ = world.call("PATCH", f"/orgs/{world.unit}", world.as_(who), {"name": "乙"})
    assert status == 403


def test_staff_list_orgs_by_parent(world):
    status, body = world.call("GET", f"/orgs?parent_id={world.supervisor}&kind=unit",
                              world.as_("supervisor"), None)
    assert status == 200 and {o["id"] for o in body["items"]} == {world.unit, world.sibling}
    assert world.call("GET", "/orgs", world.as_("person"), None)[0] == 403


def test_an_unknown_org_is_404(world):
    assert world.call("PATCH", "/orgs/nope", world.as_("admin"), {"name": "乙"})[0] == 404


@pytest.mark.parametrize("code, ok", [("121100004000000014", True), ("91110105MA00000012", True),
                                      ("91350100M000100Y43", True),
                                      ("91350100M000100Y44", False)])
def test_gb32100_check_character(code, ok):
    assert (credit_code_problem(code) is None) is ok


def test_id_number_check_digit():
    assert id_number_problem("11010519491231002X") is None
    assert "校验位" in id_number_problem("110105194912310021")
