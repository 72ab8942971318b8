"""identity: accounts, registration, real-name check, every login method, tokens and JWKS,
personal profiles, and each person's record."""
from __future__ import annotations

import json
from dataclasses import dataclass

from flask import Flask

from services.common.app import create_service_app
from services.common.auth import TokenVerifier
from services.common.config import Settings
from services.common.effects import Effects
from services.common.errors import problem

from . import api, events
from .config import IdentityConfig
from .model import BUS
from .service import rights, tokens
from .service.base import NameCheck, SmsSender
from .service.second_factor import EnrolmentRequired
from .service.verification import make_name_check, make_sender


@dataclass
class IdentityRuntime:
    """identity's own runtime beside the kit (as files has FilesRuntime): what its use cases
    are handed besides the database, the outbox and the settings."""

    config: IdentityConfig
    sender: SmsSender
    name_matches: NameCheck
    # SMS sent from bus consumers, after their commit (services/common/effects.py)
    effects: Effects | None = None


def _enrolment_required(error: EnrolmentRequired):
    """The problem+json of a staff member's first sign-in, with the QR code to scan."""
    response = problem(error.status, error.detail, code=error.code, title=error.title,
                       errors=error.errors)
    response.set_data(json.dumps({**response.get_json(), "enrolment": error.enrolment},
                                 ensure_ascii=False))
    response.headers["Cache-Control"] = "no-store"
    return response


def create_app(settings: Settings | None = None, verifier: TokenVerifier | None = None,
               config: IdentityConfig | None = None, sender=None,
               name_matches=None) -> Flask:
    """`sender` sends SMS (default: from the config); `name_matches(name, id_number)` asks an
    authoritative source whether they belong together (default: RENCAI_NAME_CHECK_URL; GB
    11643 alone only in development). Outside development, a missing SMS gateway or name
    check stops start-up here (gunicorn and the bus worker both build the app)."""
    settings = settings or Settings.from_env("identity")
    config = config or IdentityConfig.from_env()
    own = IdentityRuntime(config, sender or make_sender(config),
                          name_matches or make_name_check(config))
    tokens.configure_kek(settings)  # before anything signs; refused missing in the stack
    app = create_service_app(settings, title="Rencai identity", tables=BUS,
                             handlers=lambda kit: events.handlers(kit, own),
                             blueprints=[api.blp])
    service_kit = app.extensions["rencai.kit"]
    db = service_kit.db
    own.effects = events.sms_effects(db, own.sender)
    service_kit.worker.every(5, own.effects.run_pending)
    app.extensions["rencai.identity"] = own
    app.register_error_handler(EnrolmentRequired, _enrolment_required)
    # Retention: SMS, captchas, challenges, expired sessions and denylist entries, swept
    # from the bus worker's rounds (one worker process in the stack, not every web worker).
    app.extensions["rencai.kit"].worker.every(config.retention_sweep_seconds,
                                              lambda: rights.sweep(db, config))
    # identity verifies its own tokens from its own keys, never over HTTP to itself.
    # Reading them is a local query, so a key id it has not seen is looked up at once.
    app.extensions["rencai.verifier"] = verifier or TokenVerifier(
        lambda: tokens.jwks(db), settings.token_issuer, min_refresh_seconds=0,
        is_revoked=lambda jti: tokens.is_revoked(db, jti))
    return app

