"""identity: accounts, logins, tokens and JWKS, and each person's record."""
from __future__ import annotations

from flask import Flask

from services.common.app import create_service_app
from services.common.auth import TokenVerifier
from services.common.config import Settings

from . import api, events, service
from .model import BUS


def create_app(settings: Settings | None = None, verifier: TokenVerifier | None = None) -> Flask:
    settings = settings or Settings.from_env("identity")
    app = create_service_app(settings, title="Rencai identity", tables=BUS,
                             handlers=events.handlers, blueprints=[api.blp])
    db = app.extensions["rencai.kit"].db
    # identity verifies its own tokens from its own keys, never over HTTP to itself.
    app.extensions["rencai.verifier"] = verifier or TokenVerifier(lambda: service.jwks(db),
                                                                  settings.token_issuer)
    return app
