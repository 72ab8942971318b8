"""What identity publishes and what it consumes.

Publishes (routing key = type; subject = the account, appeal):
  identity.account.created     {account_id, kind, display_name, org_id, roles}
  identity.person.registered   {account_id, username}            self-registration, step 1
  identity.person.verified     {account_id, name, method,        real name checked; method:
                                id_number_index, phone_index}    id_card | rebind | appeal |
                                                                 created (seeded / staff-made)
                                                                 | rekeyed (a PII key rotation
                                                                 changed the indexes);
                                                                 the indexes are keyed blind
                                                                 hashes, never the numbers
  identity.person.rebound      {account_id, released_account_id} 换绑: the ID number moved
                                                                 (proved by an SMS code to the
                                                                 holder's phone)
  identity.account.notified    {account_id, text}                the account's holder is told
                                                                 something about its security
                                                                 (binding taken or appealed);
                                                                 workflow makes it a prompt
  identity.appeal.filed        {appeal_id, account_id, applicant_name, name (masked),
                                id_number (masked), reason, evidence_file_id,
                                attachment_ids}                   人工申诉: workflow starts
                                                                  the admins' review
                                                                  (bpmn/realname_appeal.bpmn)
  identity.appeal.decided      {appeal_id, account_id, decision, comment, instance_id}
                                                                 the review's outcome applied
  identity.profile.completed   {account_id, name, gender, education_level, political_status,
                                ethnicity, photo_file_id, education, study_history,
                                work_history}
                                                                 first submitted profile
  identity.profile.updated     (same payload)                    later modifications
  identity.unit.registered     {account_id}                      a unit signed up by phone
                                                                 (seed 003); orgs certifies it
  identity.account.closed      {account_id, kind}                注销 (POST /me/closure): every
                                                                 service erases or anonymises
                                                                 what it holds of the account
                                                                 (docs/personal-data.md)
No ID numbers or phone numbers travel in events (only masked ones).

Consumes:
  workflow.instance.completed -> the result is written to the applicant's business record;
                                 for process realname_appeal the appeal's outcome is applied
                                 (binding moved when approved) and the person gets an SMS
  orgs.unit.certified {unit_id, account_id, credit_code?} -> that unit account now acts for
                                 the unit (org_id, role "unit"; the credit code maps its
                                 digital certificate)
"""
from services.common.app import ServiceKit

from .service import accounts, registration, units
from .service.context import Ctx


def handlers(kit: ServiceKit, own: dict | None = None) -> dict:
    """`own`: identity's config and SMS sender (the appeal's result is sent by SMS)."""

    def on_instance_completed(session, envelope):
        accounts.record_business_result(session, envelope)
        if envelope["data"].get("process_key") == registration.APPEAL_PROCESS:
            own_ = own or {}
            ctx = Ctx(kit.db, kit.outbox, kit.settings, sender=own_.get("sender"),
                      ip="bus", **({"config": own_["config"]} if own_.get("config") else {}))
            registration.on_appeal_reviewed(ctx, session, envelope)

    return {"workflow.instance.completed": on_instance_completed,
            "orgs.unit.certified": units.on_unit_certified}
