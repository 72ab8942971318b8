"""Sessions and the person's rights, embedded (the same flows run on the stack)."""
import threading

import pytest
import requests
from werkzeug.serving import make_server

from services.common.headers import QuietRequestHandler
from tests import flows_rights


@pytest.fixture
def direct(embedded):
    def call(service: str, method: str, path: str, token: str) -> int:
        client = embedded.apps[service].test_client()
        return client.open(path, method=method,
                           headers={"Authorization": f"Bearer {token}"}).status_code

    return call


def test_logout_ends_the_access_token_at_the_gateway_and_at_each_service(gateway, direct):
    flows_rights.logout_ends_the_access_token(gateway, direct)


def test_a_reused_refresh_token_ends_the_familys_access_tokens(gateway, direct):
    flows_rights.reused_refresh_token_ends_the_family_access_tokens(gateway, direct)


def test_security_headers_on_every_answer(gateway):
    flows_rights.security_headers_on_every_answer(gateway)


def test_a_service_sets_them_itself(embedded):
    reply = embedded.apps["files"].test_client().get("/healthz")
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert reply.headers["Cache-Control"] == "no-store"


def test_the_embedded_server_sends_no_server_banner(embedded):
    server = make_server("127.0.0.1", 0, embedded.gateway, threaded=True,
                         request_handler=QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        reply = requests.get(f"http://127.0.0.1:{server.server_port}/healthz", timeout=5)
    finally:
        server.shutdown()
    assert reply.status_code == 200 and "Server" not in reply.headers
    assert reply.headers["X-Frame-Options"] == "DENY"
