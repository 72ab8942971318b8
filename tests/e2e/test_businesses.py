"""The talent businesses as BPMN (issue 7) end to end through the gateway, embedded mode:
个人关联单位 and 工作居住证. The scenarios live in tests/flows_businesses.py so that the
real-stack tier can run them too."""
import pytest

from tests import flows_businesses as flows


def test_no_affiliation_no_entry_and_the_code_names_the_unit(gateway):
    flows.affiliation_is_needed_and_found_by_code(gateway)


def test_affiliation_rejected_with_reason_then_approved_with_position(gateway):
    flows.affiliation_rejected_then_approved(gateway)


def test_affiliation_withdrawn_before_the_unit_acts(gateway):
    flows.affiliation_withdrawn(gateway)


def test_direct_request_and_process_request_do_not_overlap(gateway):
    flows.direct_request_and_process_do_not_overlap(gateway)


def test_association_code_reaches_workflow_and_a_regenerated_one_replaces_it(gateway):
    flows.association_code_travels_with_org_events(gateway)


def test_only_units_apply_for_a_permit_and_only_for_their_employees(gateway):
    flows.only_units_apply_for_their_employees(gateway)


def test_permit_approved_is_issued_and_shown_on_the_home(gateway):
    flows.permit_issued(gateway)


@pytest.mark.parametrize("reviewer", ["kewei", "shiju"], ids=["supervisor", "bureau"])
def test_permit_rejected_with_reason(gateway, reviewer):
    flows.permit_rejected_at(gateway, reviewer)


@pytest.mark.parametrize("reviewer", ["kewei", "shiju"], ids=["supervisor", "bureau"])
def test_permit_returned_then_resubmitted(gateway, reviewer):
    flows.permit_returned_by(gateway, reviewer)
