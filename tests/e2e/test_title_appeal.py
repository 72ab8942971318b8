"""政工职评 and 人工申诉 as BPMN (issue 7 items 3 and 8) end to end through the gateway,
embedded mode. The scenarios live in tests/flows_title_appeal.py so that the real-stack tier
can run them too."""
import itertools

import pytest

from tests import flows_title_appeal as flows

REVIEW_IDS = ["qualification-unit", "qualification-supervisor", "materials-unit",
              "materials-supervisor", "materials-bureau"]


def test_title_evaluation_two_stages_then_experts_then_the_result(gateway):
    flows.title_approved(gateway)


@pytest.mark.parametrize("index", range(5), ids=REVIEW_IDS)
def test_title_evaluation_rejected_at(gateway, index):
    flows.title_rejected_at(gateway, index)


@pytest.mark.parametrize("index", range(5), ids=REVIEW_IDS)
def test_title_evaluation_returned_then_resubmitted(gateway, index):
    flows.title_returned_at(gateway, index)


def test_title_evaluation_experts_reject(gateway):
    flows.experts_reject(gateway)


def test_title_evaluation_exam_exemption_and_stage_order(gateway):
    flows.exemption_rule(gateway)


def test_title_evaluation_one_open_per_person(gateway):
    flows.one_open_per_person(gateway)


def test_title_evaluation_needs_an_affiliated_person(gateway):
    flows.no_affiliation_no_title_evaluation(gateway)


# --- 人工申诉 ---------------------------------------------------------------------------------

_people = itertools.count(1)


@pytest.fixture
def make_person(embedded):
    """Creates a person account (with a phone; bound to the ID number if given) in identity,
    as registration would, and returns its username."""
    from demo.data import DEMO_PASSWORD
    from services.identity.service import create_account

    kit = embedded.kit("identity")

    def make(id_number: str | None) -> str:
        suffix = f"{next(_people):06d}"
        username = f"appeal{suffix}"
        create_account(kit.db, kit.outbox, username=username, kind="person",
                       display_name=username, password=DEMO_PASSWORD,
                       phone=f"137{suffix:0>8}"[:11], id_number=id_number,
                       real_name="孙悟空" if id_number else None)
        embedded.settle()
        return username

    return make


def test_appeal_starts_only_from_identity_and_identity_no_longer_decides(gateway):
    flows.appeal_only_from_identity(gateway)


def test_appeal_rejected_by_admin_with_reason_notified(gateway, make_person):
    flows.appeal_rejected(gateway, make_person)


def test_appeal_approved_moves_the_binding_and_notifies(gateway, make_person):
    flows.appeal_approved(gateway, make_person)


def test_appeal_withdrawn_before_review_closes_it(gateway, make_person):
    flows.appeal_withdrawn(gateway, make_person)


def test_the_admin_sees_the_appeal_evidence_and_nobody_else(embedded, gateway, make_person):
    """The evidence the person uploaded travels as the appeal's attachment: files locks it
    when the review starts and opens it to the admins' group when the task reaches them."""
    from tests.service.test_files import PDF
    from tests.service.test_files_flow import raw_get, upload

    id_number, _, _, appellant, _ = flows.appeal_parties(gateway, make_person)
    uploaded = upload(embedded, appellant, PDF, "手持身份证照片.pdf", "id_card")
    assert uploaded.status_code == 201, uploaded.get_data(as_text=True)
    evidence = uploaded.get_json()["id"]
    admin = gateway.login("admin")
    path = f"/api/files/attachments/{evidence}/content"
    assert raw_get(embedded, path, admin).status_code == 404  # not before the appeal
    reply = appellant.post("/api/identity/me/appeals", {
        "name": "孙悟空", "id_number": id_number, "reason": "本人身份证被他人冒用注册",
        "evidence_file_id": evidence})
    assert reply.status == 201, reply
    assert gateway.eventually(lambda: raw_get(embedded, path, admin).status_code == 200)
    assert raw_get(embedded, path, admin).get_data() == PDF
    assert raw_get(embedded, path, gateway.login("shiju")).status_code == 404
    deleted = embedded.gateway.test_client().delete(
        f"/api/files/attachments/{evidence}", headers={"Authorization": f"Bearer {appellant.token}"})
    assert deleted.status_code == 409  # locked while the appeal is under review
