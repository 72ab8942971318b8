"""技能竞赛报名 (seed 004). A competition committee (竞赛组委会) publishes competition plans
(竞赛计划) with their occupations (工种), registration window and dates. A person confirms
their identity once against the verified real name (个人身份信息确认), keeps 个人基本信息 with
an ID photo (uploaded and cropped in files) for every later registration, registers for a
published competition (报名: occupation, 保存, photo, 提交审核), and follows the registrations
(已报名竞赛管理). 提交审核 starts bpmn/skills_competition.bpmn, routed to the committee that
published the competition (rencai:unitFrom="competition"); the instance's status is then the
registration's. Its hooks are registered in this package's __init__."""
from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.common.auth import Claims
from services.common.bus import Outbox
from services.common.db import Database, paginate, utcnow
from services.common.errors import Conflict, Forbidden, NotFound, ValidationFailed

from ...model import (STATUS_TITLES, Competition, CompetitionRegistration, Instance, OrgEntry, Task)
from ...routing import org_name
from ...service.base import CHINA, last_reason, public_application
from ...service.definitions import current_definition
from ...service.instances import start_in
from .profile import birth_and_gender, missing_fields, own_profile, person_only

PROCESS = "skills_competition"
STATE_TITLES = {"draft": "未发布", "published": "已发布", "closed": "报名已结束"}
DRAFT = "未提交"
NOT_COMMITTEE = "仅竞赛组委会工作人员可以管理竞赛计划"


def _today() -> date:
    return datetime.now(CHINA).date()


# --- the committee: competition plans -------------------------------------------------------

def _committee_of(claims: Claims) -> str:
    if claims.kind != "staff" or not claims.has_role("committee") or not claims.org:
        raise Forbidden(NOT_COMMITTEE)
    return claims.org


def _own_competition(session: Session, claims: Claims, competition_id: str) -> Competition:
    committee = _committee_of(claims)
    competition = session.get(Competition, competition_id)
    if competition is None or competition.committee_id != committee:
        raise NotFound("竞赛计划不存在")
    return competition


def _check_plan(body: dict) -> None:
    errors = {}
    if body["registration_closes"] < body["registration_opens"]:
        errors["registration_closes"] = "报名截止日期不能早于报名开始日期"
    if body["starts_on"] < body["registration_closes"]:
        errors["starts_on"] = "竞赛开始日期不能早于报名截止日期"
    if body["ends_on"] < body["starts_on"]:
        errors["ends_on"] = "竞赛结束日期不能早于开始日期"
    codes = [o["code"] for o in body["occupations"]]
    if len(set(codes)) != len(codes):
        errors["occupations"] = "职业（工种）代码不能重复"
    if errors:
        raise ValidationFailed("；".join(errors.values()), errors)


def competition_view(session: Session, competition: Competition,
                     registration: CompetitionRegistration | None = None,
                     for_person: bool = False) -> dict:
    view = {"id": competition.id, "name": competition.name, "organiser": competition.organiser,
            "committee_id": competition.committee_id,
            "committee_name": org_name(session, competition.committee_id),
            "description": competition.description, "location": competition.location,
            "registration_opens": competition.registration_opens,
            "registration_closes": competition.registration_closes,
            "starts_on": competition.starts_on, "ends_on": competition.ends_on,
            "occupations": competition.occupations, "state": competition.state,
            "state_title": STATE_TITLES[competition.state],
            "published_at": competition.published_at}
    if for_person:
        view["registration_problem"] = _closed_problem(competition)
        view["registration_id"] = registration.id if registration else None
        view["registration_status"] = _status(session, registration) if registration else None
    return view


def create_competition(db: Database, claims: Claims, body: dict) -> dict:
    """新建竞赛计划 (unpublished until 发布)."""
    committee = _committee_of(claims)
    _check_plan(body)
    with db.transaction() as session:
        now = utcnow()
        competition = Competition(id=str(uuid.uuid4()), committee_id=committee, state="draft",
                                  created_by=claims.sub, created_at=now, updated_at=now, **body)
        session.add(competition)
        session.flush()
        return competition_view(session, competition)


