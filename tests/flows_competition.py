"""技能竞赛报名 (seed 004; issue 7 item 6), run in both modes (tests/e2e/test_competitions.py
and the stack tier). The committee's staff (jingsai) publish competition plans; a person
confirms their identity on first entry, keeps 个人基本信息 with a cropped photo, registers for
a competition (职业（工种）, 保存, photo, 提交审核) and follows it in 已报名竞赛管理; the committee
reviews from its inbox (bpmn/skills_competition.bpmn).

Every scenario publishes its own competition, so they run in any order and repeatedly. 李四
(lisi) is kept for the first-entry identity confirmation; 张三 and 周七 are confirmed by
`competitor()` when a scenario needs them."""
from __future__ import annotations

import uuid
from datetime import date, timedelta

from .support import Gateway, User, photo

API = "/api/workflow"
FILES = "/api/files"
PROFILE = {"phone": "13800000009", "ethnicity": "汉族", "political_status": "群众",
           "education_level": "大学专科", "work_unit": "北京智能制造研究院",
           "address": "北京市朝阳区建国路1号", "postcode": "100022"}
REGISTRATION = {"occupation_code": "6-31-01-03", "level": "三级/高级工", "group": "职工组",
                "years_in_occupation": 8, "current_qualification": "四级/中级工"}
IDENTITIES = {"zhangsan": ("张三", "110105198503070019"), "lisi": ("李四", "110108199005120021"),
              "zhouqi": ("周七", "110101199203150032")}


def plan(gateway: Gateway, opens: date | None = None, publish: bool = True) -> dict:
    """A competition plan the committee publishes (registration open today by default)."""
    committee = gateway.login("jingsai")
    opens = opens or date.today() - timedelta(days=1)
    reply = committee.post(f"{API}/competitions", {
        "name": f"职业技能竞赛-{uuid.uuid4().hex[:6]}", "organiser": "市人力资源和社会保障局",
        "location": "市职业技能公共实训基地",
        "registration_opens": opens.isoformat(),
        "registration_closes": (opens + timedelta(days=30)).isoformat(),
        "starts_on": (opens + timedelta(days=40)).isoformat(),
        "ends_on": (opens + timedelta(days=41)).isoformat(),
        "occupations": [{"code": "6-31-01-03", "name": "电工", "levels": ["三级/高级工", "二级/技师"]},
                        {"code": "6-18-02-04", "name": "焊工", "levels": []}]})
    assert reply.status == 201, reply
    assert reply.body["state"] == "draft" and reply.body["committee_name"] == "市职业技能竞赛组委会"
    if publish:
        published = committee.post(f"{API}/competitions/{reply.body['id']}/publish", {})
        assert published.status == 200 and published.body["state_title"] == "已发布", published
        return published.body
    return reply.body


def competitor(gateway: Gateway, username: str) -> User:
    """The person, identity confirmed and 个人基本信息 saved with a photo."""
    person = gateway.login(username)
    state = person.get(f"{API}/me/competitor").body
    if not state["confirmed"]:
        name, number = IDENTITIES[username]
        reply = person.post(f"{API}/me/competitor/confirmation", {"name": name, "id_number": number})
        assert reply.status == 201, reply
    saved = person.put(f"{API}/me/competitor", PROFILE)
    assert saved.status == 200, saved
    with_photo = person.put(f"{API}/me/competitor/photo", {"file_id": photo(person)})
    assert with_photo.status == 200 and not with_photo.body["profile"]["missing"], with_photo
    return person


def register(person: User, competition: dict, **changes) -> dict:
    reply = person.put(f"{API}/competitions/{competition['id']}/registration",
                {**REGISTRATION, **changes})
    assert reply.status == 200, reply
    assert reply.body["status"] == "未提交"
    submitted = person.post(f"{API}/me/competition-registrations/{reply.body['id']}/submit", {})
    assert submitted.status == 200, submitted
    assert submitted.body["status"] == "待审核"
    return submitted.body


def registration(person: User, registration_id: str) -> dict:
    reply = person.get(f"{API}/me/competition-registrations/{registration_id}")
    assert reply.status == 200, reply
    return reply.body


# --- scenarios -------------------------------------------------------------------------------

