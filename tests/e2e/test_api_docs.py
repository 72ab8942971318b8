"""The API documents tell the truth: the error schema is what every error is, and only the
operations the gateway lets through without a token declare none."""
from __future__ import annotations

import re

import pytest

from gateway.app import is_public
from services.common.config import SERVICES

METHODS = ("get", "post", "put", "patch", "delete")


def _document(gateway, service: str) -> dict:
    reply = gateway.send("GET", f"/api/{service}/openapi.json")
    assert reply.status == 200, reply
    return reply.body


@pytest.mark.parametrize("service", SERVICES)
def test_errors_are_documented_as_problem_json(gateway, service):
    document = _document(gateway, service)
    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["properties"]) == {"type", "title", "status", "detail", "errors"}
    assert "Error" not in document["components"]["schemas"]
    default = document["components"]["responses"]["DEFAULT_ERROR"]
    assert list(default["content"]) == ["application/problem+json"]
    # and an error really is that shape
    reply = gateway.send("GET", f"/api/{service}/no-such-thing")
    assert reply.headers["Content-Type"].startswith("application/problem+json")
    assert set(reply.body) <= {"type", "title", "status", "detail", "errors"}


@pytest.mark.parametrize("service", SERVICES)
def test_only_operations_behind_a_token_declare_one(gateway, service):
    document = _document(gateway, service)
    assert "security" not in document  # no blanket declaration
    mismatches = []
    for path, item in document["paths"].items():
        concrete = re.sub(r"\{[^}]+\}", "x", path).lstrip("/")
        for method in METHODS:
            if method not in item:
                continue
            declared = bool(item[method].get("security"))
            if declared == is_public(service, concrete, development=True):
                mismatches.append(f"{method.upper()} {path}: declares a token: {declared}")
    assert not mismatches, "\n".join(mismatches)


def test_sign_in_and_registration_need_no_token(gateway):
    paths = _document(gateway, "identity")["paths"]
    assert not paths["/tokens"]["post"].get("security")
    assert not paths["/registrations"]["post"].get("security")
    assert paths["/me"]["get"]["security"] == [{"bearer": []}]


def test_public_keys_and_dev_sms_have_a_200_schema(gateway):
    paths = _document(gateway, "identity")["paths"]
    for path in ("/.well-known/jwks.json", "/dev/sms"):
        assert "schema" in paths[path]["get"]["responses"]["200"]["content"]["application/json"]


def test_instance_lists_have_the_fields_their_schema_promises(gateway):
    document = _document(gateway, "workflow")
    summary = document["components"]["schemas"]["InstanceSummary"]
    assert {"applicant_name", "updated_at"} <= set(summary["required"])
    zhangsan = gateway.login("zhangsan")
    zhangsan.submit()
    items = zhangsan.get("/api/workflow/instances").body["items"]
    assert items and all(set(summary["required"]) <= set(item) for item in items)


def test_the_documents_are_browsable_without_a_cdn_or_inline_script(gateway):
    page = gateway.send("GET", "/api/docs", headers={"Accept": "text/html"})
    assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, re.S)
    assert scripts and all('src="/api/docs/assets/' in attrs and not body.strip()
                           for attrs, body in scripts)
    assert not re.search(r"\son\w+=", page.text) and "<style" not in page.text
    assert "http://" not in page.text and "https://" not in page.text  # nothing from outside
    for asset in re.findall(r'(?:src|href)="(/api/docs/assets/[^"]+)"', page.text):
        reply = gateway.send("GET", asset)
        assert reply.status == 200 and reply.content, asset
    assert "SwaggerUIBundle" in gateway.send("GET", "/api/docs/assets/init.js").text
    assert gateway.send("GET", "/api/docs/assets/../app.py").status == 404
    # a client that wants JSON still gets the index of the documents
    index = gateway.send("GET", "/api/docs", headers={"Accept": "application/json"})
    assert index.body["services"]["workflow"] == "/api/workflow/openapi.json"


def test_numbers_too_big_for_the_database_are_a_4xx(gateway):
    admin = gateway.login("admin")
    huge = "99999999999999999999"
    for path in (f"/api/workflow/notices?page={huge}", f"/api/workflow/instances?page={huge}",
                 f"/api/orgs/orgs?page={huge}", f"/api/identity/audit?page={huge}",
                 f"/api/files/attachments?page={huge}"):
        reply = admin.get(path)
        assert reply.status == 422 and "page" in reply.body["errors"], (path, reply)
    for path in (f"/api/workflow/admin/definitions/plan_project/versions/{huge}",
                 f"/api/workflow/admin/definitions/plan_project/versions/{huge}/diff"):
        assert admin.get(path).status == 404, path
    reply = admin.post("/api/workflow/admin/definitions/plan_project/migrations",
                       {"version": int(huge), "dry_run": True})
    assert reply.status == 422 and "version" in reply.body["errors"], reply
    # and a path parameter in any script reaches the service (a 404, not a 500)
    assert admin.get("/api/workflow/instances/%E4%B8%AD").status == 404


def test_identity_lends_its_denylist_to_nobody_over_http(gateway, embedded):
    """Every service keeps its own copy (identity.tokens.revoked): identity has no endpoint
    listing revoked tokens, and a client, even signed in, gets 404 there."""
    zhangsan = gateway.login("zhangsan")
    for path in ("tokens/revocations", "tokens/revocations/abc"):
        assert zhangsan.get(f"/api/identity/{path}").status == 404, path
    rules = {rule.rule for rule in embedded.apps["identity"].url_map.iter_rules()}
    assert not any("revocations" in rule for rule in rules), rules
