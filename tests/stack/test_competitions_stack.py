"""技能竞赛报名 against the real stack (PostgreSQL, RabbitMQ, processes): the scenarios of
tests/e2e/test_competitions.py, with identity's person events, the photo's lock and the
reviewer's read grant really crossing RabbitMQ."""
from tests import flows_competition as flows


def test_committee_publishes_and_a_person_confirms_identity(gateway):
    flows.committee_publishes_plans(gateway)
    flows.first_entry_confirms_identity(gateway)


def test_registration_approved(gateway):
    flows.registration_approved(gateway)


def test_registration_returned_then_rejected(gateway):
    flows.registration_returned_then_rejected(gateway)


def test_registration_window_withdrawal_and_entry(gateway):
    flows.registration_window_and_entry(gateway)
