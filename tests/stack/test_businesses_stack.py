"""个人关联单位 and 工作居住证 against the real stack (PostgreSQL, RabbitMQ, processes): the
same scenarios as tests/e2e/test_businesses.py, with the events really crossing RabbitMQ."""
import pytest

from tests import flows_businesses as flows


def test_affiliation_needs_a_code_and_is_decided_by_the_unit(gateway):
    flows.affiliation_is_needed_and_found_by_code(gateway)
    flows.affiliation_rejected_then_approved(gateway)


def test_association_code_travels_with_org_events(gateway):
    flows.association_code_travels_with_org_events(gateway)


def test_work_permit_issued(gateway):
    flows.only_units_apply_for_their_employees(gateway)
    flows.permit_issued(gateway)


@pytest.mark.parametrize("reviewer", ["kewei", "shiju"], ids=["supervisor", "bureau"])
def test_work_permit_rejected_or_returned(gateway, reviewer):
    flows.permit_rejected_at(gateway, reviewer)
    flows.permit_returned_by(gateway, reviewer)
