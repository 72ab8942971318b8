"""业务权限开通 and 需求申报 against the real stack (PostgreSQL, RabbitMQ, processes): the same
scenarios as tests/e2e/test_talent_intro.py, with orgs.permission.changed really crossing
RabbitMQ."""
import pytest

from tests import flows_talent_intro as flows


def test_business_permission(gateway):
    flows.only_units_with_permission_declare(gateway)
    flows.permission_rejected_reapplied_approved_and_modified(gateway)


def test_declaration_checks_and_both_reviews(gateway):
    flows.declaration_checks(gateway)
    flows.declaration_passes_both_reviews(gateway)


@pytest.mark.parametrize("level", ["initial", "re"], ids=["initial-review", "re-review"])
def test_declaration_not_passed_then_reapplied(gateway, level):
    flows.declaration_rejected_at(gateway, level)


def test_passed_list_exported(gateway):
    flows.passed_list_exported(gateway)
