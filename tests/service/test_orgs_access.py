"""orgs: the authorisation matrix. A unit sees and changes only its own employees and
requests; its supervising body sees them (read only); a person only their own affiliation;
admins everything. Whoever may not see a unit gets 404, as if it did not exist."""
import pytest

from tests.service.test_orgs_fixtures import (CODE_B, linked, request_link,  # noqa: F401
                                              migrated_orgs_db,
                                              signing_key, world)

READ, CHANGE = "read", "change"
# caller -> (status for reading the unit's data, status for changing it)
MATRIX = {
    "unit": (200, 200),
    "admin": (200, 200),
    "supervisor": (200, 403),
    "sibling": (404, 404),  # another unit under the same supervising body
    "foreign": (404, 404),  # a unit under another supervising body
    "other_supervisor": (404, 404),
    "bureau": (404, 404),
    "person": (404, 404),
}


def actions(world, pending: str, active: str):
    unit = f"/units/{world.unit}"
    return [
        (READ, "GET", f"{unit}/home", None),
        (READ, "GET", f"{unit}/profile", None),
        (READ, "GET", f"{unit}/affiliations", None),
        (READ, "GET", f"{unit}/employees", None),
        (READ, "GET", f"{unit}/employees/{active}", None),
        (CHANGE, "PUT", f"{unit}/profile", {"office_location": "中关村"}),
        (CHANGE, "PUT", f"{unit}/handler", {"handler": {"name": "甲", "phone": "13800138000"},
                                            "emergency": {"name": "乙", "phone": "13800138001"}}),
        (CHANGE, "POST", f"{unit}/association-code", None),
        (CHANGE, "GET", f"{unit}/employees/{active}/unlink-check", None),
        (CHANGE, "PUT", f"{unit}/employees/{active}/employment", {"position": "工程师"}),
        (CHANGE, "POST", f"{unit}/affiliations/{pending}/approve", {}),
        (CHANGE, "POST", f"{unit}/employees/{active}/unlink", {"reason": "离职"}),
    ]


@pytest.mark.parametrize("caller", sorted(MATRIX))
def test_the_matrix(world, caller):
    active = linked(world, "p-active", "张三")
    pending = request_link(world, "p-pending", "李四", id_number=None)["affiliation_id"]
    who = world.as_(caller)
    got = {}
    for kind, method, path, body in actions(world, pending, active):
        status, _ = world.call(method, path, who, body)
        got[(kind, method, path)] = status
    expected = {key: MATRIX[caller][0 if key[0] == READ else 1] for key in got}
    assert got == expected


@pytest.mark.parametrize("caller", ["unit", "supervisor", "admin"])
def test_an_employee_of_another_unit_is_404_under_this_unit(world, caller):
    foreign = request_link(world, "p-x", code=CODE_B)["affiliation_id"]
    for method, path in [("GET", f"/units/{world.unit}/employees/{foreign}"),
                         ("POST", f"/units/{world.unit}/affiliations/{foreign}/approve")]:
        status, _ = world.call(method, path, world.as_(caller), {} if method == "POST" else None)
        # A supervising body may not change anything at all: refused before the lookup.
        assert status == (403 if caller == "supervisor" and method == "POST" else 404), path


def test_an_unknown_unit_is_404_even_for_admins(world):
    assert world.call("GET", "/units/nope/home", world.as_("admin"), None)[0] == 404
    assert world.call("GET", f"/units/{world.supervisor}/home", world.as_("admin"), None)[0] == 404


def test_a_person_sees_only_their_own_affiliation(world):
    linked(world, "p-1", "张三")
    status, mine = world.call("GET", "/me/affiliation", world.as_("person", "p-1"), None)
    assert status == 200 and mine["unit_name"] == "北京智能制造研究院"
    assert world.call("GET", "/me/affiliation", world.as_("person", "p-2"), None)[0] == 404
    status, page = world.call("GET", "/me/affiliation-requests", world.as_("person", "p-2"), None)
    assert page["total"] == 0


@pytest.mark.parametrize("caller", ["unit", "supervisor", "admin"])
def test_only_people_request_or_look_up_association_codes(world, caller):
    assert world.call("POST", "/me/affiliation-requests", world.as_(caller),
                      {"association_code": CODE_B})[0] == 403
    assert world.call("GET", f"/association-codes/{CODE_B}", world.as_(caller), None)[0] == 403
    assert world.call("GET", "/me/affiliation", world.as_(caller), None)[0] == 403


def test_no_token_is_401(world):
    assert world.call("GET", f"/units/{world.unit}/home", {}, None)[0] == 401
