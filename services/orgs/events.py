"""What orgs publishes and what it consumes.

Publishes (routing key = type; envelope per services/common/bus/outbox.py):
  orgs.org.registered          {org_id, kind, name, parent_id, district_id, association_code}
  orgs.org.updated             (same shape; also when a unit regenerates its association code:
                               a consumer can apply both with one upsert)
  orgs.unit.profile_completed  {unit_id}                   the unit passed the first-login gate
  orgs.unit.certification_submitted {unit_id}              a licence waits for staff review
  orgs.unit.certified          {unit_id, name, credit_code, account_id (null: not known)}
  orgs.unit.certification_rejected {unit_id, reason}
  orgs.affiliation.requested   {affiliation_id, person_id, unit_id, person_name}
  orgs.affiliation.approved    {affiliation_id, person_id, unit_id}
  orgs.affiliation.rejected    {affiliation_id, person_id, unit_id, reason}
  orgs.affiliation.unlinked    {affiliation_id, person_id, unit_id, reason}
  orgs.permission.changed      {unit_id, district_id, business, state, reason, instance_id}
                               a unit's 业务权限 (pending | approved | rejected | re_review |
                               withdrawn), from the process "business_permission"

Consumes (its read model of businesses in progress, for 解除关联):
  workflow.instance.started    -> a business of (applicant, unit) is in progress; for
                                  process_key "affiliation" (个人关联单位, run as BPMN) a
                                  pending request of the person for the unit (id = instance id)
  workflow.instance.completed  -> it no longer is; for "affiliation" the request is approved
                                  (with the unit's position) or rejected with the unit's reason,
                                  publishing orgs.affiliation.approved / rejected;
                                  for "business_permission" the unit's 业务权限 state
                                  (service/permissions.py), publishing orgs.permission.changed
  identity.profile.completed / updated -> the person's profile for the employee detail tabs
  identity.person.verified / rebound -> the blind indexes of the person's verified ID number
                                 and phone (an affiliation request may carry only their own)
  identity.account.closed      -> 注销: the person's links kept as records, name masked, ID
                                  and phone erased, an open link ended; profile deleted
  identity.unit.registered     -> the unit of an account that signed up by phone (seed 003)
  identity.person.verified     -> also the verified real name on the person's requests and rows
  identity.tokens.revoked      -> token_denylist: the verifier refuses those tokens from now on
                                  (services/common/denylist.py)

The payload schemas below are the contracts (checked at Outbox.add); AT_ONCE names the
consumers that apply an event before the use case answers (services/common/internal.py).
"""

from services.common.app import ServiceKit
from services.common.contracts import Id, Payload, Text, optional, required
from services.common.denylist import TOKENS_REVOKED, record_revoked

from . import service
from .model import BUS
from .service import rights
from .service.affiliation import on_person_verified
from .service.units import on_unit_registered


class OrgRegistered(Payload):
    org_id = required(Id())
    kind = required(Text())
    name = required(Text())
    parent_id = optional(Id())
    district_id = optional(Id())
    association_code = optional(Text())


class UnitOnly(Payload):
    unit_id = required(Id())


class AffiliationEvent(Payload):
    affiliation_id = required(Id())
    person_id = required(Id())
    unit_id = required(Id())


class AffiliationRequested(AffiliationEvent):
    person_name = required(Text())


class AffiliationEnded(AffiliationEvent):
    reason = required(Text())


class PermissionChanged(Payload):
    unit_id = required(Id())
    district_id = optional(Id())
    business = required(Text())
    state = required(Text())
    reason = optional(Text())
    instance_id = optional(Id())


class UnitCertified(Payload):
    unit_id = required(Id())
    name = required(Text())
    credit_code = required(Text())
    account_id = optional(Id())


class CertificationRejected(Payload):
    unit_id = required(Id())
    reason = required(Text())


PUBLISHES = {
    "orgs.org.registered": OrgRegistered,
    "orgs.org.updated": OrgRegistered,
    "orgs.unit.profile_completed": UnitOnly,
    "orgs.unit.certification_submitted": UnitOnly,
    "orgs.unit.certified": UnitCertified,
    "orgs.unit.certification_rejected": CertificationRejected,
    "orgs.affiliation.requested": AffiliationRequested,
    "orgs.affiliation.approved": AffiliationEvent,
    "orgs.affiliation.rejected": AffiliationEnded,
    "orgs.affiliation.unlinked": AffiliationEnded,
    "orgs.permission.changed": PermissionChanged,
}
# Applied by these consumers before the use case answers (services/common/internal.py):
# a unit that just registered or certified starts its business at once; a permission shows
# 已开通 to the unit and its declaration is accepted right after the district approved.
AT_ONCE = {
    "orgs.org.registered": ("workflow", "files"),
    "orgs.org.updated": ("workflow", "files"),
    "orgs.unit.certified": ("identity", "workflow"),
    "orgs.unit.certification_rejected": ("workflow",),
    "orgs.permission.changed": ("workflow",),
    # a person's link to a unit decides what they may start next
    "orgs.affiliation.requested": ("workflow",),
    "orgs.affiliation.approved": ("workflow", "files"),
    "orgs.affiliation.rejected": ("workflow",),
    "orgs.affiliation.unlinked": ("workflow", "files"),
}


def handlers(kit: ServiceKit) -> dict:
    """Every handler that raises events gets the kit's outbox (none builds its own)."""

    def with_outbox(handler):
        return lambda session, envelope: handler(session, kit.outbox, envelope)

    return {
        "workflow.instance.started": with_outbox(service.on_instance_started),
        "workflow.instance.completed": with_outbox(service.on_instance_completed),
        "identity.profile.completed": service.on_profile_submitted,
        "identity.profile.updated": service.on_profile_submitted,
        "identity.unit.registered": with_outbox(on_unit_registered),
        "identity.person.verified": on_person_verified,
        "identity.person.rebound": service.on_person_rebound,
        "identity.account.closed": rights.on_account_closed,
        TOKENS_REVOKED: record_revoked(BUS.denylist),
    }
