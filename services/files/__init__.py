"""files: attachments people upload (ID photos, degree certificates, ...), stored on disk."""
from __future__ import annotations

from flask import Flask

from services.common.app import create_service_app
from services.common.auth import TokenVerifier
from services.common.config import Settings

from . import api
from .model import BUS

# Above the 10 MB file limit so an oversize file gets our clear 422, not a bare 413.
MAX_BODY_BYTES = 20 * 1024 * 1024


def create_app(settings: Settings | None = None, verifier: TokenVerifier | None = None) -> Flask:
    settings = settings or Settings.from_env("files")
    return create_service_app(settings, title="Rencai files", tables=BUS, blueprints=[api.blp],
                              verifier=verifier, max_body_bytes=MAX_BODY_BYTES)
