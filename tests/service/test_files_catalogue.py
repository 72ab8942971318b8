"""The catalogue of attachment types (admins maintain it) and the attachment page: slots by
type with status, fuzzy search, the naming rule, unit accounts."""
from __future__ import annotations

from tests.service.test_files import PDF, PNG, UNIT_ID, assert_problem, post_file
# the shared fixtures
from tests.service.test_files import app, client, files_config, settings, signing_key, token  # noqa: F401

NEW_TYPE = {"key": "award_certificate", "name": "获奖证书", "owner_kinds": ["person"],
            "formats": ["pdf"], "max_bytes": 1024 * 1024, "multiple": True,
            "hint": "省部级及以上奖励证书"}


def test_catalogue_is_seeded_with_rules_in_words(client, token):
    types = {t["key"]: t for t in client.get("/types", headers=token()).get_json()}
    assert {"id_photo", "id_card", "degree", "title_certificate", "labour_contract",
            "social_insurance", "integrity_statement", "business_licence", "unit_qualification",
            "tax_receipts", "patent_certificate", "capital_verification"} <= set(types)
    photo = types["id_photo"]
    assert photo["formats"] == ["jpg", "png"] and photo["multiple"] is False
    assert (photo["photo_width"], photo["photo_height"]) == (295, 413)
    assert photo["rules"] == "支持 JPG、PNG 格式，单个文件不超过 2 MB，限 1 个文件"
    assert types["integrity_statement"]["naming_required"] is True
    assert "法定代表人" in types["integrity_statement"]["hint"]


def test_admin_maintains_the_catalogue(client, token):
    admin = token(kind="staff", name="系统管理员", org=UNIT_ID, roles=("admin",))
    person = token()
    assert_problem(client.post("/types", headers=person, json=NEW_TYPE), 403)
    created = client.post("/types", headers=admin, json=NEW_TYPE)
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.get_json()["rules"] == "支持 PDF 格式，单个文件不超过 1 MB，可上传多个文件"
    assert_problem(client.post("/types", headers=admin, json=NEW_TYPE), 409)

    # uploads follow the new type's rules at once
    assert post_file(client, person, PDF, "获奖.pdf", "award_certificate").status_code == 201
    problem = assert_problem(post_file(client, person, PNG, "获奖.png", "award_certificate"), 422)
    assert problem["errors"]["file"] == "获奖证书仅支持 PDF 格式的文件"

    update = {**NEW_TYPE, "formats": ["pdf", "png"], "active": False}
    del update["key"]
    assert_problem(client.put("/types/award_certificate", headers=person, json=update), 403)
    changed = client.put("/types/award_certificate", headers=admin, json=update).get_json()
    assert changed["formats"] == ["pdf", "png"] and changed["active"] is False
    keys = [t["key"] for t in client.get("/types", headers=person).get_json()]
    assert "award_certificate" not in keys
    all_keys = [t["key"] for t in client.get("/types?all=true", headers=admin).get_json()]
    assert "award_certificate" in all_keys
    # a retired type takes no new files
    problem = assert_problem(post_file(client, person, PDF, "获奖.pdf", "award_certificate"), 422)
    assert "category" in problem["errors"]
    assert_problem(client.put("/types/nope", headers=admin, json=update), 404)


def test_bad_catalogue_entries_name_the_field(client, token):
    admin = token(kind="staff", org=UNIT_ID, roles=("admin",))
    bad = {**NEW_TYPE, "key": "Bad Key", "formats": ["exe"], "owner_kinds": []}
    problem = assert_problem(client.post("/types", headers=admin, json=bad), 422)
    assert {"key", "formats.0", "owner_kinds"} <= set(problem["errors"])
    too_big = {**NEW_TYPE, "key": "huge", "max_bytes": 500 * 1024 * 1024}
    problem = assert_problem(client.post("/types", headers=admin, json=too_big), 422)
    assert "大小上限不能超过" in problem["errors"]["max_bytes"]
    half_photo = {**NEW_TYPE, "key": "half", "photo_width": 300}
    problem = assert_problem(client.post("/types", headers=admin, json=half_photo), 422)
    assert problem["errors"]["photo_height"] == "照片宽度和高度需同时填写"


def test_slots_show_status_and_search_by_chinese_or_pinyin(client, token):
    alice = token(name="张三")
    slots = client.get("/slots", headers=alice).get_json()
    keys = [s["type"]["key"] for s in slots]
    assert "id_photo" in keys and "business_licence" not in keys  # a person's page
    assert all(s["status"] == "未上传" for s in slots)
    post_file(client, alice, PDF, "我的身份证.pdf", "id_card")
    by_key = {s["type"]["key"]: s for s in client.get("/slots", headers=alice).get_json()}
    assert by_key["id_card"]["status"] == "已上传"
    assert by_key["id_card"]["attachments"][0]["display_name"] == "我的身份证.pdf"
    assert by_key["id_photo"]["status"] == "未上传"

    def search(q):
        return [s["type"]["key"] for s in client.get(f"/slots?q={q}", headers=alice).get_json()]

    assert search("身份证") == ["id_card"]
    assert search("sfz") == ["id_card"]          # pinyin initials
    assert search("SFZ") == ["id_card"]
    assert search("shenfen") == ["id_card"]      # full pinyin
    assert "title_certificate" in search("zc")   # 职称
    assert search("证书")[:1] == ["degree"]
    assert search("不存在的材料") == []


def test_unit_page_and_naming_rule(client, token):
    unit = token(kind="unit", name="北京智能制造研究院", org=UNIT_ID, roles=("unit",))
    colleague = token(kind="unit", name="北京智能制造研究院", org=UNIT_ID, roles=("unit",))
    slots = {s["type"]["key"]: s
             for s in client.get("/slots?person_name=李雷", headers=unit).get_json()}
    assert "business_licence" in slots and "id_photo" not in slots
    assert slots["integrity_statement"]["default_name"] == "北京智能制造研究院-李雷-诚信声明"

    problem = assert_problem(post_file(client, unit, PDF, "scan001.pdf", "integrity_statement"),
                             422)
    assert "XX单位-姓名-材料名称" in problem["errors"]["display_name"]
    named = post_file(client, unit, PDF, "scan001.pdf", "integrity_statement",
                      display_name="北京智能制造研究院-李雷-诚信声明")
    assert named.status_code == 201, named.get_data(as_text=True)
    assert named.get_json()["display_name"] == "北京智能制造研究院-李雷-诚信声明.pdf"
    assert named.get_json()["original_name"] == "scan001.pdf"
    # or the file already carries the right name
    assert post_file(client, unit, PDF, "北京智能制造研究院-李雷-社保记录.pdf",
                     "social_insurance").status_code == 201
    # the unit's files are the unit's: every account acting for it sees them
    assert client.get("/attachments", headers=colleague).get_json()["total"] == 2
    person_default = {s["type"]["key"]: s for s in client.get(
        "/slots?unit_name=北京智能制造研究院", headers=token(name="张三")).get_json()}
    assert person_default["integrity_statement"]["default_name"] == \
        "北京智能制造研究院-张三-诚信声明"


def test_staff_have_no_attachment_page(client, token):
    reviewer = token(kind="staff", name="科委审核员", org=UNIT_ID, roles=("supervisor",))
    assert_problem(client.get("/slots", headers=reviewer), 403)
    assert_problem(post_file(client, reviewer, PDF, "a.pdf", "other"), 403)
