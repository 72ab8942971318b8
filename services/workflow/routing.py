"""From lanes to inboxes: a lane names a role; the instance's context (the applicant and
their unit) and the read model of the org hierarchy make it a concrete candidate group,
e.g. 'supervisor:<id of the unit's supervising body>'. And the other lookups in workflow's
read model of orgs, identity and files (kept by the consumers in events.py)."""
from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from services.common.errors import Conflict

from .model import (LANE_TITLES, AttachmentEntry, Instance, OrgEntry, PersonRecord, PersonUnit,
                    UnitPermission)


def unit_of(session: Session, person_id: str) -> str | None:
    """The unit the person is affiliated with (approved), or None. (One row per person:
    `session.get` reads it once per use case, however many checks ask.)"""
    row = session.get(PersonUnit, person_id)
    return row.unit_id if row is not None and row.status == "approved" else None


def pending_unit_of(session: Session, person_id: str) -> str | None:
    """The unit the person has asked to join and that has not decided yet, or None."""
    row = session.get(PersonUnit, person_id)
    return row.unit_id if row is not None and row.status == "pending" else None


def unit_by_association_code(session: Session, code: str) -> OrgEntry | None:
    code = code.strip().upper().replace(" ", "").replace("-", "")
    return session.scalars(select(OrgEntry).where(OrgEntry.association_code == code,
                                                  OrgEntry.kind == "unit")).first()


def _org(session: Session, org_id: str | None, what: str) -> OrgEntry:
    org = session.get(OrgEntry, org_id) if org_id else None
    if org is None:
        raise Conflict(f"无法确定{what}，请联系管理员核实单位的归口关系")
    return org


def candidate_group(session: Session, lane: str, instance: Instance) -> str:
    if lane == "applicant":
        if instance.applicant_kind == "unit":  # a unit applied: its returns go to the unit
            return f"unit:{instance.unit_id}"
        return f"person:{instance.applicant_id}"
    if lane == "admin":  # the platform's administrators (管理员) act for the city bureau
        bureau = session.scalars(select(OrgEntry).where(OrgEntry.kind == "bureau")
                                 .order_by(OrgEntry.org_id)).first()
        return f"admin:{_org(session, bureau.org_id if bureau else None, '市局').org_id}"
    unit = _org(session, instance.unit_id, "申请人所在单位")
    if lane == "committee":  # the competition's committee is the instance's routing org
        if unit.kind != "committee":
            raise Conflict("无法确定竞赛组委会，请联系管理员核实竞赛的主办组委会")
        return f"committee:{unit.org_id}"
    if lane == "unit":
        return f"unit:{unit.org_id}"
    if lane == "district":  # the district office of the unit's registered district
        district = session.get(OrgEntry, unit.district_id) if unit.district_id else None
        if district is None:
            raise Conflict("无法确定单位注册地所在区的区委人才办，请联系管理员核实单位的所属区")
        return f"district:{district.org_id}"
    supervisor = _org(session, unit.parent_id, "单位的归口单位")
    if lane == "supervisor":
        return f"supervisor:{supervisor.org_id}"
    bureau = _org(session, supervisor.parent_id, "市局")
    if lane == "bureau":
        return f"bureau:{bureau.org_id}"
    if lane == "expert":
        pool = session.scalars(select(OrgEntry).where(OrgEntry.kind == "expert_pool",
                                                      OrgEntry.parent_id == bureau.org_id)
                               .order_by(OrgEntry.org_id)).first()
        return f"expert:{_org(session, pool.org_id if pool else None, '评审专家库').org_id}"
    raise Conflict(f"流程泳道 {lane} 无法分配审核人")


def holder_title(session: Session, group: str) -> str:
    """'归口单位：市科学技术委员会' for 'supervisor:<id>'; '申请人' for the applicant."""
    lane, _, org_id = group.partition(":")
    org = session.get(OrgEntry, org_id) if lane != "person" else None
    return _group_title(lane, org.name if org else None)


def holder_titles(session: Session, groups: set[str]) -> dict[str, str]:
    """`holder_title` of several groups (an inbox page's), their orgs' names in one statement
    built once: a `session.get` per group, even with the org in the identity map, cost a
    tenth of a list, and loading the whole org row a fifth."""
    lanes = {group: group.partition(":") for group in groups}
    wanted = sorted({org for lane, _, org in lanes.values() if lane != "person"})
    names = dict(session.execute(_ORG_NAMES, {"ids": wanted}).all()) if wanted else {}
    return {group: _group_title(lane, names.get(org)) for group, (lane, _, org) in lanes.items()}


_ORG_NAMES = select(OrgEntry.org_id, OrgEntry.name).where(
    OrgEntry.org_id.in_(bindparam("ids", expanding=True)))


def _group_title(lane: str, org_name: str | None) -> str:
    if lane == "person":
        return LANE_TITLES["applicant"]
    title = LANE_TITLES.get(lane, lane)
    return f"{title}：{org_name}" if org_name is not None else title


def shown_name(session: Session, claims) -> str:
    """The name units and reviewers see for an account: a person's verified real name (from
    identity.person.verified, which reaches workflow before the verification answers) even
    when their token predates it; a unit's registered name; else the token's name."""
    if claims.kind == "person":
        record = session.get(PersonRecord, claims.sub)
        if record is not None and record.real_name:
            return record.real_name
    elif claims.kind == "unit" and claims.org:
        org = session.get(OrgEntry, claims.org)
        if org is not None and org.kind == "unit":
            return org.name
    return claims.name


def org_name(session: Session, org_id: str | None) -> str | None:
    org = session.get(OrgEntry, org_id) if org_id else None
    return org.name if org else None


def permission_of(session: Session, unit_id: str | None, business: str) -> UnitPermission | None:
    return session.get(UnitPermission, (unit_id, business)) if unit_id else None


PROFILE_FIELDS = ("name", "gender", "ethnicity", "political_status", "education_level",
                  "photo_file_id", "education", "work_history")


def person_basics(session: Session, person_id: str) -> dict:
    """What workflow knows of a person, for prefilled forms: the verified name, the submitted
    profile's fields (None where the profile is not submitted) and the unit's name."""
    record = session.get(PersonRecord, person_id)
    profile = (record.profile if record else None) or {}
    unit = unit_of(session, person_id)
    return {**{key: profile.get(key) for key in PROFILE_FIELDS},
            "name": (record.real_name if record else None) or profile.get("name"),
            "unit_name": org_name(session, unit) if unit else None,
            "profile_complete": bool(profile)}


def attachments_known(session: Session, ids: list[str]) -> dict[str, AttachmentEntry]:
    """{id: entry} of the files workflow has heard of among `ids`."""
    ids = [i for i in ids if isinstance(i, str)]
    return {row.attachment_id: row for row in session.scalars(
        select(AttachmentEntry).where(AttachmentEntry.attachment_id.in_(ids)))} if ids else {}