def committee_publishes_plans(gateway: Gateway) -> None:
    """Only the committee manages plans; drafts stay private; dates must make sense."""
    committee = gateway.login("jingsai")
    person = gateway.login("zhangsan")
    bad = committee.post(f"{API}/competitions", {
        "name": "日期有误的竞赛", "organiser": "市人社局", "registration_opens": "2026-06-10",
        "registration_closes": "2026-06-01", "starts_on": "2026-07-01", "ends_on": "2026-07-02",
        "occupations": [{"code": "X1", "name": "电工"}]})
    assert bad.status == 422 and bad.body["errors"] == {
        "registration_closes": "报名截止日期不能早于报名开始日期"}, bad
    missing = committee.post(f"{API}/competitions", {"name": "缺少工种", "organiser": "市人社局"})
    assert missing.status == 422 and "occupations" in missing.body["errors"]
    valid = {"name": "组委会以外不能发布", "organiser": "市人社局", "registration_opens": "2026-06-01",
             "registration_closes": "2026-06-10", "starts_on": "2026-07-01",
             "ends_on": "2026-07-02", "occupations": [{"code": "X1", "name": "电工"}]}
    not_committee = person.post(f"{API}/competitions", valid)
    assert not_committee.status == 403 and not_committee.body["detail"] == "仅竞赛组委会工作人员可以管理竞赛计划"
    assert gateway.login("shiju").get(f"{API}/competitions").status == 403

    draft = plan(gateway, publish=False)
    assert person.get(f"{API}/competitions/{draft['id']}").status == 404
    body = {k: draft[k] for k in ("name", "organiser", "registration_opens", "registration_closes",
                                  "starts_on", "ends_on", "occupations")}
    changed = committee.put(f"{API}/competitions/{draft['id']}",
                            {**body, "name": draft["name"] + "（修订）"})
    assert changed.status == 200 and changed.body["name"].endswith("（修订）"), changed
    published = committee.post(f"{API}/competitions/{draft['id']}/publish", {})
    assert published.status == 200
    assert committee.post(f"{API}/competitions/{draft['id']}/publish", {}).status == 409
    frozen = committee.put(f"{API}/competitions/{draft['id']}", {**body, "name": "发布后再改"})
    assert frozen.status == 409 and frozen.body["detail"].startswith("竞赛计划已发布，不能修改")

    listed = person.get(f"{API}/competitions?per_page=100")
    assert listed.status == 200
    mine = next(c for c in listed.body["items"] if c["id"] == draft["id"])
    assert mine["registration_problem"] is None and mine["registration_id"] is None
    assert [o["name"] for o in mine["occupations"]] == ["电工", "焊工"]
    assert any(c["id"] == draft["id"] for c in committee.get(
        f"{API}/competitions?per_page=100").body["items"])


def first_entry_confirms_identity(gateway: Gateway) -> None:
    """初次进入竞赛系统: 个人身份信息确认 against the real-name verification, once."""
    person = gateway.login("lisi")
    state = person.get(f"{API}/me/competitor").body
    assert state["confirmed"] is False and state["profile"] is None
    assert gateway.eventually(lambda: person.get(f"{API}/me/competitor").body["prefill"]
                              .get("name")) == "李四"
    assert person.put(f"{API}/me/competitor", PROFILE).body["detail"] == \
        "首次进入竞赛系统，请先进行个人身份信息确认"
    wrong_number = person.post(f"{API}/me/competitor/confirmation",
                               {"name": "李四", "id_number": "110105198503070019"})
    assert wrong_number.status == 422
    assert wrong_number.body["errors"] == {"id_number": "证件号码与实名认证信息不一致"}
    wrong_name = person.post(f"{API}/me/competitor/confirmation",
                             {"name": "李五", "id_number": "110108199005120021"})
    assert wrong_name.body["errors"] == {"name": "姓名与实名认证信息不一致"}
    malformed = person.post(f"{API}/me/competitor/confirmation", {"name": "李四", "id_number": "123"})
    assert malformed.status == 422 and "id_number" in malformed.body["errors"]

    confirmed = person.post(f"{API}/me/competitor/confirmation",
                            {"name": "李四", "id_number": "110108199005120021"})
    assert confirmed.status == 201, confirmed
    profile = confirmed.body["profile"]
    assert (profile["gender"], profile["birth_date"]) == ("女", "1990-05-12")
    assert profile["id_number"] == "110108199005120021"  # the owner sees it in full
    assert "phone" in profile["missing"]
    assert profile["work_unit"] == "北京市第一实验中学"  # prefilled from the affiliation
    assert person.post(f"{API}/me/competitor/confirmation",
                       {"name": "李四", "id_number": "110108199005120021"}).status == 409

    bad_phone = person.put(f"{API}/me/competitor", {**PROFILE, "phone": "12345"})
    assert bad_phone.status == 422 and bad_phone.body["errors"] == {"phone": "手机号码应为11位手机号"}
    bad_choice = person.put(f"{API}/me/competitor", {**PROFILE, "political_status": "未知"})
    assert bad_choice.status == 422 and "political_status" in bad_choice.body["errors"]
    saved = person.put(f"{API}/me/competitor", {**PROFILE, "work_unit": "北京市第一实验中学"})
    assert saved.status == 200 and saved.body["profile"]["missing"] == {}
    assert saved.body["profile"]["birth_date"] == "1990-05-12"  # kept as confirmed


