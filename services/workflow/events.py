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
  workflow.task.created, workflow.instance.completed, workflow.task.reminded
                                                   per-user prompts

The payload schemas below are the contracts (checked at Outbox.add); AT_ONCE names the
consumers that apply an event before the use case answers (services/common/internal.py).
"""
from marshmallow import fields

from services.common.app import ServiceKit
from services.common.contracts import Id, Payload, Text, optional, required

from . import routing
from .service import rights, triggers
from .service.catalogue import (on_account_notified, on_instance_completed, on_task_created,
                                on_task_reminded)



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


def handlers(kit: ServiceKit) -> dict:
    def start_from_event(session, envelope):
        triggers.start_from_event(session, kit.outbox, envelope)

    return {
        **{event: start_from_event for event in triggers.START_EVENTS},
        "orgs.org.registered": routing.on_org_registered,
        "orgs.org.updated": routing.on_org_registered,
        "orgs.affiliation.approved": routing.on_affiliation_approved,
        "orgs.affiliation.requested": routing.on_affiliation_requested,
        "orgs.affiliation.rejected": routing.on_affiliation_unlinked,
        "orgs.affiliation.unlinked": routing.on_affiliation_unlinked,
        "orgs.permission.changed": routing.on_permission_changed,
        "orgs.unit.certified": routing.on_unit_certified,
        "orgs.unit.certification_rejected": routing.on_certification_rejected,
        "identity.account.created": routing.on_account_created,
        "identity.person.verified": routing.on_person_verified,
        "identity.person.rebound": routing.on_person_rebound,
        "identity.account.notified": on_account_notified,
        "identity.profile.completed": routing.on_profile_submitted,
        "identity.profile.updated": routing.on_profile_submitted,
        "identity.account.closed": rights.on_account_closed,
        "files.attachment.uploaded": routing.on_attachment_uploaded,
        "files.attachment.deleted": routing.on_attachment_deleted,
        "workflow.task.created": on_task_created,
        "workflow.instance.completed": on_instance_completed,
        "workflow.task.reminded": on_task_reminded,
    }