def update_competition(db: Database, claims: Claims, competition_id: str, body: dict) -> dict:
    """修改竞赛计划: only before it is published (people register against what they saw)."""
    _check_plan(body)
    with db.transaction() as session:
        competition = _own_competition(session, claims, competition_id)
        if competition.state != "draft":
            raise Conflict("竞赛计划已发布，不能修改；如需调整请结束报名后发布新的竞赛计划")
        for key, value in body.items():
            setattr(competition, key, value)
        competition.updated_at = utcnow()
        return competition_view(session, competition)


def change_competition_state(db: Database, claims: Claims, competition_id: str, action: str) -> dict:
    """发布 (draft → published) or 结束报名 (published → closed)."""
    source, target = {"publish": ("draft", "published"), "close": ("published", "closed")}[action]
    with db.transaction() as session:
        competition = _own_competition(session, claims, competition_id)
        if competition.state != source:
            raise Conflict(f"竞赛计划当前为“{STATE_TITLES[competition.state]}”，不能"
                           f"{'发布' if action == 'publish' else '结束报名'}")
        competition.state, competition.updated_at = target, utcnow()
        if action == "publish":
            competition.published_at = competition.updated_at
        return competition_view(session, competition)


def competition_plans(db: Database, claims: Claims, page: int, per_page: int) -> dict:
    """个人竞赛计划列表 for a person (published plans, with their own registration); the
    committee's staff see all of their committee's plans."""
    with db.reading() as session:
        if claims.kind == "person":
            query = select(Competition).where(Competition.state != "draft")
        else:
            query = select(Competition).where(Competition.committee_id == _committee_of(claims))
        query = query.order_by(Competition.registration_closes.desc(), Competition.id)
        result = paginate(session, query, page, per_page)
        mine = {}
        if claims.kind == "person":
            mine = {r.competition_id: r for r in session.scalars(
                select(CompetitionRegistration).where(
                    CompetitionRegistration.person_id == claims.sub,
                    CompetitionRegistration.competition_id.in_([c.id for c in result["items"]])))}
        result["items"] = [competition_view(session, c, mine.get(c.id), claims.kind == "person")
                           for c in result["items"]]
    return result


def competition_detail(db: Database, claims: Claims, competition_id: str) -> dict:
    with db.reading() as session:
        competition = session.get(Competition, competition_id)
        if competition is None:
            raise NotFound("竞赛计划不存在")
        if claims.kind == "person":
            if competition.state == "draft":
                raise NotFound("竞赛计划不存在")
            return competition_view(session, competition,
                                    _registration_for(session, claims.sub, competition_id), True)
        return competition_view(session, _own_competition(session, claims, competition_id))


def competition_registrations(db: Database, claims: Claims, competition_id: str,
                              status: str | None, occupation_code: str | None, page: int,
                              per_page: int) -> dict:
    """报名审核列表: every submitted registration with its status (ID numbers and phones
    masked; the committee's inbox task shows the whole registration)."""
    with db.reading() as session:
        _own_competition(session, claims, competition_id)
        query = (select(CompetitionRegistration)
                 .join(Instance, Instance.id == CompetitionRegistration.instance_id)
                 .where(CompetitionRegistration.competition_id == competition_id))
        if status:
            query = query.where(Instance.stage == status)
        if occupation_code:
            query = query.where(CompetitionRegistration.occupation_code == occupation_code)
        query = query.order_by(Instance.started_at, CompetitionRegistration.id)
        result = paginate(session, query, page, per_page)
        result["items"] = [registration_view(session, r) for r in result["items"]]
    return result


# --- 报名 ----------------------------------------------------------------------------------

def _closed_problem(competition: Competition) -> str | None:
    """Why one cannot register now, or None."""
    if competition.state == "closed":
        return "该竞赛报名已结束"
    today = _today()
    if today < competition.registration_opens:
        return f"报名尚未开始，报名时间为 {competition.registration_opens} 至 " \
               f"{competition.registration_closes}"
    if today > competition.registration_closes:
        return f"报名已截止（截止日期 {competition.registration_closes}）"
    return None


def _open_competition(session: Session, competition_id: str) -> Competition:
    competition = session.get(Competition, competition_id)
    if competition is None or competition.state == "draft":
        raise NotFound("竞赛计划不存在")
    problem = _closed_problem(competition)
    if problem:
        raise Conflict(problem)
    return competition