def registration_approved(gateway: Gateway) -> None:
    """报名 → 保存 → 提交审核 → the committee approves; the photo is locked with it."""
    competition = plan(gateway)
    person = competitor(gateway, "zhangsan")
    url = f"{API}/competitions/{competition['id']}/registration"
    wrong = person.put(url, {**REGISTRATION, "occupation_code": "9-99"})
    assert wrong.status == 422 and wrong.body["errors"] == {
        "occupation_code": "不是本次竞赛开展的职业（工种）"}
    wrong_level = person.put(url, {**REGISTRATION, "level": "一级/高级技师"})
    assert wrong_level.status == 422 and "level" in wrong_level.body["errors"]
    draft = person.put(url, REGISTRATION)
    assert draft.status == 200 and draft.body["status"] == "未提交"
    assert draft.body["details"]["occupation_name"] == "电工"
    again = person.put(url, {**REGISTRATION, "years_in_occupation": 9})  # 保存 again: same one
    assert again.body["id"] == draft.body["id"] and again.body["details"]["years_in_occupation"] == 9
    listed = person.get(f"{API}/competitions?per_page=100").body["items"]
    assert next(c for c in listed if c["id"] == competition["id"])["registration_status"] == "未提交"
    own_photo = person.put(f"{API}/me/competition-registrations/{draft.body['id']}/photo",
                    {"file_id": photo(person)})
    assert own_photo.status == 200, own_photo

    submitted = person.post(f"{API}/me/competition-registrations/{draft.body['id']}/submit", {})
    assert submitted.status == 200 and submitted.body["status"] == "待审核", submitted
    details = submitted.body["details"]
    assert details["competition_name"] == competition["name"]
    assert details["name"] == "张三" and details["id_number"] == "110***********0019"
    assert details["phone"] == "138****0009" and details["work_unit"] == "北京智能制造研究院"
    assert "id_number_sealed" not in details
    assert person.put(url, REGISTRATION).status == 409  # submitted: no more 保存
    again = person.post(f"{API}/me/competition-registrations/{draft.body['id']}/submit", {})
    assert again.status == 409

    managed = person.get(f"{API}/me/competition-registrations?per_page=100").body["items"]
    assert next(r for r in managed if r["id"] == draft.body["id"])["status"] == "待审核"

    committee = gateway.login("jingsai")
    instance_id = submitted.body["instance_id"]
    task_id = gateway.eventually(lambda: committee.task_of(instance_id))
    assert task_id
    task = committee.get(f"{API}/tasks/{task_id}").body
    assert task["title"] == "竞赛组委会审核"
    assert task["instance"]["application"]["id_number"] == "110***********0019"
    assert [a["id"] for a in task["attachments"]] == [own_photo.body["details"]["photo_file_id"]]
    queue = committee.get(f"{API}/competitions/{competition['id']}/registrations?status=待审核")
    assert queue.status == 200 and [r["id"] for r in queue.body["items"]] == [draft.body["id"]]
    assert person.get(f"{API}/competitions/{competition['id']}/registrations").status == 403
    assert gateway.login("kewei").task_of(instance_id) is None

    photo_id = submitted.body["details"]["photo_file_id"]
    assert photo_id == own_photo.body["details"]["photo_file_id"]  # this competition's photo

    def delete_photo():
        return person.gateway.send("DELETE", f"{FILES}/attachments/{photo_id}",
                                   headers={"Authorization": f"Bearer {person.token}"})

    assert gateway.eventually(lambda: delete_photo().status == 409)  # locked by the submission
    assert gateway.eventually(lambda: committee.get(
        f"{FILES}/attachments/{photo_id}").status == 200)  # the reviewer may see the photo

    assert committee.decide(instance_id, "approve", "资格审核通过").status == 200
    assert registration(person, draft.body["id"])["status"] == "审核通过"
    approved = committee.get(f"{API}/competitions/{competition['id']}/registrations?status=审核通过")
    assert [r["id"] for r in approved.body["items"]] == [draft.body["id"]]


