"""人才引进 (seed 003; issue 7 items 4 and 5), run in both modes: embedded (tests/e2e/
test_talent_intro.py) and, once wired, against the real stack. Each scenario takes a
`Gateway`, uses the demo accounts and tolerates the state earlier runs left (a permission
once approved stays approved; every declaration uses a fresh ID number).

- 业务权限开通 (process "business_permission"): a unit of 朝阳区 applies; 朝阳区委人才办's
  staff (chaoyang) approve or reject with the reason; orgs records the state and workflow's
  eligibility follows it. 星河软件 (xinghe) walks the reject → 重新申请 → approve → 修改资料 path.
- 需求申报 (process "talent_demand"): 智能制造研究院 (zhizao) declares one person per instance;
  chaoyang does 需求信息初审 (待审核), chaoyang2 需求信息复审 (待复审) → 已完成, or 未通过 with the
  reason → 重新申请 → 初审 again; chaoyang exports the passed list.
"""
from __future__ import annotations

import csv
import io
import random
from urllib.parse import quote

from demo.data import UNIT_INSTITUTE, UNIT_SCHOOL, UNIT_SOFTWARE
from services.identity.rules import with_check_digit

from .flows import shows_attachments
from .support import Gateway, Reply, User

ORGS = "/api/orgs"
WF = "/api/workflow"
FIRST, SECOND = "chaoyang", "chaoyang2"  # 朝阳区委人才办: 初审 / 复审
UNIT_NAMES = {"zhizao": "北京智能制造研究院", "xinghe": "北京星河软件有限公司"}
UNIT_IDS = {"zhizao": UNIT_INSTITUTE, "xinghe": UNIT_SOFTWARE, "shiyan": UNIT_SCHOOL}
NO_PERMISSION = "尚未开通人才引进业务权限，请先在“业务权限开通”中申请开通"
PERMISSION = {
    "qualifications": ["高新技术企业"], "registered_district": "朝阳区", "tax_district": "朝阳区",
    "field": "智能制造", "contact_name": "王经办", "contact_phone": "13900001111",
    "tax_records": [{"year": 2020, "amount": 120.5}, {"year": 2021, "amount": 150},
                    {"year": 2022, "amount": 180}],
    "introduction": "从事智能制造装备研发的高新技术企业。", "attachments": [
        {"kind": "qualification", "file_id": "file-qualification", "name": "企业资质证明.pdf"}],
}


def id_number() -> str:
    """A fresh valid GB 11643 number (fictitious: born 1990 in 朝阳区)."""
    body = f"110105199{random.randint(0, 9)}0{random.randint(1, 9)}1{random.randint(0, 9)}" \
           f"{random.randint(100, 999)}"
    return with_check_digit(body)


def declaration(unit: str = "zhizao", name: str = "赵六", number: str | None = None) -> dict:
    """A complete 新增申报; its file ids are placeholders until with_files uploads them."""
    prefix = f"{UNIT_NAMES[unit]}-{name}-"
    return {"name": name, "id_number": number or id_number(), "gender": "男", "age": 33,
            "political_status": "中共党员", "professional_title": "高级工程师",
            "education": "博士研究生", "degree": "博士", "institution": "清华大学",
            "major": "机械工程", "introduction_basis": "专利条款",
            "attachments": [
                {"file_id": "f-si", "kind": "social_insurance", "name": prefix + "社会保险个人权益记录.pdf"},
                {"file_id": "f-is", "kind": "integrity_statement", "name": prefix + "诚信声明.pdf"},
                {"file_id": "f-pc", "kind": "patent_certificate", "name": prefix + "专利证书.pdf"}]}


def permission(user: User, unit: str) -> dict:
    reply = user.get(f"{ORGS}/units/{UNIT_IDS[unit]}/permissions/talent_intro")
    assert reply.status == 200, reply
    return reply.body


def _state_is(gateway: Gateway, unit: User, name: str, *states):
    return gateway.eventually(lambda: permission(unit, name)["state"] in states and
                              permission(unit, name))


def ensure_permission(gateway: Gateway, name: str = "zhizao") -> None:
    """The unit holds the talent-introduction permission (applied for and approved if not)."""
    unit = gateway.login(name)
    if permission(unit, name)["usable"]:
        return
    reply = unit.start("business_permission", PERMISSION)
    assert reply.status == 201, reply
    assert gateway.login(FIRST).complete(reply.body["id"], {"decision": "approve"}).status == 200
    assert _state_is(gateway, unit, name, "approved")
    assert gateway.eventually(lambda: unit.catalogue()["talent_demand"]["can_start"])


