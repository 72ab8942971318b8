"""技能竞赛报名 (seed 004, bpmn/skills_competition.bpmn): competition plans, the competitor's
profile and registrations (service.py, its pages in api.py; its tables stay in workflow's
model and migrations), and the hooks its process needs:

  unit source "competition"  the routing unit is the committee of the competition the
                             registration names (rencai:unitFrom="competition")
  entry                      started only by 报名's 提交审核, not by the general start
  on_resubmit                修改报名信息 after a return: the occupation must still be the
                             competition's; the photo stays what files locks
  personal_data, forget      the competitor's profile and registrations, for the person's
                             export and their account's closing (注销)
"""
from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from services.common.personal import as_record, as_records

from ...hooks import Business, UnitSource, register
from ...model import CompetitionRegistration, CompetitorProfile
from . import service
from .api import contest


def personal_data(session: Session, person_id: str) -> dict:
    return {"competitor_profile": [as_record(row) for row in
                                   [session.get(CompetitorProfile, person_id)] if row],
            "competition_registrations": as_records(session.scalars(
                select(CompetitionRegistration).where(
                    CompetitionRegistration.person_id == person_id)))}


def forget(session: Session, person_id: str) -> None:
    """Unsubmitted registrations go; submitted ones stay as records of their instance (masked
    with it), without the photo; the profile goes."""
    session.execute(delete(CompetitionRegistration).where(
        CompetitionRegistration.person_id == person_id,
        CompetitionRegistration.instance_id.is_(None)))
    session.execute(update(CompetitionRegistration).where(
        CompetitionRegistration.person_id == person_id).values(photo_file_id=None))
    session.execute(delete(CompetitorProfile).where(CompetitorProfile.person_id == person_id))


register(Business(
    name=service.PROCESS,
    unit_sources={"competition": UnitSource(service.committee_of_application,
                                            starters=("person",))},
    entry="/api/workflow/competitions",
    entry_refusal="技能竞赛请在“报名”中选择竞赛，填写报名信息后点击“提交审核”",
    on_resubmit=service.on_revise,
    blueprints=(contest,),
    personal_data=personal_data, forget=forget))
