"""Who may see an attachment besides its owner, and how the gateway serves it.

The read model comes from workflow's events (services/files/events.py): a submitted or
resubmitted application locks the attachments it references (instance_attachment), and
every task the application opens grants that task's candidate group read access to them
(instance_reviewer). A reviewer whose claims.groups include a granted group may view them,
directly or through a short-lived signed link the gateway serves without a bearer token.
"""
from __future__ import annotations

import logging

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common import audit
from services.common.auth import Claims
from services.common.db import Database, utcnow
from services.common.errors import DomainError, NotFound

from ..model import Attachment, InstanceAttachment, InstanceReviewer, OrgName, PersonUnit
from .attachments import NOT_FOUND, Owner, owns

log = logging.getLogger("rencai.files")
LINK_SALT = "rencai-files-link"


class Gone(DomainError):
    status, code, title = 410, "gone", "链接已失效"


def _reviewer_may_view(session: Session, claims: Claims, attachment_id: str) -> bool:
    groups = sorted(claims.groups)
    if not groups:
        return False
    return session.scalar(
        select(InstanceAttachment.instance_id)
        .join(InstanceReviewer, InstanceReviewer.instance_id == InstanceAttachment.instance_id)
        .where(InstanceAttachment.attachment_id == attachment_id,
               InstanceReviewer.candidate_group.in_(groups)).limit(1)) is not None


def viewable(session: Session, claims: Claims, attachment_id: str) -> Attachment:
    """The attachment if the caller owns it or reviews an application referencing it."""
    attachment = session.get(Attachment, attachment_id)
    if attachment is None or not (owns(claims, attachment)
                                  or _reviewer_may_view(session, claims, attachment_id)):
        raise NotFound(NOT_FOUND)
    return attachment


def get_attachment(db: Database, claims: Claims, attachment_id: str) -> Attachment:
    with db.reading() as session:
        return viewable(session, claims, attachment_id)


def _record_view(session: Session, attachment: Attachment, claims: Claims | None,
                 via: str) -> None:
    audit.record(session, "attachment.viewed", "attachment", attachment.id,
                 subject_id=attachment.owner_id, claims=claims,
                 actor_kind=None if claims else "anonymous",
                 detail={"via": via, "category": attachment.category,
                         "owner_kind": attachment.owner_kind})


def view(db: Database, claims: Claims, attachment_id: str) -> Attachment:
    """The content's attachment for viewing: a reviewer's (anyone's but the owner's) view of
    a personal document is on the audit log."""
    with db.transaction() as session:
        attachment = viewable(session, claims, attachment_id)
        if not owns(claims, attachment):
            _record_view(session, attachment, claims, "reviewer")
        return attachment


def of_instance(db: Database, claims: Claims, instance_id: str) -> list[Attachment]:
    """The attachments an application referenced, for its reviewers and its applicant."""
    with db.reading() as session:
        granted = session.scalar(select(InstanceReviewer.instance_id).where(
            InstanceReviewer.instance_id == instance_id,
            InstanceReviewer.candidate_group.in_(sorted(claims.groups) or [""])).limit(1))
        attachments = list(session.scalars(
            select(Attachment).join(InstanceAttachment,
                                    InstanceAttachment.attachment_id == Attachment.id)
            .where(InstanceAttachment.instance_id == instance_id)
            .order_by(Attachment.category, Attachment.created_at)))
    if granted is None and not (attachments and all(owns(claims, a) for a in attachments)):
        raise NotFound("申请不存在或无权查看其附件")
    return attachments


# --- signed links ---------------------------------------------------------------------------

def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=LINK_SALT)


def make_link(db: Database, secret: str, seconds: int, claims: Claims,
              attachment_id: str) -> dict:
    with db.transaction() as session:
        attachment = viewable(session, claims, attachment_id)
        # A link opens the file without signing in: who made one is on the audit log.
        audit.record(session, "attachment.link_created", "attachment", attachment.id,
                     subject_id=attachment.owner_id, claims=claims,
                     detail={"expires_in": seconds})
    token = _serializer(secret).dumps({"a": attachment.id, "s": attachment.sha256[:16]})
    return {"url": f"/api/files/signed/{token}", "expires_in": seconds}


def resolve_link(db: Database, secret: str, seconds: int, token: str) -> Attachment:
    try:
        data = _serializer(secret).loads(token, max_age=seconds)
    except SignatureExpired:
        raise Gone("链接已过期，请重新打开附件")
    except BadSignature:
        raise NotFound("链接无效")
    with db.transaction() as session:
        attachment = session.get(Attachment, data.get("a"))
        if attachment is None or attachment.sha256[:16] != data.get("s"):
            raise NotFound(NOT_FOUND)
        _record_view(session, attachment, None, "signed-link")
    return attachment


# --- consumers of workflow's events ---------------------------------------------------------

def on_application_submitted(session: Session, envelope: dict) -> None:
    """workflow.instance.started / resubmitted: lock what the application references.
    Only the applicant's own attachments count (a unit's when a unit applied); other ids are
    ignored (and logged)."""
    data = envelope["data"]
    instance_id = data["instance_id"]
    applicant = Owner("unit", data.get("unit_id")) if data.get("applicant_kind") == "unit" \
        else Owner("person", data.get("applicant_id"))
    for attachment_id in dict.fromkeys(data.get("attachment_ids") or []):
        attachment = session.get(Attachment, attachment_id)
        if attachment is None or (attachment.owner_kind, attachment.owner_id) != \
                (applicant.kind, applicant.id):
            log.warning("instance %s references attachment %s the applicant does not own",
                        instance_id, attachment_id)
            continue
        attachment.locked = True
        if session.get(InstanceAttachment, (instance_id, attachment_id)) is None:
            session.add(InstanceAttachment(instance_id=instance_id, attachment_id=attachment_id,
                                           locked_at=utcnow()))


def on_task_created(session: Session, envelope: dict) -> None:
    """workflow.task.created: the task's candidate group may read the instance's files.
    One insert that ignores an existing grant: a check then an insert raced when two tasks of
    one group (an expert panel) were delivered at once — both found none, one failed with
    UNIQUE constraint failed: instance_reviewer and its event was retried."""
    data = envelope["data"]
    row = {"instance_id": data["instance_id"], "candidate_group": data["candidate_group"],
           "granted_at": utcnow()}
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # no portable "insert or ignore": check, then insert
        if session.get(InstanceReviewer, (row["instance_id"], row["candidate_group"])) is None:
            session.add(InstanceReviewer(**row))
        return
    session.execute(insert(InstanceReviewer).values(**row).on_conflict_do_nothing())


# --- consumers of orgs' events (names for the default file name) ----------------------------

def on_org_registered(session: Session, envelope: dict) -> None:
    """orgs.org.registered / orgs.org.updated: a unit's name."""
    data = envelope["data"]
    session.merge(OrgName(org_id=data["org_id"], name=data["name"]))


def on_affiliation_approved(session: Session, envelope: dict) -> None:
    data = envelope["data"]
    session.merge(PersonUnit(person_id=data["person_id"], unit_id=data["unit_id"]))


def on_affiliation_unlinked(session: Session, envelope: dict) -> None:
    data = envelope["data"]
    link = session.get(PersonUnit, data["person_id"])
    if link is not None and link.unit_id == data.get("unit_id"):
        session.delete(link)


def unit_name_of(session: Session, person_id: str) -> str | None:
    link = session.get(PersonUnit, person_id)
    org = session.get(OrgName, link.unit_id) if link else None
    return org.name if org else None
