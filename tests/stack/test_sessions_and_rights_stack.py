"""Sessions and the person's rights against the real stack: each service its own gunicorn
process and PostgreSQL database, each refusing a revoked token from its own copy of the
denylist (identity.tokens.revoked, applied before the logout answers); the gateway checks
signatures only."""
import pytest
import requests

from tests import flows_rights
from tests.stack import test_title_appeal_stack

make_person = test_title_appeal_stack.make_person  # the fixture: a verified person, a phone


@pytest.fixture
def direct(stack):
    def call(service: str, method: str, path: str, token: str) -> int:
        return requests.request(method, f"http://127.0.0.1:{stack.ports[service]}{path}",
                                headers={"Authorization": f"Bearer {token}"},
                                timeout=10).status_code

    return call


def test_logout_ends_the_access_token_at_the_gateway_and_at_each_service(gateway, direct):
    flows_rights.logout_ends_the_access_token(gateway, direct)


def test_a_reused_refresh_token_ends_the_familys_access_tokens(gateway, direct):
    flows_rights.reused_refresh_token_ends_the_family_access_tokens(gateway, direct)


def test_security_headers_on_every_answer_and_no_gunicorn_banner(gateway, stack):
    flows_rights.security_headers_on_every_answer(gateway)
    # A service's own gunicorn, asked directly, has no banner either.
    reply = requests.get(f"http://127.0.0.1:{stack.ports['orgs']}/healthz", timeout=5)
    assert "Server" not in reply.headers and reply.headers["Cache-Control"] == "no-store"


def test_export_everything_then_close_the_account(gateway, make_person):
    flows_rights.export_then_close(gateway, make_person)
