"""identity's HTTP API: parse, ask who is calling, call a use case, return.

  registration  captchas, SMS codes, registration, real-name check, 换绑, 人工申诉
  signin        password, SMS, QR, unit phone, certificate and OIDC sign-in; tokens; JWKS
  me            the account, basic info, the profile, records, password
  admin         staff accounts, appeals review, accounts, audit log, key rotation
"""
from . import admin, me, registration, signin, staff  # noqa: F401  (they add their routes)
from .common import blp

__all__ = ["blp"]
