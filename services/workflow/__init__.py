"""workflow: the BPMN engine, instances, the task inbox, timers and the audit timeline."""
from __future__ import annotations

from flask import Flask

from services.common.app import create_service_app
from services.common.auth import TokenVerifier
from services.common.config import Settings

from .model import BUS


def create_app(settings: Settings | None = None, verifier: TokenVerifier | None = None) -> Flask:
    # The HTTP surface brings the businesses' pages (hooks.load): imported by the app, not by
    # whoever imports a module of the engine.
    from . import api, events
    from .service.timers import fire_due_timers

    settings = settings or Settings.from_env("workflow")
    app = create_service_app(settings, title="Rencai workflow", tables=BUS,
                             handlers=events.handlers, blueprints=api.blueprints,
                             verifier=verifier)
    # The timer scheduler rides on the bus worker's rounds (stack worker process, embedded
    # threads, tests' settle); a lease row keeps it to one active scheduler.
    kit = app.extensions["rencai.kit"]
    kit.worker.every(0.5, lambda: fire_due_timers(kit.db, kit.outbox))
    return app
