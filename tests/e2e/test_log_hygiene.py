"""No SMS code, ID number, phone, name or signed-link credential in any log line: a full
business run over real HTTP (werkzeug's request log included, as `make run` serves it) with
every logger at DEBUG, then the log is searched for each value the run used."""
import io
import logging
import re
import threading
from urllib.parse import quote

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from demo.data import PERSON_DETAILS, PERSON_ZHANG
from services.common.logging import RedactingFormatter
from services.common.pii import blind_index
from services.identity.model import Captcha, SmsMessage
from tests import flows, flows_talent_intro
from tests.support import PDF, Gateway, User


@pytest.fixture
def logs():
    """Everything the kit's handler writes, at DEBUG, while the test runs."""
    root = logging.getLogger()
    handler = next(h for h in root.handlers if isinstance(h.formatter, RedactingFormatter))
    out = io.StringIO()
    previous, level = handler.setStream(out), root.level
    root.setLevel(logging.DEBUG)
    try:
        yield out
    finally:
        root.setLevel(level)
        handler.setStream(previous)


@pytest.fixture
def http(embedded):
    server = make_server("127.0.0.1", 0, embedded.gateway, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    gateway = Gateway.over_http(f"http://127.0.0.1:{server.port}")
    gateway.sync = embedded.settle  # bus events still travel in this process
    # The same system: staff sign in with its sessions (a TOTP step is good only once).
    gateway.staff = Gateway.in_process(embedded).staff
    yield gateway
    server.shutdown()
    thread.join(timeout=5)


def sms_login(embedded, gateway: Gateway, phone: str) -> tuple[User, str]:
    db = embedded.kit("identity").db
    captcha_id = gateway.send("POST", "/api/identity/captchas").body["captcha_id"]
    with db.reading() as session:
        answer = session.get(Captcha, captcha_id).answer
    sent = gateway.send("POST", "/api/identity/sms-codes", json={
        "phone": phone, "purpose": "login", "captcha_id": captcha_id, "captcha_code": answer})
    assert sent.status == 201, sent
    with db.reading() as session:
        text = session.scalars(select(SmsMessage.text)
                               .where(SmsMessage.phone_index == blind_index(phone))
                               .order_by(SmsMessage.created_at.desc())).first()
    code = re.search(r"\d{6}", text).group(0)
    reply = gateway.send("POST", "/api/identity/tokens/sms",
                         json={"phone": phone, "sms_code": code})
    assert reply.status == 201, reply
    return User(gateway, reply.body["access_token"]), code


def test_a_business_run_at_debug_leaves_nothing_personal_in_the_logs(embedded, http, logs):
    phone, id_number = PERSON_DETAILS[PERSON_ZHANG]
    zhangsan, code = sms_login(embedded, http, phone)
    # The person signs in by phone and by ID number too (both travel in request bodies).
    for login_name in (phone, id_number):
        assert http.send("POST", "/api/identity/tokens", json={
            "username": login_name, "password": "Rencai@2026"}).status == 201

    # 申请计划项目, all four levels and the experts (tests/flows.py).
    final = flows.approve_all(http)
    assert final["outcome"] == "approved"

    # A signed link to the degree certificate, opened without signing in.
    degree = zhangsan.upload("degree", "张三-学位证书.pdf", PDF)
    link = zhangsan.post(f"/api/files/attachments/{degree}/links", {}).body["url"]
    token = link.rsplit("/", 1)[1]
    assert http.send("GET", link).status == 200

    # The unit searches its employees by ID number (in the query string) and opens one.
    unit = http.login("zhizao")
    me_unit = unit.get("/api/identity/me").body["org_id"]
    assert unit.get(f"/api/orgs/units/{me_unit}/affiliations?status=approved"
                    f"&id_number={id_number}").status == 200
    found = unit.get(f"/api/orgs/units/{me_unit}/affiliations?status=approved"
                     f"&name={quote('张三')}").body
    assert found["total"] == 1
    unit.get(f"/api/orgs/units/{me_unit}/employees/{found['items'][0]['affiliation_id']}")

    # 需求申报: a unit types someone's name and ID number; the reviewer sees it in full.
    flows_talent_intro.full_id_number_for_the_reviewer_only(http)

    text = logs.getvalue()
    assert "GET /api/files/signed/***" in text, "the run was not logged at all"
    assert "id_number=***" in text
    for secret in (phone, id_number, "张三", code, token, zhangsan.token):
        assert secret not in text, f"{secret!r} in the log:\n" + "\n".join(
            line for line in text.splitlines() if secret in line)
    for other_phone, other_id in PERSON_DETAILS.values():
        assert other_phone not in text and other_id not in text
