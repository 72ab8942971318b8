"""Synchronous internal calls (services/common/internal.py): only a service credential opens
/internal/events, an envelope applied there is applied once, a failed call leaves the event
to the bus, and the gateway never routes /internal/."""
from __future__ import annotations

from types import SimpleNamespace

import jwt
import pytest
from flask import Flask
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select

from services.common.bus import EventConsumer, Outbox, bus_tables, make_envelope
from services.common.contracts import Payload, Text, required
from services.common.db import Database
from services.common.errors import register_error_handlers
from services.common.internal import (EVENTS_PATH, InternalClient, install_receiver,
                                      issue_credential)

KEY = b"k" * 32


class Noted(Payload):
    value = required(Text())


@pytest.fixture
def target(tmp_path):
    """A consuming service ("orgs") whose handler writes one row per envelope."""
    metadata = MetaData()
    tables = bus_tables(metadata)
    effect = Table("effect", metadata, Column("id", Integer, primary_key=True),
                   Column("value", String(50)))
    db = Database(f"sqlite:///{tmp_path}/orgs.db")
    metadata.create_all(db.engine)
    consumer = EventConsumer("orgs", db, tables.processed, {"files.thing.noted": lambda s, e: s.execute(
        insert(effect).values(value=e["data"]["value"]))})
    app = Flask("orgs")
    register_error_handlers(app)
    app.extensions["rencai.kit"] = SimpleNamespace(worker=SimpleNamespace(consumer=consumer))
    install_receiver(app, "orgs", KEY)
    app.effects = lambda: [r.value for r in db.engine.connect().execute(select(effect.c.value))]
    yield app
    db.dispose()


def envelope(value="一"):
    return make_envelope("files.thing.noted", "files", "s1", {"value": value})


def post(app, body, authorization=None):
    headers = {"Authorization": authorization} if authorization else {}
    return app.test_client().post(EVENTS_PATH, json=body, headers=headers)


def test_only_a_service_credential_for_this_service_opens_it(target):
    user_token = jwt.encode({"sub": "u1", "kind": "staff", "roles": ["admin"]}, KEY, "HS256")
    for authorization in (None, f"Bearer {user_token}", f"Service {user_token}",
                          f"Service {issue_credential(b'x' * 32, 'files', 'orgs')}",
                          f"Service {issue_credential(KEY, 'files', 'workflow')}",
                          f"Service {issue_credential(KEY, 'files', 'orgs')}x"):
        reply = post(target, envelope(), authorization)
        assert reply.status_code == 401, authorization
        assert reply.get_json()["detail"] == "内部接口仅供平台服务调用"
    assert target.effects() == []


def test_an_envelope_is_applied_once_however_often_it_arrives(target):
    credential = f"Service {issue_credential(KEY, 'files', 'orgs')}"
    sent = envelope()
    assert post(target, sent, credential).get_json() == {"applied": True}
    assert post(target, sent, credential).get_json() == {"applied": False}
    assert target.effects() == ["一"]
    unknown = {**envelope(), "type": "files.thing.ignored"}
    assert post(target, unknown, credential).status_code == 404


def test_the_client_delivers_in_process_and_leaves_failures_to_the_bus(target, tmp_path):
    client = InternalClient("files", KEY)
    client.local["orgs"] = target
    assert client.deliver(envelope("二"), ("orgs",)) == {"orgs": True}
    assert target.effects() == ["二"]
    # Unreachable over HTTP: no exception, False, the bus carries it.
    remote = InternalClient("files", KEY, {"orgs": "http://127.0.0.1:9"})
    assert remote.deliver(envelope("三"), ("orgs",)) == {"orgs": False}
    # A lone service (no peers configured) does not try at all.
    assert InternalClient("files", KEY).deliver(envelope("四"), ("orgs",)) == {}


