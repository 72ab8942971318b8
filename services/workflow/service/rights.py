"""The person's rights over what workflow holds (PIPL arts. 45, 47): their applications and
what happened to them, for the export, and what closing their account does here: the
applications stay as records with the name masked (docs/personal-data.md)."""
from __future__ import annotations

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from services.common.auth import Claims
from services.common.db import Database
from services.common.personal import as_record, as_records, mask_name, masked_copy

from .. import hooks
from ..model import (AuditEntry, Instance, PersonRecord, PersonUnit, Prompt, Restriction,
                     SavedFilter, Task)


def export(db: Database, claims: Claims) -> dict:
    """Applications the caller made or that are about them (a unit's for its employee), each
    one's timeline, prompts, what workflow knows of them, and what the businesses hold of them
    (hooks.Business.personal_data, e.g. competition entries)."""
    me = claims.sub
    with db.reading() as session:
        instances = session.scalars(select(Instance).where(
            or_(Instance.applicant_id == me, Instance.subject_id == me))
            .order_by(Instance.started_at)).all()
        ids = [instance.id for instance in instances]
        timeline = session.scalars(select(AuditEntry).where(AuditEntry.instance_id.in_(ids))
                                   .order_by(AuditEntry.id)).all() if ids else []
        return {
            "applications": as_records(instances),
            "application_timeline": as_records(timeline),
            "prompts": as_records(session.scalars(
                select(Prompt).where(Prompt.user_id == me).order_by(Prompt.created_at))),
            "person_record": [as_record(row) for row in [session.get(PersonRecord, me)] if row],
            "restrictions": as_records(session.scalars(
                select(Restriction).where(Restriction.subject_id == me))),
            **hooks.personal_data(session, me),
        }


def on_account_closed(session: Session, envelope: dict) -> None:
    """Consumer of identity.account.closed."""
    me = envelope["data"]["account_id"]
    for instance in session.scalars(select(Instance).where(Instance.applicant_id == me)):
        instance.applicant_name = mask_name(instance.applicant_name) or ""
        instance.application = masked_copy(instance.application)
    for entry in session.scalars(select(AuditEntry).where(AuditEntry.actor_id == me)):
        entry.actor_name = mask_name(entry.actor_name) or ""
    for task in session.scalars(select(Task).where(Task.completed_by == me)):
        task.completed_by_name = mask_name(task.completed_by_name)
    hooks.forget(session, me)  # what the businesses hold of the person
    for model, column in ((PersonRecord, PersonRecord.person_id),
                          (PersonUnit, PersonUnit.person_id),
                          (Prompt, Prompt.user_id), (SavedFilter, SavedFilter.user_id)):
        session.execute(delete(model).where(column == me))