def _find_occupation(competition: Competition, code: str) -> dict | None:
    return next((o for o in competition.occupations if o["code"] == code), None)


def _occupation(competition: Competition, code: str, level: str | None) -> dict:
    """The plan's occupation of that code, the level one it runs; or 422 naming the field."""
    occupation = _find_occupation(competition, code)
    if occupation is None:
        raise ValidationFailed("请从本次竞赛开展的职业（工种）中选择",
                               {"occupation_code": "不是本次竞赛开展的职业（工种）"})
    if level and occupation.get("levels") and level not in occupation["levels"]:
        raise ValidationFailed("请选择该职业（工种）开展的等级",
                               {"level": "应为：" + "、".join(occupation["levels"])})
    return occupation


def _registration_for(session: Session, person_id: str,
                      competition_id: str) -> CompetitionRegistration | None:
    return session.scalars(select(CompetitionRegistration).where(
        CompetitionRegistration.person_id == person_id,
        CompetitionRegistration.competition_id == competition_id)).first()


def _own_registration(session: Session, claims: Claims,
                      registration_id: str) -> CompetitionRegistration:
    person_only(claims)
    registration = session.get(CompetitionRegistration, registration_id)
    if registration is None or registration.person_id != claims.sub:
        raise NotFound("报名信息不存在")
    return registration


def _instance_of(session: Session, registration: CompetitionRegistration) -> Instance | None:
    """The instance 提交审核 started, None while the registration is a draft."""
    return session.get(Instance, registration.instance_id) if registration.instance_id else None


def _editable(session: Session, registration: CompetitionRegistration) -> None:
    """Unsubmitted or withdrawn (撤回 before review: a draft again) may change; a submitted
    one changes only through the committee's return."""
    instance = _instance_of(session, registration)
    if instance is None:
        return
    if instance.status == "withdrawn":
        registration.instance_id = None
        return
    if instance.status == "returned":
        raise Conflict("报名已被退回，请在待办中的“修改报名信息”里修改后重新提交")
    raise Conflict(f"报名已提交（{instance.stage}），不能修改")


def save_registration(db: Database, claims: Claims, competition_id: str, body: dict) -> dict:
    """报名 → 保存: the registration for this competition (one per person), kept unsubmitted
    until 提交审核."""
    with db.transaction() as session:
        own_profile(session, claims)
        competition = _open_competition(session, competition_id)
        _occupation(competition, body["occupation_code"], body.get("level"))
        registration = _registration_for(session, claims.sub, competition_id)
        now = utcnow()
        if registration is None:
            registration = CompetitionRegistration(
                id=str(uuid.uuid4()), competition_id=competition_id, person_id=claims.sub,
                created_at=now)
            session.add(registration)
        else:
            _editable(session, registration)
        registration.occupation_code = body.pop("occupation_code")
        registration.details = {k: v for k, v in body.items() if v not in (None, "")}
        registration.updated_at = now
        try:
            session.flush()
        except IntegrityError:  # the same person saved a moment ago in another tab
            raise Conflict("您已报名该竞赛，请在“已报名竞赛管理”中查看") from None
        return registration_view(session, registration, owner=True)


def set_registration_photo(db: Database, claims: Claims, registration_id: str,
                           file_id: str) -> dict:
    """保存并上传照片 → 上传 → 裁切照片: this competition's photo (default: the profile's)."""
    with db.transaction() as session:
        registration = _own_registration(session, claims, registration_id)
        _editable(session, registration)
        registration.photo_file_id, registration.updated_at = file_id, utcnow()
        return registration_view(session, registration, owner=True)


