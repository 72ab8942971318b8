"""GET /staff-accounts: the admins' list of staff accounts (the console's 工作人员 page) —
roles, the phone masked, whether the authenticator is enrolled; filtered and paginated; no
one else may read it."""
from __future__ import annotations

import pytest

from services.identity.service import create_account
from tests.service.identity_harness import Harness


@pytest.fixture(scope="module")
def h(tmp_path_factory):
    harness = Harness(tmp_path_factory.mktemp("identity-staff-list"))
    yield harness
    harness.close()


def test_admins_list_staff_with_roles_masked_phones_and_enrolment(h):
    create_account(h.db, h.kit.outbox, username="listadmin", kind="staff", display_name="管理员",
                   password="Admin12345", org_id="org-1", roles=["admin"])
    for n, roles in enumerate((["supervisor"], ["expert"], ["bureau", "expert"])):
        create_account(h.db, h.kit.outbox, username=f"liststaff{n}", kind="staff",
                       display_name=f"审核员{n}", password="Review2026x", org_id="org-2",
                       roles=roles, phone=f"1370000010{n}")
    admin = h.staff_token("listadmin", "Admin12345")  # enrols listadmin's authenticator

    listed = h.call("GET", "/staff-accounts?per_page=2", token=admin)
    assert listed.status_code == 200, listed.get_json()
    page = listed.get_json()
    assert page["total"] == 4 and page["per_page"] == 2 and len(page["items"]) == 2
    assert [s["username"] for s in page["items"]] == ["listadmin", "liststaff0"]
    me, first = page["items"]
    assert me["totp"] == "enrolled" and me["roles"] == ["admin"]
    assert first["totp"] == "none" and first["phone"] == "137****0100"
    assert "13700000100" not in listed.get_data(as_text=True)
    assert set(first) == {"id", "username", "display_name", "org_id", "roles", "phone",
                          "totp", "created_at"}

    experts = h.call("GET", "/staff-accounts?role=expert", token=admin).get_json()
    assert [s["username"] for s in experts["items"]] == ["liststaff1", "liststaff2"]
    by_name = h.call("GET", "/staff-accounts?q=审核员2", token=admin).get_json()
    assert [s["roles"] for s in by_name["items"]] == [["bureau", "expert"]]

    person = h.register("notstaff01")
    assert h.call("GET", "/staff-accounts", token=person["token"]).status_code == 403
    assert h.call("GET", "/staff-accounts").status_code == 401
    bad = h.call("GET", "/staff-accounts?per_page=1000", token=admin)
    assert bad.status_code == 422 and "per_page" in bad.get_json()["errors"]
