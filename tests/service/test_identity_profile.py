"""个人信息完善 through the gateway: the gate (profile_complete), sections saved with their
own messages, preview, submit (identity.profile.completed), view and modify."""
import itertools
import json

import pytest
from sqlalchemy import select

from services.identity.model import BUS
from services.identity.service import create_account
from tests.service.identity_harness import Harness, new_id_number

PHOTO = "3f2b8a9e-1c4d-4e5f-8a6b-7c8d9e0f1a2b"
PROFILE = {
    "general": {"gender": "女", "ethnicity": "汉族", "political_status": "中共党员",
                "email": "wang@example.cn", "address": "北京市海淀区中关村大街 1 号",
                "title": "高级工程师"},
    "education": [{"level": "博士研究生", "degree": "博士", "school": "清华大学",
                   "major": "机械工程", "graduated": "2013-07"}],
    "study_history": [{"from": "2008-09", "to": "2013-07", "school": "清华大学",
                       "major": "机械工程"}],
    "work_history": [{"from": "2013-08", "employer": "北京智能制造研究院", "position": "研究员"}],
    "photo_file_id": PHOTO,
}


@pytest.fixture(scope="module")
def h(tmp_path_factory):
    harness = Harness(tmp_path_factory.mktemp("identity-profile"))
    yield harness
    harness.close()


_people = itertools.count(1)


@pytest.fixture
def person(h):
    done = h.register(f"profile{next(_people):04d}")
    h.call("POST", "/me/real-name", {"consent": True, "name": "王芳", "id_number": new_id_number()},
           token=done["token"])
    return done


def completed(h, account_id):
    with h.db.reading() as session:
        rows = session.scalars(select(BUS.outbox.c.envelope).where(
            BUS.outbox.c.type.in_(["identity.profile.completed", "identity.profile.updated"])))
        return [json.loads(row) for row in rows
                if json.loads(row)["data"]["account_id"] == account_id]


def test_until_complete_the_client_shows_the_gate(h, person):
    me = h.call("GET", "/me", token=person["token"]).get_json()
    assert me["profile_complete"] is False
    empty = h.call("GET", "/me/profile", token=person["token"]).get_json()
    assert empty["complete"] is False and empty["education"] == []
    assert empty["basic"]["name"] == "王芳" and "*" in empty["basic"]["id_number"]


def test_fill_preview_submit_view_and_modify(h, person):
    token = person["token"]
    # Step by step, as the guided pages do.
    general = {"general": PROFILE["general"]}
    assert h.call("PUT", "/me/profile", general, token=token).status_code == 200
    preview = h.call("GET", "/me/profile/preview", token=token).get_json()
    assert preview["ready"] is False and set(preview["missing"]) == {
        "education", "study_history", "photo_file_id"}
    early = h.call("POST", "/me/profile/submit", token=token)
    assert early.status_code == 422 and early.get_json()["errors"]["photo_file_id"] == "请上传证件照片"

    rest = {key: value for key, value in PROFILE.items() if key != "general"}
    assert h.call("PUT", "/me/profile", rest, token=token).status_code == 200
    preview = h.call("GET", "/me/profile/preview", token=token).get_json()
    assert preview["ready"] is True and preview["missing"] == {}
    submitted = h.call("POST", "/me/profile/submit", token=token)
    assert submitted.status_code == 200 and submitted.get_json()["complete"] is True
    assert h.call("GET", "/me", token=token).get_json()["profile_complete"] is True
    full = h.call("GET", "/me/profile", token=token).get_json()
    assert full["education"] == PROFILE["education"] and full["photo_file_id"] == PHOTO
    [event] = completed(h, person["account_id"])
    assert event["type"] == "identity.profile.completed"
    assert event["data"]["education_level"] == "博士研究生" and event["data"]["name"] == "王芳"

    # 修改: change the work history and submit again.
    work = [{"from": "2013-08", "to": "2020-12", "employer": "北京智能制造研究院",
             "position": "研究员"},
            {"from": "2021-01", "employer": "北京星河软件有限公司", "position": "首席科学家"}]
    assert h.call("PUT", "/me/profile", {"work_history": work}, token=token).status_code == 200
    assert h.call("POST", "/me/profile/submit", token=token).status_code == 200
    assert h.call("GET", "/me/profile", token=token).get_json()["work_history"] == work
    assert [e["type"] for e in completed(h, person["account_id"])] == [
        "identity.profile.completed", "identity.profile.updated"]


@pytest.mark.parametrize("body, field, message", [
    ({"general": {**PROFILE["general"], "gender": "未知"}}, "general.gender", "性别应为“男”或“女”"),
    ({"general": {**PROFILE["general"], "email": "not-an-email"}}, "general.email", "电子邮箱格式不正确"),
    ({"general": {key: value for key, value in PROFILE["general"].items() if key != "ethnicity"}},
     "general.ethnicity", "请填写民族"),
    ({"general": {**PROFILE["general"], "hobby": "x"}}, "general.hobby", "不允许的字段"),
    ({"general": "text"}, "general", "一般信息应为对象"),
    ({"education": [{**PROFILE["education"][0], "level": "博士后"}]}, "education[0].level",
     "学历应为：博士研究生、硕士研究生、大学本科、大学专科、高中及以下"),
    ({"education": [{**PROFILE["education"][0], "graduated": "2013/07"}]},
     "education[0].graduated", "毕业时间应为“年-月”，如 2015-07"),
    ({"study_history": [{**PROFILE["study_history"][0], "to": "2007-01"}]},
     "study_history[0].to", "结束时间不能早于开始时间"),
    ({"work_history": [{"from": "2013-08", "position": "研究员"}]}, "work_history[0].employer",
     "请填写工作单位"),
    ({"work_history": "none"}, "work_history", "应为列表"),
    ({"photo_file_id": "../etc/passwd"}, "photo_file_id", "证件照片编号不正确，请重新上传"),
    ({"nickname": "x"}, "nickname", "不允许的字段"),
])
def test_each_bad_entry_is_named(h, person, body, field, message):
    reply = h.call("PUT", "/me/profile", body, token=person["token"])
    assert reply.status_code == 422 and reply.get_json()["errors"] == {field: message}


def test_only_people_have_profiles(h):
    create_account(h.db, h.kit.outbox, username="profileunit", kind="unit",
                   display_name="某单位", password="Unit123456", org_id="org-9", roles=["unit"])
    token = h.call("POST", "/tokens", {"username": "profileunit", "password": "Unit123456"}
                   ).get_json()["access_token"]
    assert h.call("GET", "/me/profile", token=token).status_code == 403
    assert h.call("GET", "/me/profile").status_code == 401