def submit_registration(db: Database, outbox: Outbox, claims: Claims,
                        registration_id: str) -> dict:
    """提交审核: the registration with a copy of 个人基本信息 goes to the committee."""
    with db.transaction() as session:
        registration = _own_registration(session, claims, registration_id)
        _editable(session, registration)
        profile = own_profile(session, claims)
        competition = _open_competition(session, registration.competition_id)
        occupation = _occupation(competition, registration.occupation_code,
                                 registration.details.get("level"))
        missing = missing_fields(profile)
        photo = registration.photo_file_id or profile.photo_file_id
        if not photo:
            missing["photo_file_id"] = "请上传本次竞赛用的个人证件照片"
        if missing:
            raise ValidationFailed("报名信息尚未填写完整：" + "；".join(missing.values()), missing)
        application = {"competition_id": competition.id, "competition_name": competition.name,
                       "occupation_code": occupation["code"],
                       "occupation_name": occupation["name"], **registration.details,
                       "name": profile.name, "id_number": profile.id_number,
                       "phone": profile.phone, **birth_and_gender(profile.id_number),
                       **profile.details,
                       "photo_file_id": photo, "attachment_ids": [photo]}
        definition = current_definition(session, PROCESS)
        if definition is None:
            raise NotFound("技能竞赛报名业务未开放")
        instance = start_in(session, outbox, claims, definition, application,
                            business_key=registration.id, entry=PROCESS)
        registration.instance_id = instance.id
        return registration_view(session, registration, owner=True)


def on_revise(session: Session, settings, instance: Instance, data: dict) -> dict:
    """The person's 修改报名信息 after a return: the occupation must still be one of the
    competition's; the photo is what files locks."""
    competition = session.get(Competition, instance.application["competition_id"])
    occupation = _occupation(competition, data["occupation_code"], data.get("level"))
    photo = data.get("photo_file_id") or instance.application.get("photo_file_id")
    return {**data, "occupation_name": occupation["name"], "photo_file_id": photo,
            "attachment_ids": [photo]}


# --- 已报名竞赛管理 --------------------------------------------------------------------------

def _status(session: Session, registration: CompetitionRegistration) -> str:
    instance = _instance_of(session, registration)
    if instance is None:
        return DRAFT
    if instance.status == "withdrawn":
        return STATUS_TITLES["withdrawn"]
    return instance.stage


def registration_view(session: Session, registration: CompetitionRegistration,
                      owner: bool = False) -> dict:
    """One registration: the draft's fields until submitted, then what was submitted (with
    the committee's reason after a return or rejection)."""
    competition = session.get(Competition, registration.competition_id)
    instance = _instance_of(session, registration)
    view = {"id": registration.id, "competition_id": competition.id,
            "competition_name": competition.name, "starts_on": competition.starts_on,
            "ends_on": competition.ends_on, "status": _status(session, registration),
            "instance_id": instance.id if instance else None,
            "created_at": registration.created_at, "updated_at": registration.updated_at,
            "submitted_at": instance.started_at if instance else None}
    if instance is not None and instance.status != "withdrawn":
        submitted = public_application(instance.application) or {}
        view["details"] = {k: v for k, v in submitted.items() if k != "attachment_ids"}
        view["reason"] = last_reason(session, instance)
        view["revise_task_id"] = session.scalar(select(Task.id).where(
            Task.instance_id == instance.id, Task.lane == "applicant",
            Task.status == "ready")) if owner else None
    else:
        occupation = _find_occupation(competition, registration.occupation_code) or {}
        view["details"] = {"occupation_code": registration.occupation_code,
                           "occupation_name": occupation.get("name"), **registration.details,
                           "photo_file_id": registration.photo_file_id}
        view["reason"] = view["revise_task_id"] = None
    return view


def my_registrations(db: Database, claims: Claims, page: int, per_page: int) -> dict:
    """已报名竞赛计划列表: the person's registrations, newest first."""
    person_only(claims)
    with db.reading() as session:
        query = (select(CompetitionRegistration)
                 .where(CompetitionRegistration.person_id == claims.sub)
                 .order_by(CompetitionRegistration.created_at.desc(),
                           CompetitionRegistration.id))
        result = paginate(session, query, page, per_page)
        result["items"] = [registration_view(session, r, owner=True) for r in result["items"]]
    return result


def registration_detail(db: Database, claims: Claims, registration_id: str) -> dict:
    """查看: the registration as submitted, its status and the committee's reason."""
    with db.reading() as session:
        return registration_view(session, _own_registration(session, claims, registration_id),
                                 owner=True)


def committee_of_application(session: Session, claims: Claims, application: dict) -> str:
    """rencai:unitFrom="competition": the committee that published the competition."""
    competition = session.get(Competition, str(application.get("competition_id") or ""))
    if competition is None or session.get(OrgEntry, competition.committee_id) is None:
        raise NotFound("竞赛计划不存在", {"competition_id": "竞赛计划不存在"})
    return competition.committee_id