# --- 业务权限开通 ---------------------------------------------------------------------------

def only_units_with_permission_declare(gateway: Gateway) -> None:
    """人才引进需求申报仅支持单位填报; a unit without the permission is told why in the catalogue
    and refused at start; one that has not passed 单位认证 cannot apply for the permission."""
    person = gateway.login("zhangsan")
    entries = person.catalogue()
    assert entries["talent_demand"]["reason"] == "此业务仅限用人单位申请，个人不能直接申请"
    assert entries["business_permission"]["can_start"] is False
    refused = person.start("talent_demand", declaration())
    assert refused.status == 403 and refused.body["detail"] == "此业务仅限用人单位申请，个人不能直接申请"
    assert gateway.login(FIRST).start("talent_demand", declaration()).status == 403

    school = gateway.login("shiyan")  # no permission, not certified, no registered district
    entries = school.catalogue()
    assert entries["talent_demand"] == {**entries["talent_demand"], "can_start": False,
                                        "reason": NO_PERMISSION}
    assert entries["business_permission"]["reason"] == \
        "单位尚未通过单位认证，请先在“我的认证”中选择“单位认证”，上传营业执照完成认证"
    refused = school.start("talent_demand", declaration())
    assert refused.status == 403 and refused.body["detail"] == NO_PERMISSION
    assert permission(school, "shiyan")["state_title"] == "未开通"
    assert permission(school, "shiyan")["action"] == "申请开通"
    refused = school.start("business_permission", PERMISSION)
    assert refused.status == 403, refused
    # Another unit's permission is not the school's to see; district staff see their units'.
    assert school.get(f"{ORGS}/units/{UNIT_INSTITUTE}/permissions/talent_intro").status == 404
    assert gateway.login(FIRST).get(
        f"{ORGS}/units/{UNIT_INSTITUTE}/permissions/talent_intro").status == 200
    assert school.get(f"{ORGS}/permissions").status == 403


def permission_rejected_reapplied_approved_and_modified(gateway: Gateway) -> None:
    """星河软件: 申请开通 → 业务权限审核不通过 (reason) → 重新申请 → 已开通 → 修改资料 (re-review,
    the permission stays usable) → approved; a rejected modification withdraws the permission
    until 重新申请 is approved."""
    unit, staff = gateway.login("xinghe"), gateway.login(FIRST)
    if not permission(unit, "xinghe")["usable"]:
        if permission(unit, "xinghe")["state"] in ("pending", "re_review"):
            open_ = permission(unit, "xinghe")["instance_id"]
            assert staff.complete(open_, {"decision": "reject", "comment": "重置"}).status == 200
            assert _state_is(gateway, unit, "xinghe", "rejected")
        assert unit.catalogue()["talent_demand"]["can_start"] is False
        bad = unit.start("business_permission", {**PERMISSION, "tax_records": PERMISSION["tax_records"][:2]})
        assert bad.status == 422 and bad.body["errors"] == {"tax_records": "企业近三年纳税情况至少需要 3 项"}
        first = unit.start("business_permission", PERMISSION)
        assert first.status == 201, first
        instance = first.body
        assert instance["title"] == "业务权限开通：北京星河软件有限公司"
        assert instance["stage"] == "业务权限审核中"
        assert instance["current_stage"][0]["holder"] == "区委人才办：朝阳区委人才工作领导小组办公室"
        assert instance["application"]["contact_phone"] == "139****1111"
        again = unit.start("business_permission", PERMISSION)
        assert again.status == 409 and again.body["detail"] == "业务权限申请正在审核中，请勿重复提交"
        pending = _state_is(gateway, unit, "xinghe", "pending")
        assert pending["state_title"] == "审核中" and pending["action"] is None
        assert gateway.eventually(lambda: unit.catalogue()["talent_demand"]["reason"] ==
                                  "业务权限正在审核中，审核通过后方可进入个人信息填报")
        listed = staff.get(f"{ORGS}/permissions?state=pending&per_page=100").body["items"]
        assert any(p["unit_id"] == UNIT_SOFTWARE for p in listed)

        assert staff.complete(instance["id"], {"decision": "reject"}).body["errors"] == \
            {"comment": "请填写审核意见"}
        reason = "企业资质证明不清晰，请重新上传"
        assert staff.complete(instance["id"], {"decision": "reject", "comment": reason}).status == 200
        assert unit.instance(instance["id"])["stage"] == "业务权限审核不通过"
        rejected = _state_is(gateway, unit, "xinghe", "rejected")
        assert rejected["state_title"] == "业务权限审核不通过" and rejected["reason"] == reason
        assert rejected["action"] == "重新申请" and rejected["usable"] is False
        assert gateway.eventually(lambda: unit.catalogue()["talent_demand"]["reason"] ==
                                  f"业务权限审核不通过：{reason}。请点击“重新申请”修改后再次提交")

        # 重新申请 → approved.
        second = unit.start("business_permission", PERMISSION)
        assert second.status == 201, second
        assert staff.complete(second.body["id"], {"decision": "approve"}).status == 200
        approved = _state_is(gateway, unit, "xinghe", "approved")
        assert approved["usable"] and approved["action"] == "修改资料" and approved["reason"] is None
        assert gateway.eventually(lambda: unit.catalogue()["talent_demand"]["can_start"])

    # 修改资料: reviewed again while the permission stays usable.
    modified = unit.start("business_permission", {**PERMISSION, "field": "工业软件"})
    assert modified.status == 201, modified
    review = _state_is(gateway, unit, "xinghe", "re_review")
    assert review["usable"] and review["state_title"] == "资料修改待审核（权限仍有效）"
    assert unit.catalogue()["talent_demand"]["can_start"] is True
    assert staff.complete(modified.body["id"], {"decision": "approve"}).status == 200
    assert _state_is(gateway, unit, "xinghe", "approved")

    # A modification that fails review: not usable until 重新申请 passes.
    modified = unit.start("business_permission", {**PERMISSION, "field": "无"})
    assert modified.status == 201, modified
    assert _state_is(gateway, unit, "xinghe", "re_review")
    assert staff.complete(modified.body["id"],
                    {"decision": "reject", "comment": "从事领域填写有误"}).status == 200
    assert _state_is(gateway, unit, "xinghe", "rejected")["reason"] == "从事领域填写有误"
    assert gateway.eventually(lambda: not unit.catalogue()["talent_demand"]["can_start"])
    ensure_permission(gateway, "xinghe")


