"""The web client's API client works over both kinds of gateway backend: in process
(embedded) and over HTTP (the stack), JSON and multipart alike, with problem+json turned into
ApiError carrying the field errors."""
from __future__ import annotations

import io
import threading

import pytest
from werkzeug.serving import make_server

from gateway.backends import HttpBackend, InProcessBackend
from gateway.web.client import ApiClient, ApiError, NotSignedIn
from tests.support import DEMO_PASSWORD, PDF


@pytest.fixture(scope="module")
def over_http(embedded):
    servers, backends = [], {}
    for name in ("identity", "files", "workflow"):
        server = make_server("127.0.0.1", 0, embedded.apps[name], threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        backends[name] = HttpBackend(name, f"http://127.0.0.1:{server.port}")
    yield backends
    for server in servers:
        server.shutdown()


@pytest.mark.parametrize("mode", ["in_process", "http"])
def test_the_client_signs_in_reads_uploads_and_reports_field_errors(embedded, over_http, mode):
    backends = over_http if mode == "http" else {
        name: InProcessBackend(name, app) for name, app in embedded.apps.items()}
    anonymous = ApiClient(backends)
    with pytest.raises(NotSignedIn) as refused:
        anonymous.get("identity", "me")
    assert refused.value.status == 401 and refused.value.detail
    pair = anonymous.post("identity", "tokens", {"username": "zhangsan", "password": DEMO_PASSWORD})
    client = ApiClient(backends, lambda: pair["access_token"])
    assert client.get("identity", "me")["username"] == "zhangsan"
    catalogue = client.get("workflow", "catalogue")
    assert any(e["process_key"] == "plan_project" for e in catalogue)
    page = client.get("workflow", "instances", page=1, per_page=5, status=None)
    assert page["per_page"] == 5
    stored = client.upload("files", "attachments", {"category": "degree"}, "file",
                           "学位证书.pdf", io.BytesIO(PDF), "application/pdf")
    assert stored["display_name"]
    with pytest.raises(ApiError) as bad:
        client.post("workflow", "instances", {"process_key": "plan_project",
                                              "data": {"project_type": "高层次人才"}})
    assert bad.value.status == 422 and "project_name" in bad.value.errors
