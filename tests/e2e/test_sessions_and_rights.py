"""Sessions and the person's rights, embedded (the same flows run on the stack)."""
import threading

import pytest
import requests
from flask import request, request_started
from werkzeug.serving import make_server

from services.common.headers import QuietRequestHandler
from demo.data import DEMO_PASSWORD
from tests import flows_rights
from tests.e2e import test_title_appeal


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


def test_an_authenticated_request_asks_identity_nothing(gateway, embedded):
    """Revocation is checked by the service in its own database: the gateway verifies the
    signature only and calls nobody, so identity sees no request for another service's call."""
    token = gateway.login("lisi").token
    asked = []

    def count(app, **_):
        asked.append(request.path)

    request_started.connect(count, embedded.apps["identity"])
    try:
        for service, path in flows_rights.EACH_SERVICE.items():
            if service != "identity":
                reply = gateway.send("GET", f"/api/{service}{path}",
                                     headers={"Authorization": f"Bearer {token}"})
                assert reply.status == 200, (service, reply)
        assert asked == []
        # (what is counted: a request that does reach identity)
        assert gateway.send("GET", "/api/identity/me",
                            headers={"Authorization": f"Bearer {token}"}).status == 200
        assert asked == ["/me"]
    finally:
        request_started.disconnect(count, embedded.apps["identity"])


def test_a_service_the_logout_could_not_reach_learns_it_from_the_bus(gateway, embedded,
                                                                    direct):
    """The documented window (services/common/denylist.py): when the at-once call fails
    (here: orgs unreachable from identity), orgs accepts the token until its consumer applies
    identity.tokens.revoked from the bus; the others refuse it at once."""
    pair = gateway.send("POST", "/api/identity/tokens",
                        json={"username": "lisi", "password": DEMO_PASSWORD}).body
    token = pair["access_token"]
    local = embedded.kit("identity").internal.local
    orgs = local.pop("orgs")
    try:
        reply = gateway.send("POST", "/api/identity/tokens/revoke",
                             json={"refresh_token": pair["refresh_token"]},
                             headers={"Authorization": f"Bearer {token}"})
        assert reply.status == 204, reply
    finally:
        local["orgs"] = orgs
    assert direct("workflow", "GET", "/catalogue", token) == 401
    assert direct("orgs", "GET", "/me/affiliation", token) == 200  # not told yet
    embedded.settle()  # the bus delivers
    assert direct("orgs", "GET", "/me/affiliation", token) == 401


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

make_person = test_title_appeal.make_person  # the fixture: a verified person with a phone


def test_export_everything_then_close_the_account(gateway, embedded, make_person):
    from sqlalchemy import select

    from services.files.model import Attachment
    from services.identity.model import Account, Profile
    from services.orgs.model import Affiliation

    flows_rights.export_then_close(gateway, make_person)
    embedded.settle()
    with embedded.kit("identity").db.reading() as session:
        [account] = session.scalars(select(Account).where(Account.closed_at.is_not(None))
                                    .order_by(Account.closed_at.desc())).all()[:1]
        assert (account.phone, account.id_number, account.real_name, account.phone_index,
                account.id_number_index) == (None, None, None, None, None)
        assert account.display_name == "已注销用户" and account.username.startswith("closed_")
        assert session.get(Profile, account.id) is None
    with embedded.kit("files").db.reading() as session:
        assert not session.scalars(select(Attachment).where(
            Attachment.owner_id == account.id)).all()
    with embedded.kit("orgs").db.reading() as session:
        [link] = session.scalars(select(Affiliation).where(
            Affiliation.person_id == account.id)).all()
        assert link.status == "rejected" and link.id_number is None and link.phone is None
        assert link.person_name.endswith("*")
