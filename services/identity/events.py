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
  identity.account.closed      {account_id, kind}                注销 (POST /me/closure): every
                                                                 service erases or anonymises
                                                                 what it holds of the account
                                                                 (docs/personal-data.md)
  identity.unit.registered     {account_id, unit_id, name}       a unit signed up by phone
                                                                 (seed 003): orgs creates its
                                                                 unit under the id reserved
                                                                 here (already in the token)
  identity.tokens.revoked      {tokens: [{jti, exp}]}            access tokens ended before
                                                                 their expiry (logout, a reused
                                                                 refresh token, 换绑, 注销, a
                                                                 staff reset); every other
                                                                 service keeps them in its
                                                                 token_denylist
                                                                 (services/common/denylist.py)
No ID numbers or phone numbers travel in events (only masked ones).

Consumes:
  workflow.instance.completed -> the result is written to the applicant's business record;
                                 for process realname_appeal the appeal's outcome is applied
                                 (binding moved when approved) and the person gets an SMS
  orgs.unit.certified {unit_id, account_id, credit_code?} -> that unit account now acts for
                                 the unit (org_id, role "unit"; the credit code maps its
                                 digital certificate)
"""
from marshmallow import fields
from marshmallow.validate import Length

from services.common.app import ServiceKit
from services.common.contracts import Id, Payload, Text, optional, required
from services.common.denylist import TOKENS_REVOKED
from services.common.effects import Effects

from .model import EFFECTS
from .service import accounts, registration, units


class AccountCreated(Payload):
    account_id = required(Id())
    kind = required(Text())
    display_name = required(Text())
    org_id = optional(Id())
    roles = required(fields.List(Text()))


class PersonRegistered(Payload):
    account_id = required(Id())
    username = required(Text())


class PersonVerified(Payload):
    account_id = required(Id())
    name = required(Text())
    method = required(Text())
    id_number_index = required(Text())
    phone_index = optional(Text())


class PersonRebound(Payload):
    account_id = required(Id())
    released_account_id = required(Id())


class AppealFiled(Payload):
    appeal_id = required(Id())
    account_id = required(Id())
    applicant_name = required(Text())
    name = required(Text())
    id_number = required(Text())
    reason = required(Text())
    evidence_file_id = required(Id())
    attachment_ids = required(fields.List(Id()))


class AppealDecided(Payload):
    appeal_id = required(Id())
    account_id = required(Id())
    decision = required(Text())
    comment = required(Text(allow_none=True))
    instance_id = required(Id())


class ProfileSubmitted(Payload):
    account_id = required(Id())
    name = required(Text())
    gender = optional(Text())
    education_level = optional(Text())
    political_status = optional(Text())
    ethnicity = optional(Text())
    photo_file_id = optional(Id())
    education = required(fields.List(fields.Dict()))
    study_history = required(fields.List(fields.Dict()))
    work_history = required(fields.List(fields.Dict()))


class AccountNotified(Payload):
    account_id = required(Id())
    text = required(Text())


class AccountClosed(Payload):
    account_id = required(Id())
    kind = required(Text())


class RevokedAccessToken(Payload):
    jti = required(Text())
    exp = required(fields.Integer())  # seconds since the epoch, the token's own `exp`


class TokensRevoked(Payload):
    tokens = required(fields.List(fields.Nested(RevokedAccessToken), validate=Length(min=1)))


class UnitRegistered(Payload):
    account_id = required(Id())
    unit_id = required(Id())
    name = required(Text())


PUBLISHES = {
    "identity.account.created": AccountCreated,
    "identity.person.registered": PersonRegistered,
    "identity.person.verified": PersonVerified,
    "identity.person.rebound": PersonRebound,
    "identity.appeal.filed": AppealFiled,
    "identity.appeal.decided": AppealDecided,
    "identity.profile.completed": ProfileSubmitted,
    "identity.profile.updated": ProfileSubmitted,
    "identity.unit.registered": UnitRegistered,
    "identity.account.notified": AccountNotified,
    "identity.account.closed": AccountClosed,
    TOKENS_REVOKED: TokensRevoked,
}
# Applied by these consumers before the use case answers (services/common/internal.py): the
# unit of a phone registration exists when its tokens are handed out; names shown to units
# and reviewers are the verified ones from the moment the person verified.
AT_ONCE = {
    "identity.unit.registered": ("orgs",),
    "identity.person.verified": ("workflow", "orgs"),
    "identity.person.rebound": ("workflow",),
    # Fail closed: a revoked token is refused by every service the moment the holder is told
    # (each checks its own copy of the denylist; the gateway checks signatures only).
    TOKENS_REVOKED: ("orgs", "files", "workflow"),
}


def sms_effects(db, sender) -> Effects:
    """SMS sent from consumers: after their commit, retried by the bus worker."""
    return Effects(db, EFFECTS, {
        "sms": lambda session, payload: sender.send(session, payload["phone"], payload["text"])})


def handlers(kit: ServiceKit, own=None) -> dict:
    """`own`: identity's runtime (IdentityRuntime: the SMS sender and the after-commit
    effects; the appeal's result is sent by SMS). None when only the routing keys are asked
    for (topology)."""

    def on_instance_completed(session, envelope):
        accounts.record_business_result(session, envelope)
        if envelope["data"].get("process_key") == registration.APPEAL_PROCESS:
            registration.on_appeal_reviewed(session, kit.outbox, own.sender, own.effects,
                                            envelope)

    return {"workflow.instance.completed": on_instance_completed,
            "orgs.unit.certified": units.on_unit_certified}
