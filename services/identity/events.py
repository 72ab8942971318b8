"""What identity publishes and what it consumes.

Publishes (routing key = type; subject = the account, appeal):
  identity.account.created     {account_id, kind, display_name, org_id, roles}
  identity.person.registered   {account_id, username}            self-registration, step 1
  identity.person.verified     {account_id, name, method}        real name checked; method:
                                                                 id_card | rebind | appeal
  identity.person.rebound      {account_id, released_account_id} 换绑: the ID number moved
  identity.appeal.filed        {appeal_id, account_id}           人工申诉 waiting for staff
  identity.appeal.decided      {appeal_id, account_id, decision, comment}
  identity.profile.completed   {account_id, name, gender, education_level, photo_file_id}
                                                                 first submitted profile
  identity.profile.updated     (same payload)                    later modifications
  identity.unit.registered     {account_id}                      a unit signed up by phone
                                                                 (seed 003); orgs certifies it
No ID numbers or phone numbers travel in events.

Consumes:
  workflow.instance.completed -> the result is written to the applicant's business record
  orgs.unit.certified {unit_id, account_id, credit_code?} -> that unit account now acts for
                                 the unit (org_id, role "unit"; the credit code maps its
                                 digital certificate)
"""
from services.common.app import ServiceKit

from .service import accounts, units


def handlers(_kit: ServiceKit) -> dict:
    return {"workflow.instance.completed": accounts.record_business_result,
            "orgs.unit.certified": units.on_unit_certified}
