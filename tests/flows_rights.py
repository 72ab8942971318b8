"""Sessions and the person's rights, as flows both tiers run (embedded and the real stack):
an access token ends at logout; security headers on every answer."""
from __future__ import annotations

from typing import Callable

from demo.data import DEMO_PASSWORD, UNIT_INSTITUTE
from tests.support import Gateway

# direct(service, method, path, token) -> HTTP status, calling a service itself (not the
# gateway): in-process app, or its gunicorn port in the stack.
Direct = Callable[[str, str, str, str], int]


def _sign_in(gateway: Gateway, username: str) -> dict:
    reply = gateway.send("POST", "/api/identity/tokens",
                         json={"username": username, "password": DEMO_PASSWORD})
    assert reply.status == 201, reply
    return reply.body


def _get(gateway: Gateway, path: str, token: str):
    return gateway.send("GET", path, headers={"Authorization": f"Bearer {token}"})


# One authenticated GET per service, through the gateway and directly at the service.
EACH_SERVICE = {"identity": "/me", "orgs": "/me/affiliation", "files": "/attachments",
                "workflow": "/catalogue"}
REVOKED = "登录已退出或凭证已作废，请重新登录"


def logout_ends_the_access_token(gateway: Gateway, direct: Direct) -> None:
    pair = _sign_in(gateway, "lisi")
    other = _sign_in(gateway, "lisi")  # another device, not logged out
    token = pair["access_token"]
    for service, path in EACH_SERVICE.items():
        assert _get(gateway, f"/api/{service}{path}", token).status == 200, service
        assert direct(service, "GET", path, token) == 200, service
    reply = gateway.send("POST", "/api/identity/tokens/revoke",
                         json={"refresh_token": pair["refresh_token"]},
                         headers={"Authorization": f"Bearer {token}"})
    assert reply.status == 204, reply
    # Refused the moment logout answered, by every service from its own copy of the denylist
    # (identity.tokens.revoked is applied before identity answers): through the gateway and
    # asked directly, no waiting for a bus or a refresh.
    for service, path in EACH_SERVICE.items():
        refused = _get(gateway, f"/api/{service}{path}", token)
        assert refused.status == 401, (service, refused)
        assert refused.body["detail"] == REVOKED
        assert direct(service, "GET", path, token) == 401, service
    # The other device's session is untouched.
    for service, path in EACH_SERVICE.items():
        assert _get(gateway, f"/api/{service}{path}", other["access_token"]).status == 200


def reused_refresh_token_ends_the_family_access_tokens(gateway: Gateway, direct: Direct) -> None:
    first = _sign_in(gateway, "lisi")
    second = gateway.send("POST", "/api/identity/tokens/refresh",
                          json={"refresh_token": first["refresh_token"]}).body
    assert _get(gateway, "/api/identity/me", second["access_token"]).status == 200
    # Someone replays the spent refresh token: the whole family ends, access tokens too.
    replay = gateway.send("POST", "/api/identity/tokens/refresh",
                          json={"refresh_token": first["refresh_token"]})
    assert replay.status == 401
    for token in (first["access_token"], second["access_token"]):
        for service, path in EACH_SERVICE.items():
            assert _get(gateway, f"/api/{service}{path}", token).status == 401, service
            assert direct(service, "GET", path, token) == 401, service


SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
                    "Referrer-Policy": "same-origin", "Cache-Control": "no-store"}


def _lower(headers: dict) -> dict:
    return {k.lower(): v for k, v in headers.items()}


def security_headers_on_every_answer(gateway: Gateway) -> None:
    token = _sign_in(gateway, "zhangsan")["access_token"]
    answers = [
        gateway.send("GET", "/healthz"),
        gateway.send("GET", "/api/identity/.well-known/jwks.json"),
        _get(gateway, "/api/identity/me", token),            # personal data
        _get(gateway, "/api/workflow/catalogue", token),
        gateway.send("GET", "/api/orgs/me/affiliation"),      # 401 problem
        gateway.send("GET", "/api/payroll/x"),                # the gateway's own 404
    ]
    for reply in answers:
        headers = _lower(reply.headers)
        for name, value in SECURITY_HEADERS.items():
            assert headers.get(name.lower()) == value, (reply.status, name, headers)
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert "server" not in headers, headers  # no werkzeug / gunicorn banner
        # Plain http: no HSTS (browsers would ignore it, and a dev setup must not pin it).
        assert "strict-transport-security" not in headers
    behind_tls = gateway.send("GET", "/api/identity/me",
                              headers={"Authorization": f"Bearer {token}",
                                       "X-Forwarded-Proto": "https"})
    assert _lower(behind_tls.headers)["strict-transport-security"].startswith("max-age=")


