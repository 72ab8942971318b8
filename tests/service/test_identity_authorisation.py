"""Who may do what is decided by identity's use cases, not by the routes (the API only signs
the caller in): what only admins or only staff may do is refused to a person with 403."""
import pytest

from services.identity.service import create_account
from tests.service.identity_harness import Harness


@pytest.fixture(scope="module")
def h(tmp_path_factory):
    harness = Harness(tmp_path_factory.mktemp("identity-authorisation"))
    yield harness
    harness.close()


def test_what_only_admins_or_staff_may_do_is_refused_to_a_person(h):
    create_account(h.db, h.kit.outbox, username="authzadmin", kind="staff",
                   display_name="管理员", password="Admin12345", org_id="org-1", roles=["admin"])
    admin = h.staff_token("authzadmin", "Admin12345")
    person = h.register("authz01")
    token = person["token"]
    for method, path, body in [("GET", "/appeals", None), ("POST", "/keys/rotate", None),
                               ("POST", "/staff-accounts/anyone/totp-reset", None),
                               ("POST", "/me/recovery-codes", {"totp_code": "123456"}),
                               ("GET", "/audit", None),
                               ("GET", "/accounts/" + person["account_id"], None)]:
        reply = h.call(method, path, body, token=token)
        assert reply.status_code == 403, (path, reply.get_json())
    # Everyone reads their own history; an admin anyone's.
    own = h.call("GET", f"/audit?account_id={person['account_id']}", token=token)
    assert own.status_code == 200 and own.get_json()["items"]
    assert h.call("GET", f"/audit?account_id={person['account_id']}",
                  token=admin).get_json()["total"] == own.get_json()["total"]
    assert h.call("GET", "/appeals", token=admin).status_code == 200
