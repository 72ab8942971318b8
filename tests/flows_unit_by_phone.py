"""The 朝阳 guide's first step (seed 003; issue 11 §1) end to end, in both modes: a unit
registers by phone → 单位认证 from its business licence → 业务权限开通 → 需求申报.

Every step is issued immediately after the one before, with no waiting for the bus
(`gateway.eventually` is not used): what a user does next must already be true when the
answer to the previous step is sent (issue 11 §3). The embedded tests run without bus threads,
so only the synchronous internal calls (services/common/internal.py) can have made it true.
"""
from __future__ import annotations

import random
import re
from typing import Callable

from stdnum.cn import uscc

from services.orgs.model import CREDIT_CODE_ALPHABET

from .flows_talent_intro import FIRST, PERMISSION, declaration
from .support import Gateway, User

ID = "/api/identity"
ORGS = "/api/orgs"


def credit_code() -> str:
    """A fresh valid 统一社会信用代码 (GB 32100) of a company registered in 朝阳区."""
    body = "91110105" + "".join(random.choice(CREDIT_CODE_ALPHABET[:10]) for _ in range(9))
    return body + uscc.calc_check_digit(body)


def new_phone() -> str:
    return "135" + f"{random.randint(0, 99_999_999):08d}"


def register_by_phone(gateway: Gateway, captcha_answer: Callable[[str], str],
                      phone: str) -> dict:
    """手机号 + 图形验证码 + 手机验证码 → the unit account's tokens (a new phone registers)."""
    captcha = gateway.send("POST", f"{ID}/captchas")
    assert captcha.status == 201, captcha
    captcha_id = captcha.body["captcha_id"]
    sent = gateway.send("POST", f"{ID}/sms-codes", json={
        "phone": phone, "purpose": "unit_register", "captcha_id": captcha_id,
        "captcha_code": captcha_answer(captcha_id)})
    assert sent.status == 201, sent
    code = re.search(r"\d{6}", gateway.sms_texts(phone)[0]).group(0)
    reply = gateway.send("POST", f"{ID}/units/phone-sessions",
                         json={"phone": phone, "sms_code": code})
    assert reply.status == 201 and reply.body["registered"] is True, reply
    return reply.body


def licence_png(name: str, code: str) -> bytes:
    from .service.test_orgs_certification import licence

    return licence(name, code)


def unit_registered_by_phone_declares(gateway: Gateway,
                                      captcha_answer: Callable[[str], str]) -> None:
    phone = new_phone()
    session = register_by_phone(gateway, captcha_answer, phone)
    unit = User(gateway, session["tokens"]["access_token"])
    assert session["certified"] is False

    # Its own unit exists at once: /me names it, orgs knows it, files takes its licence.
    me = unit.get(f"{ID}/me").body
    unit_id = me["org_id"]
    assert unit_id, me
    before = unit.get(f"{ORGS}/units/{unit_id}/certification")
    assert before.status == 200 and before.body["status_title"] == "未认证", before
    # The catalogue tells it why it may not apply yet, and the start says the same.
    entry = unit.catalogue()["business_permission"]
    assert entry["can_start"] is False and "单位认证" in entry["reason"], entry
    refused = unit.start("business_permission", PERMISSION)
    assert refused.status == 403 and refused.body["detail"] == entry["reason"], refused

    # 单位认证: upload the clear licence, check what was read, add the email, submit.
    name, code = f"北京朝阳测试科技有限公司{random.randint(100, 999)}", credit_code()
    image = licence_png(name, code)
    file_id = unit.upload("business_licence", "营业执照.png", image)
    read = gateway.send("POST", f"{ORGS}/units/{unit_id}/certification/licence",
                        headers={"Authorization": f"Bearer {unit.token}"},
                        form={"licence": ("营业执照.png", image)})
    assert read.status == 200 and read.body["recognised"], read
    assert (read.body["name"], read.body["credit_code"]) == (name, code), read.body
    certified = unit.post(f"{ORGS}/units/{unit_id}/certification",
                          {"name": name, "credit_code": code, "email": "hr@example.cn",
                           "licence_file_id": file_id})
    assert certified.status == 200 and certified.body["status_title"] == "已通过", certified

    # files names its materials after the certified unit, though the token predates it.
    slots = {s["type"]["key"]: s for s in unit.get("/api/files/slots?person_name=赵六").body}
    assert slots["integrity_statement"]["default_name"] == f"{name}-赵六-诚信声明", slots

    # 业务权限开通, at once: the catalogue and the start agree that it may.
    assert unit.catalogue()["business_permission"]["can_start"] is True
    qualification = unit.upload("unit_qualification", "企业资质证明.pdf")
    started = unit.start("business_permission", {**PERMISSION, "attachments": [
        {"kind": "qualification", "file_id": qualification, "name": "企业资质证明.pdf"}]})
    assert started.status == 201, started
    pending = unit.get(f"{ORGS}/units/{unit_id}/permissions/talent_intro").body
    assert pending["state_title"] != "未开通", pending
    staff = gateway.login(FIRST)
    approved = staff.complete(started.body["id"], {"decision": "approve"})
    assert approved.status == 200, approved
    # The permission shows 已开通 right after the approval, and declaring is open.
    permission = unit.get(f"{ORGS}/units/{unit_id}/permissions/talent_intro").body
    assert permission["usable"] is True and permission["unit_name"] == name, permission
    assert unit.catalogue()["talent_demand"]["can_start"] is True

    # 需求申报 sent right after its files were uploaded is accepted.
    data = declaration()
    for attachment in data["attachments"]:
        attachment["name"] = attachment["name"].replace("北京智能制造研究院", name)
        attachment["file_id"] = unit.upload(attachment["kind"], attachment["name"])
    declared = unit.start("talent_demand", data)
    assert declared.status == 201, declared
    assert declared.body["stage"] == "待审核", declared.body
    # The district's reviewer sees the unit's certified name at once.
    listed = staff.get(f"/api/workflow/instances/{declared.body['id']}").body
    assert listed["applicant_name"] == name, listed
    # The account now carries the certified name (identity applied orgs.unit.certified
    # before the certification answered), and a refreshed token says so.
    assert unit.get(f"{ID}/me").body["display_name"] == name
    refreshed = gateway.send("POST", f"{ID}/tokens/refresh",
                             json={"refresh_token": session["tokens"]["refresh_token"]})
    assert refreshed.status == 201, refreshed
    again = User(gateway, refreshed.body["access_token"]).get(f"{ID}/me").body
    assert again["org_id"] == unit_id and again["display_name"] == name
