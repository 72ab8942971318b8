"""What workflow publishes and what it consumes.

Publishes:
  workflow.instance.started     {instance_id, process_key, title, applicant_id,
                                 applicant_name, applicant_kind, unit_id, subject_id,
                                 business_key, attachment_ids}
  workflow.instance.resubmitted {instance_id, applicant_id, applicant_kind, unit_id,
                                 attachment_ids}
  workflow.instance.withdrawn   {instance_id, process_key, applicant_id, attachment_ids}
  workflow.instance.failed      {instance_id, process_key, error}       (an incident)
  workflow.instance.migrated    {instance_id, from_version, to_version}
  workflow.task.created         {task_id, instance_id, task_key, title, candidate_group,
                                 assignee, due_at}
  workflow.task.completed       {task_id, instance_id, task_key, decision, actor_id}
  workflow.task.reminded        {task_id, instance_id, title, candidate_group, assignee, due_at}
  workflow.timer.fired          {instance_id, timer, name, interrupting}
  workflow.instance.completed   {instance_id, process_key, business_key, title, applicant_id,
                                 applicant_kind, unit_id, subject_id,
                                 outcome (approved | rejected | withdrawn), status,
                                 comment (the last reviewer's opinion or reason),
                                 result (what the process produced, e.g. a permit),
                                 completed_at}
Consumes:
  orgs.org.registered / updated (with association_code, district_id),
  orgs.affiliation.requested / approved / rejected / unlinked,
  orgs.permission.changed (业务权限 of units),
  orgs.unit.certified / certification_rejected     its read model of orgs
  identity.account.created                         staff and experts (colleagues, panels)
  identity.person.verified / rebound,
  identity.profile.completed / updated             its read model of people (identity
                                                   confirmation, prefilled forms)
  files.attachment.uploaded / deleted              whose each file is and its name (form
                                                   attachments checked against files)
  identity.appeal.filed                            starts the processes whose
                                                   rencai:startEvent names it (人工申诉)
  identity.account.notified                        a prompt for that account (its
                                                   real-name binding taken or appealed)
  identity.account.closed                          注销: applications kept as records with
                                                   the name masked; what is only about the
                                                   person deleted (docs/personal-data.md)
  identity.tokens.revoked                          token_denylist: the verifier refuses
                                                   those tokens (services/common/denylist.py)
  workflow.task.created, workflow.instance.completed, workflow.task.reminded
                                                   per-user prompts

The payload schemas below are the contracts (checked at Outbox.add); AT_ONCE names the
consumers that apply an event before the use case answers (services/common/internal.py).
"""
from marshmallow import fields
from sqlalchemy import update
from sqlalchemy.orm import Session

from services.common.app import ServiceKit
from services.common.contracts import Id, Payload, Text, optional, required
from services.common.db import utcnow
from services.common.denylist import TOKENS_REVOKED, record_revoked

from . import engine
from .model import (BUS, AttachmentEntry, AuditEntry, Instance, OrgEntry, PersonRecord,
                    PersonUnit, Prompt, StaffMember, UnitPermission)
from .routing import PROFILE_FIELDS
from .service import rights, triggers


class InstanceStarted(Payload):
    instance_id = required(Id())
    process_key = required(Text())
    title = required(Text())
    applicant_id = required(Id())
    applicant_name = required(Text())
    applicant_kind = required(Text())
    unit_id = optional(Id())
    subject_id = optional(Id())
    business_key = optional(Text())
    attachment_ids = required(fields.List(Id()))


class InstanceResubmitted(Payload):
    instance_id = required(Id())
    applicant_id = required(Id())
    applicant_kind = required(Text())
    unit_id = optional(Id())
    attachment_ids = required(fields.List(Id()))


class InstanceWithdrawn(Payload):
    instance_id = required(Id())
    process_key = required(Text())
    applicant_id = required(Id())
    attachment_ids = required(fields.List(Id()))


class InstanceFailed(Payload):
    instance_id = required(Id())
    process_key = required(Text())
    error = required(Text())


class InstanceMigrated(Payload):
    instance_id = required(Id())
    from_version = required(fields.Integer())
    to_version = required(fields.Integer())


class TaskCreated(Payload):
    task_id = required(Id())
    instance_id = required(Id())
    task_key = required(Text())
    title = required(Text())
    candidate_group = required(Text())
    assignee = optional(Id())
    due_at = optional(Text())


class TaskReminded(Payload):
    task_id = required(Id())
    instance_id = required(Id())
    title = required(Text())
    candidate_group = required(Text())
    assignee = optional(Id())
    due_at = optional(Text())


class TaskCompleted(Payload):
    task_id = required(Id())
    instance_id = required(Id())
    task_key = required(Text())
    decision = optional(Text())
    actor_id = required(Id())


class TimerFired(Payload):
    instance_id = required(Id())
    timer = required(Text())
    name = optional(Text())
    interrupting = required(fields.Boolean())


