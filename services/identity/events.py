"""What identity publishes and what it consumes.

Publishes:
  identity.account.created   {account_id, kind, display_name, org_id, roles}
Consumes:
  workflow.instance.completed -> the result is written to the applicant's business record
"""
from services.common.app import ServiceKit

from . import service


def handlers(_kit: ServiceKit) -> dict:
    return {"workflow.instance.completed": service.record_business_result}
