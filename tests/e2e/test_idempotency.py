"""Idempotency-Key, embedded (the same scenarios run against the stack in tests/stack)."""
from tests import flows_idempotency as flows


def test_a_retried_start_creates_one_instance(gateway):
    flows.a_retried_start_creates_one_instance(gateway)


def test_a_failed_request_can_be_retried_with_its_key(gateway):
    flows.a_failed_request_can_be_retried_with_its_key(gateway)


def test_a_retried_upload_stores_one_file(gateway):
    flows.a_retried_upload_stores_one_file(gateway)


def test_a_bad_key_is_a_clear_4xx(gateway):
    flows.a_bad_key_is_a_clear_4xx(gateway)
