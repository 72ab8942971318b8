"""Issue 11 §1 and §3 against the real stack (PostgreSQL, RabbitMQ, separate processes): the
unit registered by phone walks certify → 业务权限 → 需求申报, and every second call, issued at
once, finds what the first did — over the services' synchronous internal HTTP calls, not
because the bus happened to be quick."""
import pytest

from services.common.db import Database
from services.identity.model import Captcha
from tests import flows_unit_by_phone, flows_windows


@pytest.fixture(scope="module")
def captcha_answer(stack):
    db = Database(stack.urls["identity"])

    def answer(captcha_id: str) -> str:
        with db.reading() as session:
            return session.get(Captcha, captcha_id).answer

    yield answer
    db.dispose()


def test_unit_registered_by_phone_certifies_opens_the_permission_and_declares(gateway,
                                                                             captcha_answer):
    flows_unit_by_phone.unit_registered_by_phone_declares(gateway, captcha_answer)


def test_attachments_are_locked_and_open_to_reviewers_when_the_submit_answers(gateway):
    flows_windows.attachments_locked_and_open_when_the_submit_answers(gateway)


def test_the_verified_name_is_shown_though_the_token_predates_it(gateway, captcha_answer):
    flows_windows.verified_name_shown_though_the_token_predates_it(gateway, captcha_answer)
