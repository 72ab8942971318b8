"""What workflow publishes and what it consumes.

Publishes:
  workflow.instance.started    {instance_id, process_key, title, applicant_id, unit_id,
                                attachment_ids}
  workflow.instance.resubmitted {instance_id, applicant_id, attachment_ids}
  workflow.task.created        {task_id, instance_id, task_key, title, candidate_group}
  workflow.task.completed      {task_id, instance_id, task_key, decision, actor_id}
  workflow.instance.completed  {instance_id, process_key, title, applicant_id, unit_id,
                                outcome, completed_at}
Consumes (its read model of orgs):
  orgs.org.registered, orgs.affiliation.approved
"""
from services.common.app import ServiceKit

from . import routing


def handlers(_kit: ServiceKit) -> dict:
    return {
        "orgs.org.registered": routing.on_org_registered,
        "orgs.affiliation.approved": routing.on_affiliation_approved,
    }
