"""No windows between services where a user acts at once (issue 11 §3), in both modes: each
second call is issued immediately after the first, with no waiting for the bus. (The
declaration sent right after its uploads and the permission shown 已开通 right after the
approval are in tests/flows_unit_by_phone.py.)"""
from __future__ import annotations

import random
import re
from typing import Callable

from demo.data import UNIT_INSTITUTE

from .flows import upload_materials
from .flows_talent_intro import id_number
from .support import APPLICATION, Gateway, User

ID = "/api/identity"


def attachments_locked_and_open_when_the_submit_answers(gateway: Gateway) -> None:
    """The applicant cannot delete a file the just-submitted application references, and the
    unit's reviewer lists and opens it, right after the submit's answer."""
    applicant = gateway.login("zhangsan")
    materials = upload_materials(applicant)
    instance = applicant.submit({**APPLICATION, "attachments": materials})
    deleted = gateway.send("DELETE", f"/api/files/attachments/{materials[0]['file_id']}",
                           headers={"Authorization": f"Bearer {applicant.token}"})
    assert deleted.status == 409, deleted
    assert deleted.body["errors"] == {
        "attachment_id": "该附件是已提交的业务申请的材料，审核期间需保持不变"}, deleted.body
    reviewer = gateway.login("zhizao")
    listed = reviewer.get(f"/api/files/instances/{instance['id']}/attachments")
    assert listed.status == 200, listed
    assert sorted(a["id"] for a in listed.body) == sorted(m["file_id"] for m in materials)
    opened = reviewer.get(f"/api/files/attachments/{materials[1]['file_id']}/content")
    assert opened.status == 200 and opened.content.startswith(b"%PDF"), opened.status


def register_person(gateway: Gateway, captcha_answer: Callable[[str], str]) -> tuple[User, str]:
    """自然人注册 over the API (captcha, SMS code, password): its user and username."""
    phone = "134" + f"{random.randint(0, 99_999_999):08d}"
    username = "w" + f"{random.randint(0, 10**9):09d}"
    captcha_id = gateway.send("POST", f"{ID}/captchas").body["captcha_id"]
    sent = gateway.send("POST", f"{ID}/sms-codes", json={
        "phone": phone, "purpose": "register", "captcha_id": captcha_id,
        "captcha_code": captcha_answer(captcha_id)})
    assert sent.status == 201, sent
    text = gateway.sms_texts(phone)[0]
    registered = gateway.send("POST", f"{ID}/registrations", json={
        "username": username, "phone": phone, "sms_code": re.search(r"\d{6}", text).group(0),
        "password": "Shu1yuan2026", "password_confirm": "Shu1yuan2026", "agree": True})
    assert registered.status == 201, registered
    return User(gateway, registered.body["tokens"]["access_token"]), username


def verified_name_shown_though_the_token_predates_it(
        gateway: Gateway, captcha_answer: Callable[[str], str]) -> None:
    """A person asks to join a unit under their username, then verifies their real name: the
    unit sees the real name at once on that request; asking again with the token issued
    before the verification (which still names the username) shows the real name too."""
    person, username = register_person(gateway, captcha_answer)
    unit = gateway.login("zhizao")
    code = {"association_code": "ZNZZ2828", "unit_confirmed": True}
    first = person.start("affiliation", code)
    assert first.status == 201 and first.body["applicant_name"] == username, first

    real_name = random.choice("赵钱孙李周吴郑王") + random.choice(["明远", "思齐", "若愚"])
    verified = person.post(f"{ID}/me/real-name", {"name": real_name, "id_number": id_number(), "consent": True})
    assert verified.status in (200, 201) and verified.body["verified"] is True, verified
    assert unit.instance(first.body["id"])["applicant_name"] == real_name
    assert pending_names(unit) >= {real_name} and username not in pending_names(unit)
    declined = unit.complete(first.body["id"], {"decision": "reject", "comment": "测试申请"})
    assert declined.status == 200, declined

    again = person.start("affiliation", code)
    assert again.status == 201 and again.body["applicant_name"] == real_name, again
    assert unit.instance(again.body["id"])["applicant_name"] == real_name
    assert real_name in pending_names(unit)
    # Leave the unit's lists as they were (other scenarios count its businesses).
    declined = unit.complete(again.body["id"], {"decision": "reject", "comment": "测试申请"})
    assert declined.status == 200, declined


def pending_names(unit: User) -> set[str]:
    reply = unit.get(f"/api/orgs/units/{UNIT_INSTITUTE}/affiliations?status=pending&per_page=100")
    assert reply.status == 200, reply
    return {a["person_name"] for a in reply.body["items"]}
