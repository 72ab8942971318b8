"""The kit's Idempotency-Key decorator on a small app of its own: a retry while the first
request still runs waits (409 + Retry-After) and never runs the use case twice."""
from __future__ import annotations

import os
import threading
from types import SimpleNamespace

from flask import Flask
from sqlalchemy import MetaData

from services.common import pii
from services.common.db import Database
from services.common.errors import register_error_handlers
from services.common.idempotency import idempotency_table, idempotent


def _app(tmp_path, view_started: threading.Event, release: threading.Event, calls: list):
    pii.configure(os.environ["RENCAI_PII_KEY"], tmp_path)
    metadata = MetaData()
    table = idempotency_table(metadata)
    db = Database(f"sqlite:///{tmp_path / 'idem.db'}")
    metadata.create_all(db.engine)
    app = Flask("idempotency-test")
    app.extensions["rencai.kit"] = SimpleNamespace(db=db)
    register_error_handlers(app)

    @app.post("/things")
    @idempotent(table)
    def create():
        calls.append(1)
        view_started.set()
        release.wait(10)
        return {"id": f"thing-{len(calls)}"}, 201

    return app


def test_a_retry_during_the_first_request_is_told_to_wait(tmp_path):
    started, release, calls = threading.Event(), threading.Event(), []
    app = _app(tmp_path, started, release, calls)
    headers = {"Idempotency-Key": "k-1"}
    first = {}
    worker = threading.Thread(target=lambda: first.update(
        reply=app.test_client().post("/things", json={"a": 1}, headers=headers)))
    worker.start()
    assert started.wait(10)
    during = app.test_client().post("/things", json={"a": 1}, headers=headers)
    assert during.status_code == 409 and during.headers["Retry-After"] == "1"
    assert during.mimetype == "application/problem+json"
    release.set()
    worker.join(10)
    assert first["reply"].status_code == 201
    after = app.test_client().post("/things", json={"a": 1}, headers=headers)
    assert after.status_code == 201 and after.get_json() == {"id": "thing-1"}
    assert len(calls) == 1
    # the same body in another key order is the same request; another body is refused
    same = app.test_client().post("/things", data='{ "a" : 1 }', headers=headers,
                                  content_type="application/json")
    assert same.status_code == 201 and same.headers["Idempotent-Replayed"] == "true"
    other = app.test_client().post("/things", json={"a": 2}, headers=headers)
    assert other.status_code == 422 and "Idempotency-Key" in other.get_json()["errors"]
    assert len(calls) == 1
    # without the header nothing changes
    release.set()
    assert app.test_client().post("/things", json={"a": 1}).status_code == 201
    assert len(calls) == 2