def registration_returned_then_rejected(gateway: Gateway) -> None:
    """退回修改 with the reason → 修改报名信息 → 待审核 → 审核不通过 (final, with the reason)."""
    competition = plan(gateway)
    person = competitor(gateway, "zhouqi")
    submitted = register(person, competition)
    committee = gateway.login("jingsai")
    instance_id = submitted["instance_id"]
    assert gateway.eventually(lambda: committee.task_of(instance_id))
    returned = committee.decide(instance_id, "return", "照片不清晰，请重新上传")
    assert returned.status == 200
    back = registration(person, submitted["id"])
    assert back["status"] == "退回修改" and back["reason"] == "照片不清晰，请重新上传"
    assert back["revise_task_id"]
    refused = person.put(f"{API}/competitions/{competition['id']}/registration", REGISTRATION)
    assert refused.status == 409 and "修改报名信息" in refused.body["detail"]

    wrong = person.post(f"{API}/tasks/{back['revise_task_id']}/complete",
                        {"data": {**REGISTRATION, "occupation_code": "0-00"}})
    assert wrong.status == 422 and "occupation_code" in wrong.body["errors"]
    new_photo = photo(person)
    revised = person.post(f"{API}/tasks/{back['revise_task_id']}/complete", {"data": {
        **REGISTRATION, "occupation_code": "6-18-02-04", "level": "", "photo_file_id": new_photo,
        "comment": "已更换照片"}})
    assert revised.status == 200, revised
    again = registration(person, submitted["id"])
    assert again["status"] == "待审核" and again["reason"] is None
    assert again["details"]["occupation_name"] == "焊工"
    assert again["details"]["photo_file_id"] == new_photo
    assert again["details"]["name"] == "周七"  # the basic information is kept

    assert gateway.eventually(lambda: committee.task_of(instance_id))
    no_reason = committee.decide(instance_id, "reject")
    assert no_reason.status == 422 and "comment" in no_reason.body["errors"]
    assert committee.decide(instance_id, "reject", "不符合参赛条件").status == 200
    final = registration(person, submitted["id"])
    assert final["status"] == "审核不通过" and final["reason"] == "不符合参赛条件"
    assert person.put(f"{API}/competitions/{competition['id']}/registration",
               REGISTRATION).status == 409


def registration_window_and_entry(gateway: Gateway) -> None:
    """Not yet open, closed, the API's start refused, the catalogue points to the plans, and
    a withdrawn registration can be submitted again."""
    person = competitor(gateway, "zhangsan")
    later = plan(gateway, opens=date.today() + timedelta(days=10))
    early = person.put(f"{API}/competitions/{later['id']}/registration", REGISTRATION)
    assert early.status == 409 and early.body["detail"].startswith("报名尚未开始")
    listed = person.get(f"{API}/competitions/{later['id']}").body
    assert listed["registration_problem"].startswith("报名尚未开始")

    direct = person.start("skills_competition", {"competition_id": later["id"]})
    assert direct.status == 403 and "提交审核" in direct.body["detail"]
    entry = person.catalogue()["skills_competition"]
    assert entry["entry"] == f"{API}/competitions" and entry["can_start"] is True

    competition = plan(gateway)
    submitted = register(person, competition)
    withdrawn = person.post(f"{API}/instances/{submitted['instance_id']}/withdraw",
                            {"reason": "工种选错了"})
    assert withdrawn.status == 200, withdrawn
    assert registration(person, submitted["id"])["status"] == "已撤回"
    changed = person.put(f"{API}/competitions/{competition['id']}/registration",
                  {**REGISTRATION, "occupation_code": "6-18-02-04", "level": None})
    assert changed.status == 200 and changed.body["status"] == "未提交"
    resubmitted = person.post(f"{API}/me/competition-registrations/{submitted['id']}/submit", {})
    assert resubmitted.status == 200 and resubmitted.body["status"] == "待审核"
    assert resubmitted.body["instance_id"] != submitted["instance_id"]

    committee = gateway.login("jingsai")
    closed = committee.post(f"{API}/competitions/{competition['id']}/close", {})
    assert closed.status == 200 and closed.body["state_title"] == "报名已结束"
    other = competitor(gateway, "zhouqi")
    late = other.put(f"{API}/competitions/{competition['id']}/registration", REGISTRATION)
    assert late.status == 409 and late.body["detail"] == "该竞赛报名已结束"