# --- 需求申报 --------------------------------------------------------------------------------

def declarations_of(unit: User, instance_id: str) -> dict | None:
    reply = unit.get(f"{WF}/declarations?per_page=100")
    assert reply.status == 200, reply
    return next((d for d in reply.body["items"] if d["id"] == instance_id), None)


def with_files(unit: User, data: dict) -> dict:
    """The declaration with its attachments really uploaded through files (the catalogue's
    category is the attachment's kind), under the names the declaration gives them."""
    return {**data, "attachments": [{**a, "file_id": unit.upload(a["kind"], a["name"])}
                                    for a in data["attachments"]]}


def once_files_known(gateway: Gateway, send) -> Reply:
    """`send()` right after the uploads, once: workflow has applied files' upload events
    before each upload answered (issue 11 §3), so no file is refused as unknown."""
    return send()


def _declare(gateway: Gateway, unit: User, data: dict) -> dict:
    data = with_files(unit, data)
    reply = once_files_known(gateway, lambda: unit.start("talent_demand", data))
    assert reply.status == 201, reply
    instance = reply.body
    assert instance["title"] == f"人才引进需求申报：{data['name']}"
    assert instance["stage"] == "待审核"
    assert instance["current_stage"][0]["title"] == "需求信息初审"
    assert instance["current_stage"][0]["holder"] == "区委人才办：朝阳区委人才工作领导小组办公室"
    return instance