class InstanceCompleted(Payload):
    instance_id = required(Id())
    process_key = required(Text())
    business_key = optional(Text())
    title = required(Text())
    applicant_id = required(Id())
    applicant_kind = required(Text())
    unit_id = optional(Id())
    subject_id = optional(Id())
    outcome = optional(Text())
    status = required(Text())
    comment = optional(Text())
    decided_by = optional(Id())
    result = optional(fields.Dict())
    completed_at = required(Text())


PUBLISHES = {
    "workflow.instance.started": InstanceStarted,
    "workflow.instance.resubmitted": InstanceResubmitted,
    "workflow.instance.withdrawn": InstanceWithdrawn,
    "workflow.instance.failed": InstanceFailed,
    "workflow.instance.migrated": InstanceMigrated,
    "workflow.instance.completed": InstanceCompleted,
    "workflow.task.created": TaskCreated,
    "workflow.task.completed": TaskCompleted,
    "workflow.task.reminded": TaskReminded,
    "workflow.timer.fired": TimerFired,
}
# Applied by these consumers before the use case answers (services/common/internal.py): the
# files a submitted application references are locked and open to its reviewers when the
# submit (or the step that made the task) answers; a business's end is in orgs (业务权限,
# affiliation) and in the applicant's records when the deciding reviewer's answer comes.
AT_ONCE = {
    "workflow.instance.started": ("files", "orgs"),
    "workflow.instance.resubmitted": ("files",),
    "workflow.task.created": ("files",),
    "workflow.instance.completed": ("orgs", "identity"),
}


# --- consumers keeping the read model --------------------------------------------------------

def on_org_registered(session: Session, envelope: dict) -> None:
    data = envelope["data"]
    session.merge(OrgEntry(org_id=data["org_id"], kind=data["kind"], name=data["name"],
                           parent_id=data.get("parent_id"),
                           association_code=data.get("association_code"),
                           district_id=data.get("district_id")))


def on_unit_certified(session: Session, envelope: dict) -> None:
    """orgs.unit.certified: the unit passed 单位认证 (业务权限开通 needs it)."""
    org = session.get(OrgEntry, envelope["data"]["unit_id"])
    if org is None:  # the registration is still on its way: let the bus retry
        raise LookupError(f"unit {envelope['data']['unit_id']} certified before it was registered")
    org.certified = True


def on_certification_rejected(session: Session, envelope: dict) -> None:
    """orgs.unit.certification_rejected: staff refused the (re-)certification."""
    org = session.get(OrgEntry, envelope["data"]["unit_id"])
    if org is not None:
        org.certified = False


def on_permission_changed(session: Session, envelope: dict) -> None:
    """orgs.permission.changed: a unit's 业务权限 (the eligibility of rencai:permission)."""
    data = envelope["data"]
    session.merge(UnitPermission(unit_id=data["unit_id"], business=data["business"],
                                 state=data["state"], reason=data.get("reason"),
                                 updated_at=utcnow()))


def on_affiliation_requested(session: Session, envelope: dict) -> None:
    data = envelope["data"]
    row = session.get(PersonUnit, data["person_id"])
    if row is None:
        session.add(PersonUnit(person_id=data["person_id"], unit_id=data["unit_id"],
                               status="pending"))


def on_affiliation_approved(session: Session, envelope: dict) -> None:
    data = envelope["data"]
    session.merge(PersonUnit(person_id=data["person_id"], unit_id=data["unit_id"],
                             status="approved"))


def on_affiliation_unlinked(session: Session, envelope: dict) -> None:
    """orgs.affiliation.unlinked and .rejected: the link (approved or pending) is gone."""
    data = envelope["data"]
    row = session.get(PersonUnit, data["person_id"])
    if row is not None and row.unit_id == data["unit_id"]:
        session.delete(row)


def on_account_created(session: Session, envelope: dict) -> None:
    """Staff and unit accounts: who belongs to which group (colleagues, expert pools)."""
    data = envelope["data"]
    if data.get("kind") not in ("staff", "unit"):
        return
    session.merge(StaffMember(account_id=data["account_id"], kind=data["kind"],
                              name=data.get("display_name") or "", org_id=data.get("org_id"),
                              roles=list(data.get("roles") or [])))


def _person(session: Session, person_id: str) -> PersonRecord:
    row = session.get(PersonRecord, person_id)
    if row is None:
        row = PersonRecord(person_id=person_id)
        session.add(row)
    return row


def on_person_verified(session: Session, envelope: dict) -> None:
    """identity.person.verified: the real name and the ID number's blind index."""
    data = envelope["data"]
    row = _person(session, data["account_id"])
    row.real_name, row.id_number_index = data.get("name"), data.get("id_number_index")
    if data.get("method") != "rekeyed" or row.verified_at is None:  # a PII key rotation
        row.verified_at = utcnow()
    # Reviewers see the verified name on what the person submitted before verifying, too.
    session.execute(update(Instance).where(Instance.applicant_id == data["account_id"])
                    .values(applicant_name=data["name"]))
    session.execute(update(AuditEntry).where(AuditEntry.actor_id == data["account_id"])
                    .values(actor_name=data["name"]))


