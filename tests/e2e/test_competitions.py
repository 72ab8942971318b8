"""技能竞赛报名 (seed 004) end to end through the gateway, embedded mode. The scenarios live in
tests/flows_competition.py so that the real-stack tier runs them too."""
from services.identity import service as identity
from tests import flows_competition as flows
from tests.flows_competition import API


def test_committee_publishes_competition_plans(gateway):
    flows.committee_publishes_plans(gateway)


def test_first_entry_confirms_identity_against_the_real_name(gateway):
    flows.first_entry_confirms_identity(gateway)


def test_registration_submitted_and_approved_by_the_committee(gateway):
    flows.registration_approved(gateway)


def test_registration_returned_revised_then_rejected_with_reason(gateway):
    flows.registration_returned_then_rejected(gateway)


def test_registration_window_withdrawal_and_entry(gateway):
    flows.registration_window_and_entry(gateway)


def test_no_real_name_no_confirmation(embedded, gateway):
    """A person who skipped 实名认证 (暂不认证) is sent to the personal centre first."""
    identity.create_account(embedded.kit("identity").db, embedded.kit("identity").outbox,
                            username="weirenzheng", kind="person", display_name="未认证",
                            password="Rencai@2026")
    person = gateway.login("weirenzheng")
    reply = person.post(f"{API}/me/competitor/confirmation",
                        {"name": "未认证", "id_number": "110105198503070019"})
    assert reply.status == 403
    assert reply.body["detail"] == "您的账号尚未完成实名认证，请先在个人中心完成实名认证后再报名"
