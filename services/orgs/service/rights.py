"""The person's rights over what orgs holds (PIPL arts. 45, 47): their part of the export,
and what closing their account does here (docs/personal-data.md)."""
from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from services.common.auth import Claims
from services.common.db import Database, utcnow
from services.common.personal import as_record, as_records, mask_name

from ..model import Affiliation, BusinessInProgress, PersonProfile

CLOSED_REASON = "账号已注销"


def export(db: Database, claims: Claims) -> dict:
    """The caller's links to units (requests, approvals, unlinking; position and contract),
    the profile units see, and their businesses in progress as orgs knows them."""
    me = claims.sub
    with db.reading() as session:
        return {
            "affiliations": as_records(session.scalars(
                select(Affiliation).where(Affiliation.person_id == me)
                .order_by(Affiliation.requested_at))),
            "person_profile": [as_record(row) for row in [session.get(PersonProfile, me)]
                               if row],
            "businesses_in_progress": as_records(session.scalars(
                select(BusinessInProgress).where(BusinessInProgress.applicant_id == me))),
        }


def on_account_closed(session: Session, envelope: dict) -> None:
    """Consumer of identity.account.closed: the unit links stay as records with the name
    masked and the ID and phone numbers erased; an open link ends; the profile is deleted."""
    person = envelope["data"]["account_id"]
    for affiliation in session.scalars(select(Affiliation).where(
            Affiliation.person_id == person)):
        affiliation.person_name = mask_name(affiliation.person_name) or ""
        affiliation.id_number = affiliation.id_number_index = affiliation.phone = None
        affiliation.open_person_id = None
        if affiliation.status == "approved":
            affiliation.status, affiliation.unlinked_at = "unlinked", utcnow()
            affiliation.unlink_reason = CLOSED_REASON
        elif affiliation.status == "pending":
            affiliation.status, affiliation.decided_at = "rejected", utcnow()
            affiliation.decision_comment = CLOSED_REASON
    session.execute(delete(PersonProfile).where(PersonProfile.person_id == person))
