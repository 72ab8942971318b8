"""identity: accounts, registration, real-name check, every login method, tokens and JWKS,
personal profiles, and each person's record."""
from __future__ import annotations

from flask import Flask

from services.common.app import create_service_app
from services.common.auth import TokenVerifier
from services.common.config import Settings

from . import api, events
from .config import IdentityConfig
from .model import BUS
from .service import tokens
from .service.verification import make_sender


def create_app(settings: Settings | None = None, verifier: TokenVerifier | None = None,
               config: IdentityConfig | None = None, sender=None,
               name_matches=None) -> Flask:
    """`sender` sends SMS (default: from the config); `name_matches(name, id_number)` asks an
    authoritative source whether they belong together (default: trusts GB 11643 alone)."""
    settings = settings or Settings.from_env("identity")
    config = config or IdentityConfig.from_env()
    own = {"config": config, "sender": sender or make_sender(config.sms_url),
           "name_matches": name_matches or (lambda _name, _number: True)}
    app = create_service_app(settings, title="Rencai identity", tables=BUS,
                             handlers=lambda kit: events.handlers(kit, own),
                             blueprints=[api.blp])
    service_kit = app.extensions["rencai.kit"]
    db = service_kit.db
    own["effects"] = events.sms_effects(db, own["sender"])
    service_kit.worker.every(5, own["effects"].run_pending)
    app.extensions["identity"] = own
    # identity verifies its own tokens from its own keys, never over HTTP to itself.
    # Reading them is a local query, so a key id it has not seen is looked up at once.
    app.extensions["rencai.verifier"] = verifier or TokenVerifier(
        lambda: tokens.jwks(db), settings.token_issuer, min_refresh_seconds=0)
    return app