def declaration_checks(gateway: Gateway) -> None:
    """Required fields, the ID number, the attachments and their names, one open declaration
    per person, and the ID number kept masked."""
    ensure_permission(gateway)
    unit = gateway.login("zhizao")
    data = with_files(unit, declaration(name="钱七"))
    no_statement = once_files_known(gateway, lambda: unit.start("talent_demand", {
        **data, "attachments": [a for a in data["attachments"]
                                if a["kind"] != "integrity_statement"]}))
    assert no_statement.status == 422
    assert no_statement.body["errors"] == {"attachments.integrity_statement": "请上传《诚信声明》"}
    missing = unit.start("talent_demand", {k: v for k, v in data.items() if k != "major"})
    assert missing.status == 422 and missing.body["errors"] == {"major": "请填写所学专业"}
    bad_id = unit.start("talent_demand", {**data, "id_number": "110105199001011234"})
    assert bad_id.status == 422 and bad_id.body["errors"] == \
        {"id_number": "身份证号码校验位不正确，请核对后重新输入"}
    unknown = unit.start("talent_demand", {**data, "attachments": data["attachments"] + [
        {"file_id": "f-never-uploaded", "kind": "other", "name": "北京智能制造研究院-钱七-其他.pdf"}]})
    assert unknown.status == 422 and list(unknown.body["errors"]) == ["attachments.3.file_id"]
    # The name that counts is the one files holds, not the one the client sends.
    other_person = unit.upload("social_insurance", "北京智能制造研究院-李四-社保记录.pdf")
    badly_named = [{**data["attachments"][0], "file_id": other_person,
                    "name": "北京智能制造研究院-钱七-社保记录.pdf"}] + data["attachments"][1:]
    named = once_files_known(gateway, lambda: unit.start("talent_demand",
                                                         {**data, "attachments": badly_named}))
    assert named.status == 422 and named.body["errors"] == {"attachments.0.name": (
        "附件“北京智能制造研究院-李四-社保记录.pdf”应按“北京智能制造研究院-钱七-材料名称”格式命名"
        "（XX单位-姓名-材料名称）")}
    renamed = [{**a, "name": "改过的名字.pdf"} for a in data["attachments"]]
    data = {**data, "attachments": renamed}

    reply = unit.start("talent_demand", data)
    assert reply.status == 201, reply
    instance = reply.body
    assert [a["name"] for a in instance["application"]["attachments"]] == \
        [f"北京智能制造研究院-钱七-{m}.pdf" for m in ("社会保险个人权益记录", "诚信声明", "专利证书")]
    number = data["id_number"]
    masked = number[:3] + "*" * 11 + number[-4:]
    assert instance["application"]["id_number"] == masked
    assert not any(k.endswith("_sealed") or k.endswith("_index") for k in instance["application"])
    assert instance["application"]["attachment_ids"] == [a["file_id"] for a in data["attachments"]]
    # files locks the unit's attachments and opens them to the district's reviewers
    assert shows_attachments(gateway, gateway.login(FIRST), instance["id"], data["attachments"])
    kept = gateway.send("DELETE", f"/api/files/attachments/{data['attachments'][0]['file_id']}",
                        headers={"Authorization": f"Bearer {unit.token}"})
    assert kept.status == 409, kept
    task = gateway.login(FIRST).get(f"{WF}/tasks/{gateway.login(FIRST).task_of(instance['id'])}").body
    assert task["instance"]["application"]["id_number"] == masked
    twice = unit.start("talent_demand", {**data, "id_number": number})
    assert twice.status == 409 and twice.body["errors"] == {"id_number": "已有办理中的申报"}
    row = declarations_of(unit, instance["id"])
    assert row["id_number"] == masked and row["status"] == "待审核" and row["name"] == "钱七"
    # Withdraw (before review starts) to leave no open declaration behind.
    assert unit.post(f"{WF}/instances/{instance['id']}/withdraw", {"reason": "演示"}).status == 200


def declaration_passes_both_reviews(gateway: Gateway) -> dict:
    """待审核 → (初审, chaoyang) 待复审 → (复审 by another person: four eyes) 已完成."""
    ensure_permission(gateway)
    unit, first, second = (gateway.login(u) for u in ("zhizao", FIRST, SECOND))
    data = declaration(name="孙八")
    instance = _declare(gateway, unit, data)
    assert first.complete(instance["id"], {"decision": "approve", "comment": "符合条件"}).status == 200
    reviewing = unit.instance(instance["id"])
    assert reviewing["stage"] == "待复审" and reviewing["current_stage"][0]["title"] == "需求信息复审"
    assert declarations_of(unit, instance["id"])["status"] == "待复审"
    four_eyes = first.complete(instance["id"], {"decision": "approve"})
    assert four_eyes.status == 403 and "四眼原则" in four_eyes.body["detail"]
    assert second.complete(instance["id"], {"decision": "approve"}).status == 200
    final = unit.instance(instance["id"])
    assert final["status"] == "completed" and final["stage"] == "已完成"
    assert [(e["stage"], e["action"]) for e in final["timeline"]] == \
        [("提交申请", "submit"), ("需求信息初审", "approve"), ("需求信息复审", "approve")]
    row = declarations_of(unit, instance["id"])
    assert row["status"] == "已完成" and row["reason"] is None and row["can_reapply"] is False
    passed = unit.get(f"{WF}/declarations?status=已完成&per_page=1").body
    assert passed["per_page"] == 1 and passed["total"] >= 1 and len(passed["items"]) == 1
    assert all(d["status"] == "已完成" for d in passed["items"])
    # District staff see the declarations of their district's units.
    assert declarations_of(first, instance["id"])["unit_name"] == "北京智能制造研究院"
    assert declarations_of(gateway.login("shiyan"), instance["id"]) is None
    return {"instance": final, "data": data}