def on_person_rebound(session: Session, envelope: dict) -> None:
    """identity.person.rebound: the released account no longer holds the ID number."""
    row = session.get(PersonRecord, envelope["data"]["released_account_id"])
    if row is not None:
        row.real_name = row.id_number_index = row.verified_at = None


def on_profile_submitted(session: Session, envelope: dict) -> None:
    """identity.profile.completed / updated: what forms are prefilled from."""
    data = envelope["data"]
    row = _person(session, data["account_id"])
    row.profile = {key: data.get(key) for key in PROFILE_FIELDS}
    row.profile_updated_at = utcnow()


def on_attachment_uploaded(session: Session, envelope: dict) -> None:
    data = envelope["data"]
    session.merge(AttachmentEntry(attachment_id=data["attachment_id"], owner_id=data["owner_id"],
                                  category=data.get("category") or "",
                                  name=data.get("name") or ""))


def on_attachment_deleted(session: Session, envelope: dict) -> None:
    row = session.get(AttachmentEntry, envelope["data"]["attachment_id"])
    if row is not None:
        session.delete(row)


# --- consumers of workflow's own events -----------------------------------------------------

OUTCOME_PROMPTS = {"approved": "您的申请“{title}”已审核通过",
                   "rejected": "您的申请“{title}”未通过审核，请查看审核意见",
                   "withdrawn": "您已撤回申请“{title}”"}


def on_task_created(session: Session, envelope: dict) -> None:
    data = envelope["data"]
    lane, _, person = (data.get("candidate_group") or "").partition(":")
    if lane != "person":
        return
    instance = session.get(Instance, data["instance_id"])
    title = instance.title if instance else data.get("title", "")
    text = f"您的申请“{title}”已进入“{data.get('title', '')}”阶段，请及时办理" \
        if engine.is_declaration(data.get("task_key") or "") else \
        f"您的申请“{title}”已被退回，请修改后重新提交"
    session.add(Prompt(user_id=person, instance_id=data["instance_id"], created_at=utcnow(),
                       text=text))


SUBJECT_PROMPTS = {"approved": "单位为您申请的“{title}”已审核通过",
                   "rejected": "单位为您申请的“{title}”未通过审核"}


def on_instance_completed(session: Session, envelope: dict) -> None:
    data = envelope["data"]
    text = OUTCOME_PROMPTS.get(data.get("outcome"))
    if text:
        session.add(Prompt(user_id=data["applicant_id"], instance_id=data["instance_id"],
                           created_at=utcnow(), text=text.format(title=data.get("title", ""))))
    subject_text = SUBJECT_PROMPTS.get(data.get("outcome"))
    if data.get("subject_id") and subject_text:  # the person a unit applied for hears too
        session.add(Prompt(user_id=data["subject_id"], instance_id=data["instance_id"],
                           created_at=utcnow(),
                           text=subject_text.format(title=data.get("title", ""))))


def on_account_notified(session: Session, envelope: dict) -> None:
    """identity.account.notified: identity tells an account something about its security
    (its real-name binding was taken by 换绑 or is under 人工申诉): a prompt on its pages."""
    data = envelope["data"]
    session.add(Prompt(user_id=data["account_id"], instance_id=None, created_at=utcnow(),
                       text=str(data.get("text") or "")[:500]))


def on_task_reminded(session: Session, envelope: dict) -> None:
    """A reviewer who holds a task gets a prompt when its time limit draws near."""
    data = envelope["data"]
    if data.get("assignee"):
        session.add(Prompt(user_id=data["assignee"], instance_id=data["instance_id"],
                           created_at=utcnow(),
                           text=f"待办任务“{data.get('title', '')}”即将超过规定时限，请尽快办理"))


def handlers(kit: ServiceKit) -> dict:
    def start_from_event(session, envelope):
        triggers.start_from_event(session, kit.outbox, envelope)

    return {
        **{event: start_from_event for event in triggers.START_EVENTS},
        "orgs.org.registered": on_org_registered,
        "orgs.org.updated": on_org_registered,
        "orgs.affiliation.approved": on_affiliation_approved,
        "orgs.affiliation.requested": on_affiliation_requested,
        "orgs.affiliation.rejected": on_affiliation_unlinked,
        "orgs.affiliation.unlinked": on_affiliation_unlinked,
        "orgs.permission.changed": on_permission_changed,
        "orgs.unit.certified": on_unit_certified,
        "orgs.unit.certification_rejected": on_certification_rejected,
        "identity.account.created": on_account_created,
        "identity.person.verified": on_person_verified,
        "identity.person.rebound": on_person_rebound,
        "identity.account.notified": on_account_notified,
        "identity.profile.completed": on_profile_submitted,
        "identity.profile.updated": on_profile_submitted,
        "identity.account.closed": rights.on_account_closed,
        "files.attachment.uploaded": on_attachment_uploaded,
        "files.attachment.deleted": on_attachment_deleted,
        "workflow.task.created": on_task_created,
        "workflow.instance.completed": on_instance_completed,
        "workflow.task.reminded": on_task_reminded,
        TOKENS_REVOKED: record_revoked(BUS.denylist),
    }
