"""The person's rights over what files holds (PIPL arts. 45, 47): the list of their files
for the export, and what closing their account does here (docs/personal-data.md)."""
from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from services.common.auth import Claims
from services.common.bus import Outbox
from services.common.db import Database
from services.common.personal import as_records

from ..model import Attachment, InstanceAttachment, PersonUnit


def export(db: Database, claims: Claims) -> dict:
    """The files list: every attachment the caller uploaded (also replaced and locked
    ones), and which applications hold which of them. The files themselves stay behind
    their own links (GET /attachments/<id>/content)."""
    with db.reading() as session:
        mine = session.scalars(select(Attachment).where(
            Attachment.owner_kind == "person", Attachment.owner_id == claims.sub)
            .order_by(Attachment.created_at)).all()
        ids = [attachment.id for attachment in mine]
        used = session.scalars(select(InstanceAttachment).where(
            InstanceAttachment.attachment_id.in_(ids))).all() if ids else []
        return {"attachments": as_records(mine), "used_in_applications": as_records(used)}


def on_account_closed(outbox: Outbox):
    def handle(session: Session, envelope: dict) -> None:
        """Consumer of identity.account.closed: files no application holds are deleted (the
        stored object goes with the hourly sweep of objects without a record); files a
        submitted application holds stay as its evidence."""
        person = envelope["data"]["account_id"]
        for attachment in session.scalars(select(Attachment).where(
                Attachment.owner_kind == "person", Attachment.owner_id == person,
                Attachment.locked.is_(False))):
            session.delete(attachment)
            outbox.add(session, "files.attachment.deleted", attachment.id,
                       {"attachment_id": attachment.id, "owner_id": person})
        session.execute(delete(PersonUnit).where(PersonUnit.person_id == person))

    return handle
