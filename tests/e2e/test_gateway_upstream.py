"""The gateway tells clients what happened when a service does not answer (the stack's
HttpBackend): 503 when the request never reached it, 504 or 502 when it may have; each a
problem+json with Retry-After — never a 500 "系统繁忙"."""
from __future__ import annotations

import socket
import threading
import time

import pytest

from gateway.app import create_gateway
from gateway.backends import HttpBackend


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nobody listens once it is closed


class _Server:
    """Accepts connections and, per request, sleeps (a hung service) or hangs up after
    reading it (a service that died while working on it)."""

    def __init__(self, behaviour: str):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.behaviour = behaviour
        self.stopped = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while not self.stopped:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.recv(65536)
            if self.behaviour == "hang":
                time.sleep(2)
            conn.close()

    def close(self):
        self.stopped = True
        self.sock.close()


def _gateway(base_url: str, embedded):
    backend = HttpBackend("files", base_url, timeout=(1, 0.5))
    return create_gateway({"files": backend}, embedded.verifier).test_client()


def _token(embedded_gateway):
    return embedded_gateway.login("zhangsan").token


@pytest.mark.parametrize("behaviour, status", [("dead", 503), ("hang", 504), ("hangup", 502)])
def test_a_service_that_does_not_answer_is_a_5xx_the_client_can_act_on(embedded, gateway,
                                                                       behaviour, status):
    server = None if behaviour == "dead" else _Server(behaviour)
    port = _closed_port() if server is None else server.port
    client = _gateway(f"http://127.0.0.1:{port}", embedded)
    try:
        reply = client.post("/api/files/attachments/x/links",
                            headers={"Authorization": f"Bearer {_token(gateway)}"})
    finally:
        if server:
            server.close()
    assert reply.status_code == status, reply.get_data(as_text=True)
    assert reply.mimetype == "application/problem+json"
    assert int(reply.headers["Retry-After"]) > 0
    body = reply.get_json()
    assert body["status"] == status and "系统繁忙" not in body["detail"]
    if status == 503:
        assert "未被办理" in body["detail"]  # not done: safe to retry
    else:
        assert "可能已被办理" in body["detail"] and "Idempotency-Key" in body["detail"]
    health = client.get("/healthz")
    assert health.status_code == 503 and health.get_json()["services"]["files"] == "down"
