"""The stack's gateway backend (gateway/backends.py HttpBackend) over a real socket: what the
service receives (path and query encoded as before, hop-by-hop headers dropped, the request
id added, a body streamed with its length), what the client gets back (small answers whole,
large ones streamed, redirects passed on rather than followed), and that every pooled
connection is put back."""
from __future__ import annotations

import io
import threading
import time

import pytest
from flask import Flask, request
from werkzeug.serving import make_server

from gateway.app import create_gateway
from gateway.backends import BUFFER_UP_TO, HttpBackend
from gateway.ratelimit import RateLimiter

BIG = BUFFER_UP_TO * 3 + 17


def _service() -> Flask:
    app = Flask("echo")
    seen = app.config.setdefault("SEEN", [])

    @app.route("/<path:path>", methods=["GET", "POST", "PUT"])
    def echo(path):
        body = request.get_data()
        seen.append({"path": request.path, "raw": request.environ.get("RAW_URI")
                     or request.environ.get("REQUEST_URI"), "query": request.query_string,
                     "headers": dict(request.headers), "body": body})
        path = path.rsplit("/", 1)[-1]
        if path == "big":
            return b"x" * BIG, 200, {"Content-Type": "application/octet-stream"}
        if path == "unsized":
            return app.response_class((b"y" * 1000 for _ in range(5)), mimetype="text/plain")
        if path == "moved":
            return "", 302, {"Location": "/elsewhere", "Set-Cookie": "a=1"}
        return {"ok": True, "n": len(body)}, 201, {"X-Service": "echo"}

    return app


@pytest.fixture
def proxied():
    service = _service()
    server = make_server("127.0.0.1", 0, service, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    backend = HttpBackend("files", f"http://127.0.0.1:{server.port}")
    gateway = create_gateway({"files": backend}, verifier=None,
                             limiter=RateLimiter(1000, 1000), development=False)
    # "signed/" is public in files: no token needed to reach the backend.
    yield gateway.test_client(), service.config["SEEN"], backend
    server.shutdown()


def test_a_small_answer_comes_back_whole_with_the_services_headers(proxied):
    client, seen, _ = proxied
    reply = client.post("/api/files/signed/中文 a?x=1&y=%E4%B8%AD", data=b"hello",
                        headers={"X-Request-Id": "req-0001", "Connection": "keep-alive",
                                 "Te": "trailers", "Content-Type": "text/plain"})
    assert reply.status_code == 201 and reply.get_json() == {"ok": True, "n": 5}
    assert reply.headers["X-Service"] == "echo" and reply.headers["X-Request-Id"] == "req-0001"
    assert reply.headers["Content-Length"] == str(len(reply.get_data()))
    got = seen[-1]
    assert got["path"] == "/signed/中文 a"
    assert got["raw"].startswith("/signed/%E4%B8%AD%E6%96%87%20a?")
    assert got["query"] == b"x=1&y=%E4%B8%AD"
    assert got["body"] == b"hello" and got["headers"]["Content-Length"] == "5"
    assert got["headers"]["X-Request-Id"] == "req-0001"
    assert "Te" not in got["headers"] and got["headers"].get("Connection") != "keep-alive"


def test_a_large_body_is_streamed_both_ways(proxied):
    client, seen, _ = proxied
    upload = b"z" * (3 * 1024 * 1024 + 5)
    reply = client.put("/api/files/signed/big", data=upload)
    assert seen[-1]["body"] == upload
    assert seen[-1]["headers"]["Content-Length"] == str(len(upload))
    assert reply.is_streamed and reply.get_data() == b"x" * BIG
    unsized = client.get("/api/files/signed/unsized")
    assert unsized.get_data() == b"y" * 5000


def test_redirects_are_passed_on_not_followed(proxied):
    client, seen, _ = proxied
    reply = client.get("/api/files/signed/moved")
    assert reply.status_code == 302 and reply.headers["Location"].endswith("/elsewhere")
    assert reply.headers["Set-Cookie"] == "a=1"
    assert [s["path"] for s in seen] == ["/signed/moved"]


def test_every_connection_goes_back_to_the_pool(proxied):
    """(The development server closes each connection; gunicorn keeps them alive.) A
    connection taken for a request is put back once its answer was read, streamed or not."""
    client, _, backend = proxied
    idle = backend.pool.pool.qsize()
    assert client.get("/api/files/signed/a").status_code == 201
    assert backend.pool.pool.qsize() == idle
    streamed = client.get("/api/files/signed/big")
    assert backend.pool.pool.qsize() == idle - 1  # still reading
    assert len(streamed.get_data()) == BIG
    assert backend.pool.pool.qsize() == idle


def test_a_body_cut_short_fails_and_closes_the_services_connection(proxied):
    # gunicorn's wsgi.input just ends when the client goes away: the service must not be left
    # waiting for the rest of the Content-Length (its worker and its upload's temp file).
    client, seen, backend = proxied
    idle = backend.pool.pool.qsize()
    started = time.monotonic()
    reply = client.put("/api/files/signed/cut", input_stream=io.BytesIO(b"a" * 1000),
                       environ_overrides={"CONTENT_LENGTH": str(5 * 1024 * 1024),
                                          "wsgi.input_terminated": True})  # as gunicorn
    assert reply.status_code == 400
    assert time.monotonic() - started < 10  # not the read timeout (60 s)
    assert backend.pool.pool.qsize() == idle  # its connection was closed, not pooled
    assert [s for s in seen if s["path"] == "/signed/cut"] == []
