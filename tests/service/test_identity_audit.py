"""identity on the kit's audit log: staff look-ups of accounts (and who may), refresh-token
reuse, profile saves with before/after, the admins' query and chain check, the person's own
history."""
import pytest

from services.common import audit
from services.identity.service import create_account
from tests.service.identity_harness import Harness, new_id_number


@pytest.fixture(scope="module")
def h(tmp_path_factory):
    harness = Harness(tmp_path_factory.mktemp("identity-audit"))
    yield harness
    harness.close()


def staff(h, username, roles):
    create_account(h.db, h.kit.outbox, username=username, kind="staff", display_name=username,
                   password="Staff12345", org_id="org-1", roles=roles)
    return h.staff_token(username, "Staff12345")


@pytest.fixture(scope="module")
def admin(h):
    return staff(h, "auditadmin", ["admin"])


def entries(h, **query):
    return audit.search(h.db, per_page=100, **query)["items"]


def test_experts_and_the_committee_cannot_look_accounts_up(h):
    person = h.register("lookedup01")
    for username, roles in (("auditexpert", ["expert"]), ("auditcommittee", ["committee"])):
        token = staff(h, username, roles)
        reply = h.call("GET", f"/accounts/{person['account_id']}", token=token)
        assert reply.status_code == 403, username
    assert entries(h, action="account.viewed", subject_id=person["account_id"]) == []


def test_a_reviewer_looking_an_account_up_is_audited(h):
    person = h.register("lookedup02")
    h.call("POST", "/me/real-name", {"name": "杜甫", "id_number": new_id_number(), "consent": True},
           token=person["token"])
    reviewer = staff(h, "auditreviewer", ["supervisor"])
    seen = h.call("GET", f"/accounts/{person['account_id']}", token=reviewer)
    assert seen.status_code == 200 and "*" in seen.get_json()["id_number"]
    [entry] = entries(h, action="account.viewed", subject_id=person["account_id"])
    assert entry["actor_kind"] == "staff" and entry["actor_roles"] == "supervisor"
    assert (entry["object_type"], entry["object_id"]) == ("account", person["account_id"])
    assert entry["request_id"] and entry["ip"] == "10.255.0.1"


def test_refresh_token_reuse_is_audited(h):
    person = h.register("reuse00001")
    refresh = person["tokens"]["refresh_token"]
    assert h.call("POST", "/tokens/refresh", {"refresh_token": refresh}).status_code == 201
    assert h.call("POST", "/tokens/refresh", {"refresh_token": refresh}).status_code == 401
    [entry] = entries(h, action="token.reuse_detected", subject_id=person["account_id"])
    assert entry["actor_kind"] == "anonymous" and entry["detail"]["family_revoked"] is True


def test_a_profile_save_keeps_before_and_after(h):
    person = h.register("profsave01")
    h.call("POST", "/me/real-name", {"name": "白居易", "id_number": new_id_number()},
           token=person["token"])
    general = {"gender": "男", "ethnicity": "汉族", "political_status": "群众",
               "email": "bai@example.cn", "address": "北京市东城区 1 号", "title": "工程师"}
    assert h.call("PUT", "/me/profile", {"general": general},
                  token=person["token"]).status_code == 200
    moved = {**general, "address": "北京市西城区 2 号"}
    assert h.call("PUT", "/me/profile", {"general": moved},
                  token=person["token"]).status_code == 200
    # The same again changes nothing and records nothing.
    assert h.call("PUT", "/me/profile", {"general": moved},
                  token=person["token"]).status_code == 200
    saved = entries(h, action="profile.saved", subject_id=person["account_id"])
    assert len(saved) == 2
    assert saved[0]["before"]["general"]["address"] == "北京市东城区 1 号"
    assert saved[0]["after"]["general"]["address"] == "北京市西城区 2 号"
    assert saved[0]["actor_id"] == person["account_id"]


def test_admins_query_the_log_by_person_action_and_date_and_check_the_chain(h, admin):
    person = h.register("queried001")
    assert h.call("POST", "/tokens", {"username": "queried001", "password": "Shu1yuan"},
                  ip=h.new_ip()).status_code == 201
    assert h.call("GET", "/audit-log", token=person["token"]).status_code == 403
    assert h.call("GET", "/audit-log/verify", token=person["token"]).status_code == 403
    page = h.call("GET", f"/audit-log?person={person['account_id']}&per_page=1", token=admin)
    body = page.get_json()
    assert page.status_code == 200 and body["total"] >= 2 and len(body["items"]) == 1
    assert {e["subject_id"] for e in body["items"]} == {person["account_id"]}
    registered = h.call("GET", f"/audit-log?person={person['account_id']}"
                        "&action=person.registered&since=2020-01-01T00:00:00Z", token=admin)
    assert [e["action"] for e in registered.get_json()["items"]] == ["person.registered"]
    future = h.call("GET", "/audit-log?since=2999-01-01T00:00:00Z", token=admin)
    assert future.get_json()["total"] == 0
    bad = h.call("GET", "/audit-log?since=yesterday", token=admin)
    assert bad.status_code == 422 and "since" in bad.get_json()["errors"]
    assert h.call("GET", "/audit-log/verify", token=admin).get_json()["ok"] is True


def test_the_person_still_sees_their_own_history(h):
    person = h.register("history001")
    mine = h.call("GET", "/me/audit", token=person["token"]).get_json()
    assert "person.registered" in [e["action"] for e in mine["items"]]
    assert {e["account_id"] for e in mine["items"]} == {person["account_id"]}
