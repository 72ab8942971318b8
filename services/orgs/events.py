"""What orgs publishes and what it consumes.

Publishes (routing key = type; envelope per services/common/bus.py):
  orgs.org.registered          {org_id, kind, name, parent_id, district_id, association_code}
  orgs.org.updated             (same shape; also when a unit regenerates its association code:
                               a consumer can apply both with one upsert)
  orgs.unit.profile_completed  {unit_id}                   the unit passed the first-login gate
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
"""
from services.common.app import ServiceKit

from . import service
from .service import rights


def handlers(_kit: ServiceKit) -> dict:
    return {
        "workflow.instance.started": service.on_instance_started,
        "workflow.instance.completed": service.on_instance_completed,
        "identity.profile.completed": service.on_profile_submitted,
        "identity.profile.updated": service.on_profile_submitted,
        "identity.person.verified": service.on_person_verified,
        "identity.person.rebound": service.on_person_rebound,
        "identity.account.closed": rights.on_account_closed,
    }
