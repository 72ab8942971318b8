"""identity's use cases, by topic:

  base          the audit log and the collaborators' names (a use case takes the database,
                the outbox, what else it uses of identity's runtime, the claims: as in
                every service; see base.py)
  tokens        signing keys and rotation, JWKS, token issue, refresh rotation, logout
  accounts      accounts (seeded, registered, staff), how they are shown, records, audit
  verification  graphic captchas, SMS codes and senders
  registration  person registration, real-name check, 换绑, 人工申诉
  logins        password (+ captcha, + TOTP), SMS, lockout
  qr            QR-code sign-in
  profile       个人信息完善
"""
from .accounts import (after_pii_rotation, business_records, create_account, get_account,
                       record_business_result)
from .tokens import is_revoked, jwks, refresh_tokens, rotate_signing_key

__all__ = ["after_pii_rotation", "business_records", "create_account", "get_account",
           "is_revoked", "jwks", "record_business_result", "refresh_tokens",
           "rotate_signing_key"]
