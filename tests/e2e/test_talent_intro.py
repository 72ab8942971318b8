"""人才引进 (seed 003; issue 7 items 4 and 5) end to end through the gateway, embedded mode:
业务权限开通 and 需求申报. The scenarios live in tests/flows_talent_intro.py so that the
real-stack tier can run them too."""
import pytest

from tests import flows_talent_intro as flows


def test_only_units_with_the_permission_declare_and_the_catalogue_says_why(gateway):
    flows.only_units_with_permission_declare(gateway)


def test_permission_rejected_reapplied_approved_and_modified(gateway):
    flows.permission_rejected_reapplied_approved_and_modified(gateway)


def test_declaration_checks_fields_attachments_and_masks_the_id_number(gateway):
    flows.declaration_checks(gateway)


def test_declaration_passes_initial_review_and_re_review(gateway):
    flows.declaration_passes_both_reviews(gateway)


@pytest.mark.parametrize("level", ["initial", "re"], ids=["initial-review", "re-review"])
def test_declaration_not_passed_then_reapplied_goes_to_initial_review(gateway, level):
    flows.declaration_rejected_at(gateway, level)


def test_district_exports_the_passed_list(gateway):
    flows.passed_list_exported(gateway)


def test_the_full_id_number_is_for_the_reviewer_holding_the_task(gateway):
    flows.full_id_number_for_the_reviewer_only(gateway)