def declaration_rejected_at(gateway: Gateway, level: str) -> dict:
    """未通过 at 初审 or 复审, with the reason the unit sees; 重新申请 (the masked ID number sent
    back unchanged keeps the number) goes to 初审 again — also after a failed 复审."""
    ensure_permission(gateway)
    unit, first, second = (gateway.login(u) for u in ("zhizao", FIRST, SECOND))
    data = declaration(name="周九" if level == "initial" else "吴十")
    instance = _declare(gateway, unit, data)
    reason = "社保缴费记录不完整" if level == "initial" else "不符合引进条件中的专利条款"
    if level == "re":
        assert first.complete(instance["id"], {"decision": "approve"}).status == 200
    reviewer = first if level == "initial" else second
    assert reviewer.complete(instance["id"], {"decision": "reject"}).body["errors"] == \
        {"comment": "请填写审核意见"}
    assert reviewer.complete(instance["id"], {"decision": "reject", "comment": reason}).status == 200
    failed = unit.instance(instance["id"])
    assert failed["status"] == "returned" and failed["stage"] == "未通过"
    assert failed["return_reason"] == reason
    assert failed["current_stage"][0]["title"] == "重新申请"
    row = declarations_of(unit, instance["id"])
    assert (row["status"], row["reason"], row["can_reapply"]) == ("未通过", reason, True)

    report = f"北京智能制造研究院-{data['name']}-验资报告.pdf"
    fixed = {**data, "id_number": failed["application"]["id_number"], "introduction_basis": "融资条款",
             "attachments": failed["application"]["attachments"][:2] + [
                 {"file_id": unit.upload("capital_verification", report),
                  "kind": "capital_verification", "name": report}]}
    reply = once_files_known(gateway, lambda: unit.complete(instance["id"], fixed))
    assert reply.status == 200, reply
    again = reply.body
    assert again["stage"] == "待审核" and again["current_stage"][0]["title"] == "需求信息初审"
    assert again["application"]["id_number"] == failed["application"]["id_number"]
    assert again["application"]["introduction_basis"] == "融资条款"
    assert first.complete(instance["id"], {"decision": "approve"}).status == 200
    assert second.complete(instance["id"], {"decision": "approve"}).status == 200
    final = unit.instance(instance["id"])
    assert final["stage"] == "已完成"
    return {"instance": final, "data": data}


