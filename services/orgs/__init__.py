"""orgs: units, the review hierarchy, employees and affiliation."""
from __future__ import annotations

from flask import Flask

from services.common.app import create_service_app
from services.common.auth import TokenVerifier
from services.common.config import Settings

from . import api, events
from .model import BUS


def create_app(settings: Settings | None = None, verifier: TokenVerifier | None = None) -> Flask:
    settings = settings or Settings.from_env("orgs")
    return create_service_app(settings, title="Rencai orgs", tables=BUS,
                              handlers=events.handlers, blueprints=[api.blp], verifier=verifier)
