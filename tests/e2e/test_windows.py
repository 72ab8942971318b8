"""No windows between services (issue 11 §3), embedded: no bus thread runs here, so each
second call, issued at once, finds what only the synchronous internal calls can have done."""
import pytest

from services.identity.model import Captcha
from tests import flows_windows as flows


@pytest.fixture
def captcha_answer(embedded):
    db = embedded.kit("identity").db

    def answer(captcha_id: str) -> str:
        with db.reading() as session:
            return session.get(Captcha, captcha_id).answer

    return answer


def test_attachments_are_locked_and_open_to_reviewers_when_the_submit_answers(gateway):
    flows.attachments_locked_and_open_when_the_submit_answers(gateway)


def test_the_verified_name_is_shown_though_the_token_predates_it(gateway, captcha_answer):
    flows.verified_name_shown_though_the_token_predates_it(gateway, captcha_answer)