def passed_list_exported(gateway: Gateway) -> None:
    """区委人才办 export the passed (已完成) declarations as CSV for the city; units may not."""
    passed = declaration_passes_both_reviews(gateway)
    first = gateway.login(FIRST)
    # Who exports full ID numbers says why: without a reason, nothing leaves.
    unexplained = gateway.send("GET", f"{WF}/declarations/export",
                               headers={"Authorization": f"Bearer {first.token}"})
    assert unexplained.status == 422 and "reason" in unexplained.body["errors"], unexplained
    reason = quote("报送市人才工作局")
    reply = gateway.send("GET", f"{WF}/declarations/export?reason={reason}",
                         headers={"Authorization": f"Bearer {first.token}"})
    assert reply.status == 200, reply
    assert reply.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in reply.headers["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(reply.text.lstrip("\ufeff"))))
    # 内部资料, the exporter, the time and the reason head the file; then the table.
    assert lines[0][0].startswith("内部资料")
    first_id = first.get("/api/identity/me").body["id"]
    assert lines[1][0].startswith("导出人：") and first_id in lines[1][0]
    assert lines[1][1].startswith("导出时间：20")
    assert lines[2][0] == "导出事由：报送市人才工作局"
    rows = lines[4:]
    assert rows[0][:5] == ["序号", "申报单位", "姓名", "身份证号", "性别"]
    mine = [r for r in rows[1:] if r[3] == passed["data"]["id_number"]]
    assert mine and mine[0][1:3] == ["北京智能制造研究院", passed["data"]["name"]]
    assert all(r[13] == "已完成" for r in rows[1:])
    assert reply.headers["Content-Disposition"].endswith(".csv")

    # The same list as an Excel workbook: same columns, same rows, the ID number whole.
    from openpyxl import load_workbook

    reply = gateway.send("GET", f"{WF}/declarations/export?format=xlsx&reason={reason}",
                         headers={"Authorization": f"Bearer {first.token}"})
    assert reply.status == 200, reply
    assert reply.headers["Content-Type"] == \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    # The Chinese name as RFC 5987's filename*, after send_file's ASCII fallback (RFC 6266).
    assert reply.headers["Content-Disposition"].startswith("attachment; filename=")
    assert "; filename*=UTF-8''" in reply.headers["Content-Disposition"]
    assert reply.headers["Content-Disposition"].endswith(".xlsx")
    book = load_workbook(io.BytesIO(reply.content))
    sheet = book.active
    assert sheet.oddHeader.center.text == "内部资料"
    assert sheet.oddHeader.right.text.startswith("导出人 ")
    cells = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert cells[0][0].startswith("内部资料") and cells[2][0] == "导出事由：报送市人才工作局"
    assert sheet.freeze_panes == "A6"
    table = cells[4:]
    assert table[0] == rows[0]
    assert len(table) == len(rows)
    mine_x = [r for r in table[1:] if r[3] == passed["data"]["id_number"]]
    assert mine_x and mine_x[0][1:3] == ["北京智能制造研究院", passed["data"]["name"]]
    assert [str(v) if v is not None else "" for v in mine_x[0]] == mine[0]
    assert all(r[13] == "已完成" for r in table[1:])
    bad = gateway.send("GET", f"{WF}/declarations/export?format=pdf&reason={reason}",
                       headers={"Authorization": f"Bearer {first.token}"})
    assert bad.status == 422 and "format" in bad.body["errors"], bad

    unit = gateway.login("zhizao")
    refused = gateway.send("GET", f"{WF}/declarations/export?reason={reason}",
                           headers={"Authorization": f"Bearer {unit.token}"})
    assert refused.status == 403, refused

    # Each export is on the audit log: who, why, and whose applications left.
    admin = gateway.login("admin")
    logged = admin.get(f"{WF}/audit-log?action=declarations.exported&person={first_id}").body
    assert logged["total"] >= 2, logged
    latest = logged["items"][0]
    assert latest["reason"] == "报送市人才工作局" and latest["actor_id"] == first_id
    assert passed["instance"]["id"] in latest["detail"]["instance_ids"]
    assert latest["request_id"]


def full_id_number_for_the_reviewer_only(gateway: Gateway) -> None:
    """Least privilege: the declared person's ID number is masked for everyone; a reviewer
    who may decide the open task sees it in full, and that view is on the audit log. The
    unit (no task now), other staff, admins, and a reviewer whose part is done do not."""
    ensure_permission(gateway)
    unit, first, second = (gateway.login(u) for u in ("zhizao", FIRST, SECOND))
    data = declaration(name="郑十一")
    instance = _declare(gateway, unit, data)
    assert unit.instance(instance["id"])["application"]["id_number"] != data["id_number"]
    path = f"{WF}/instances/{instance['id']}/personal-data"
    shown = first.get(f"{path}?field=id_number&reason={quote('核对身份')}")
    assert shown.status == 200 and shown.body == {"field": "id_number",
                                                  "value": data["id_number"]}, shown
    for who in (unit, gateway.login("admin"), gateway.login("kewei")):
        assert who.get(path).status == 403
    bad = first.get(f"{path}?field=name")
    assert bad.status == 422 and "field" in bad.body["errors"], bad
    # Once the first review is done, its reviewer no longer needs the number; the next does.
    assert first.complete(instance["id"], {"decision": "approve"}).status == 200
    assert first.get(path).status == 403
    assert second.get(path).body["value"] == data["id_number"]

    viewed = gateway.login("admin").get(
        f"{WF}/audit-log?action=application.personal_data_viewed&object_id={instance['id']}")
    entries = viewed.body["items"]
    assert [e["detail"]["field"] for e in entries] == ["id_number", "id_number"]
    assert entries[1]["reason"] == "核对身份" and entries[1]["actor_kind"] == "staff"
    # Staff opening the application (masked) is on the log too; the applicant's own look is not.
    assert "*" in second.instance(instance["id"])["application"]["id_number"]
    unit.instance(instance["id"])
    opened = gateway.login("admin").get(
        f"{WF}/audit-log?action=application.viewed&object_id={instance['id']}").body["items"]
    assert opened and {e["actor_kind"] for e in opened} == {"staff"}
    assert gateway.login("admin").get(f"{WF}/audit-log/verify").body["ok"] is True
