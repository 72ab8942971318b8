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
            if declared == is_public(service, concrete):
                mismatches.append(f"{method.upper()} {path}: declares a token: {declared}")
    assert not mismatches, "\n".join(mismatches)


def test_sign_in_and_registration_need_no_token(gateway):
    paths = _document(gateway, "identity")["paths"]
    assert not paths["/tokens"]["post"].get("security")
    assert not paths["/registrations"]["post"].get("security")
    assert paths["/me"]["get"]["security"] == [{"bearer": []}]