# --- the person's rights: export and closure -------------------------------------------------

def _unzip(content: bytes) -> dict:
    import io
    import json
    import zipfile

    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: (json.loads(archive.read(name)) if name.endswith(".json")
                       else archive.read(name).decode()) for name in archive.namelist()}


def export_then_close(gateway: Gateway, make_person) -> None:
    """`make_person(id_number) -> username`: a verified person with a phone."""
    from tests.flows_title_appeal import new_id_number

    id_number = new_id_number()
    username = make_person(id_number)
    person = gateway.login(username)
    me = person.get("/api/identity/me").body
    file_id = person.upload("degree", "学位证书.pdf")
    applied = person.start("affiliation", {"association_code": "ZNZZ2828", "unit_confirmed": True})
    assert applied.status == 201, applied
    instance_id = applied.body["id"]
    unit = gateway.login("zhizao")
    assert gateway.eventually(lambda: any(
        a["affiliation_id"] == instance_id for a in unit.get(
            f"/api/orgs/units/{UNIT_INSTITUTE}/affiliations?status=pending&per_page=100").body["items"]))

    # GET /api/me/export: one ZIP, a part per service, each answering for its own data.
    assert gateway.send("GET", "/api/me/export").status == 401
    reply = person.get("/api/me/export")
    assert reply.status == 200, reply
    assert reply.headers["Content-Type"] == "application/zip"
    assert reply.headers["Content-Disposition"].startswith("attachment;")
    assert reply.headers["Cache-Control"] == "no-store"
    parts = _unzip(reply.content)
    assert {"README.txt", "manifest.json", "identity.json", "orgs.json", "files.json",
            "workflow.json"} <= set(parts)
    assert parts["manifest.json"]["account_id"] == me["id"]
    identity = parts["identity.json"]
    assert identity["account"]["username"] == username
    assert identity["account"]["id_number"] == id_number  # whole: it is the owner's
    assert "password_hash" not in identity["account"] and "phone_index" not in identity["account"]
    assert any(e["action"] == "login.succeeded" for e in identity["audit"])
    assert any(e["action"] == "personal_data.exported" for e in identity["audit"])
    assert [a["id"] for a in parts["files.json"]["attachments"]] == [file_id]
    assert [a["id"] for a in parts["workflow.json"]["applications"]] == [instance_id]
    assert parts["workflow.json"]["application_timeline"]
    assert [a["id"] for a in parts["orgs.json"]["affiliations"]] == [instance_id]

    # POST /me/closure: confirmed with the password.
    refused = person.post("/api/identity/me/closure", {"password": "wrong-one"})
    assert refused.status == 422 and set(refused.body["errors"]) == {"confirm"}, refused
    wrong = person.post("/api/identity/me/closure", {"password": "wrong-one", "confirm": True})
    assert wrong.status == 422 and wrong.body["errors"] == {"password": "密码错误"}
    unit_may_not = unit.post("/api/identity/me/closure",
                             {"password": DEMO_PASSWORD, "confirm": True})
    assert unit_may_not.status == 403
    closed = person.post("/api/identity/me/closure", {"password": DEMO_PASSWORD, "confirm": True})
    assert closed.status == 200 and closed.body["closed"] is True, closed
    # Signed out at once, and no way back in.
    assert person.get("/api/identity/me").status == 401
    for login in (username, me["phone"], id_number):
        again = gateway.send("POST", "/api/identity/tokens",
                             json={"username": login, "password": DEMO_PASSWORD})
        assert again.status == 401, (login, again)
    # The application stays as a record with the name masked; the open unit link ends;
    # the file no application holds is gone.
    name = me["real_name"]
    masked = name[0] + "*" * (len(name) - 1)
    assert gateway.eventually(lambda: unit.get(
        f"/api/workflow/instances/{instance_id}").body.get("applicant_name") == masked)
    assert gateway.eventually(lambda: not any(
        a["affiliation_id"] == instance_id for a in unit.get(
            f"/api/orgs/units/{UNIT_INSTITUTE}/affiliations?status=pending&per_page=100").body["items"]))
