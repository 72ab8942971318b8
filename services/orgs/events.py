"""What orgs publishes and what it consumes.

Publishes (routing key = type; envelope per services/common/bus.py):
  orgs.org.registered          {org_id, kind, name, parent_id, district_id}
  orgs.org.updated             {org_id, kind, name, parent_id, district_id}   (same shape:
                               a consumer can apply both with one upsert)
  orgs.unit.profile_completed  {unit_id}                   the unit passed the first-login gate
  orgs.affiliation.requested   {affiliation_id, person_id, unit_id, person_name}
  orgs.affiliation.approved    {affiliation_id, person_id, unit_id}
  orgs.affiliation.rejected    {affiliation_id, person_id, unit_id, reason}
  orgs.affiliation.unlinked    {affiliation_id, person_id, unit_id, reason}

Consumes (its read model of businesses in progress, for 解除关联):
  workflow.instance.started    -> a business of (applicant, unit) is in progress
  workflow.instance.completed  -> it no longer is
"""
from services.common.app import ServiceKit

from . import service

def handlers(_kit: ServiceKit) -> dict:
    return {
        "workflow.instance.started": service.on_instance_started,
        "workflow.instance.completed": service.on_instance_completed,
    }