def test_the_client_delivers_over_http(target):
    """The stack's way: a pooled connection, the answer read as JSON, a refusal reported."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, target, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = InternalClient("files", KEY, {"orgs": f"http://127.0.0.1:{server.port}"})
        sent = envelope("五")
        assert client.post("orgs", EVENTS_PATH, sent) == (200, {"applied": True})
        assert client.post("orgs", EVENTS_PATH, sent) == (200, {"applied": False})
        assert client.deliver(envelope("六"), ("orgs",)) == {"orgs": True}
        status, answer = client.post("orgs", EVENTS_PATH, {**sent, "type": "files.thing.ignored"})
        assert status == 404 and answer["detail"] == "本服务不处理该事件"
    finally:
        server.shutdown()
    assert target.effects() == ["五", "六"]


def test_the_client_keeps_its_connection_and_calls_again_when_the_target_closed_it(target):
    """A thread's connection is kept alive between calls (as gunicorn keeps it); one the
    target closed while it was idle is replaced and the call made once more."""
    import socket
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    opened = []

    class KeepAlive(BaseHTTPRequestHandler):  # werkzeug's server closes after every answer
        protocol_version = "HTTP/1.1"

        def setup(self):
            super().setup()
            opened.append(self.connection)

        def do_POST(self):  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            answer = target.test_client().post(self.path, data=body, headers=dict(self.headers))
            self.send_response(answer.status_code)
            self.send_header("Content-Length", str(len(answer.data)))
            self.end_headers()
            self.wfile.write(answer.data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), KeepAlive)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = InternalClient("files", KEY,
                                {"orgs": f"http://127.0.0.1:{server.server_address[1]}/"})
        assert client.deliver(envelope("七"), ("orgs",)) == {"orgs": True}
        assert client.deliver(envelope("八"), ("orgs",)) == {"orgs": True}
        assert len(opened) == 1  # kept alive
        opened[0].shutdown(socket.SHUT_RDWR)  # the target drops the idle connection
        assert client.deliver(envelope("九"), ("orgs",)) == {"orgs": True}
        assert len(opened) == 2
    finally:
        server.shutdown()
    assert target.effects() == ["七", "八", "九"]


def test_at_once_events_go_out_after_the_commit_and_never_after_a_rollback(target, tmp_path,
                                                                          monkeypatch):
    from services.common import contracts

    metadata = MetaData()
    tables = bus_tables(metadata)
    db = Database(f"sqlite:///{tmp_path}/files.db")
    metadata.create_all(db.engine)
    monkeypatch.setattr(contracts, "at_once", lambda producer: {"files.thing.noted": ("orgs",)})
    client = InternalClient("files", KEY)
    client.local["orgs"] = target
    outbox = Outbox(tables.outbox, "files", {"files.thing.noted": Noted}, internal=client)
    with pytest.raises(RuntimeError):
        with db.transaction() as session:
            outbox.add(session, "files.thing.noted", "s1", {"value": "回滚"})
            raise RuntimeError("the use case failed")
    with db.transaction() as session:
        outbox.add(session, "files.thing.noted", "s1", {"value": "提交"})
        assert target.effects() == []  # not before the commit
    assert target.effects() == ["提交"]
    db.dispose()


def test_the_gateway_never_routes_internal_paths():
    from gateway.app import create_gateway

    called = []
    backend = SimpleNamespace(forward=lambda *a: called.append(a), health=lambda: True)
    gateway = create_gateway({"orgs": backend}, verifier=SimpleNamespace(verify=lambda t: None))
    for path in ("/api/orgs/internal/events", "/api/orgs/internal"):
        reply = gateway.test_client().post(path, json={}, headers={
            "Authorization": f"Service {issue_credential(KEY, 'files', 'orgs')}"})
        assert reply.status_code == 404, path
    assert called == []


def test_a_credential_is_signed_once_per_third_of_its_lifetime(monkeypatch):
    from services.common import internal

    signed = []
    monkeypatch.setattr(internal, "issue_credential",
                        lambda *args: signed.append(args) or issue_credential(*args))
    client = InternalClient("files", KEY)
    first = client.credential("orgs")
    assert client.credential("orgs") == first and len(signed) == 1
    assert internal.verify_credential(KEY, f"Service {first}", "orgs") == "files"
    client.credential("workflow")  # another audience, its own credential
    assert [args[2] for args in signed] == ["orgs", "workflow"]
    later = internal.time.monotonic() + internal.LIFETIME / 3 + 1
    monkeypatch.setattr(internal.time, "monotonic", lambda: later)
    client.credential("orgs")
    assert [args[2] for args in signed] == ["orgs", "workflow", "orgs"]


def test_several_targets_over_http_are_called_at_once():
    """A logout's revocation goes to three services: the caller waits for the slowest answer,
    not the sum; an unreachable one is still False, left to the bus."""
    import threading
    import time

    from werkzeug.serving import make_server
    from werkzeug.wrappers import Response

    def slow(environ, start_response):
        time.sleep(1.0)
        return Response('{"applied": true}', content_type="application/json")(
            environ, start_response)

    servers = [make_server("127.0.0.1", 0, slow, threaded=True) for _ in range(2)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = InternalClient("identity", KEY, {
            "orgs": f"http://127.0.0.1:{servers[0].port}",
            "files": f"http://127.0.0.1:{servers[1].port}",
            "workflow": "http://127.0.0.1:9"})
        began = time.monotonic()
        answers = client.deliver(envelope(), ("orgs", "files", "workflow"))
        took = time.monotonic() - began
    finally:
        for server in servers:
            server.shutdown()
    assert answers == {"orgs": True, "files": True, "workflow": False}
    assert took < 1.8, took  # one after the other: 2 s at least
