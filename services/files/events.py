"""What files publishes and what it consumes.

Publishes:
  files.attachment.uploaded    {attachment_id, owner_id, owner_kind, category, name (the
                                file name shown), sha256, size}
  files.attachment.deleted     {attachment_id, owner_id}
Consumes (workflow's; the read model of who reviews which application, service/access.py):
  workflow.instance.started     {instance_id, applicant_id, attachment_ids, ...}
      -> the applicant's referenced attachments are locked (kept, not deletable)
  workflow.instance.resubmitted {instance_id, applicant_id, applicant_kind, unit_id,
                                 attachment_ids}
      -> the same for what the corrected application references
  workflow.task.created         {task_id, instance_id, candidate_group, ...}
      -> the candidate group may read that instance's attachments
Consumes (orgs'; names for the default file name "XX单位-姓名-材料名称"):
  orgs.org.registered, orgs.org.updated   {org_id, name, ...}     -> the unit's name
  orgs.affiliation.approved               {person_id, unit_id}    -> the person's unit
  orgs.affiliation.unlinked               {person_id, unit_id}    -> no longer
Consumes (identity's):
  identity.account.closed      {account_id}  -> 注销: unlocked files deleted (published as
                                                files.attachment.deleted), locked ones kept
                                                as evidence of the applications holding them
  identity.tokens.revoked      {tokens}      -> token_denylist: the verifier refuses those
                                                tokens from now on (services/common/denylist.py)
"""
from marshmallow import fields

from services.common.app import ServiceKit
from services.common.contracts import Id, Payload, Text, required
from services.common.denylist import TOKENS_REVOKED, record_revoked

from .model import BUS
from .service import access, rights


class AttachmentUploaded(Payload):
    attachment_id = required(Id())
    owner_id = required(Id())
    owner_kind = required(Text())
    category = required(Text())
    name = required(Text())
    sha256 = required(Text())
    size = required(fields.Integer())


class AttachmentDeleted(Payload):
    attachment_id = required(Id())
    owner_id = required(Id())


PUBLISHES = {
    "files.attachment.uploaded": AttachmentUploaded,
    "files.attachment.deleted": AttachmentDeleted,
}
# Applied by workflow before the upload (or delete) answers (services/common/internal.py):
# an application or declaration sent right after its files were uploaded finds them.
AT_ONCE = {
    "files.attachment.uploaded": ("workflow",),
    "files.attachment.deleted": ("workflow",),
}


def handlers(kit: ServiceKit) -> dict:
    return {
        # `kit` is None when only the routing keys are asked for (topology).
        "identity.account.closed": rights.on_account_closed(kit.outbox if kit else None),
        "workflow.instance.started": access.on_application_submitted,
        "workflow.instance.resubmitted": access.on_application_submitted,
        "workflow.task.created": access.on_task_created,
        "orgs.org.registered": access.on_org_registered,
        "orgs.org.updated": access.on_org_registered,
        "orgs.affiliation.approved": access.on_affiliation_approved,
        "orgs.affiliation.unlinked": access.on_affiliation_unlinked,
        TOKENS_REVOKED: record_revoked(BUS.denylist),
    }
