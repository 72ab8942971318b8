"""The part of every service's app factory that is the same everywhere."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Callable

from flask import Flask, current_app, g, request
from sqlalchemy import text

from . import pii
from .audit import audit_blueprint
from .auth import TokenVerifier
from .bus import BusTables, BusWorker, EventConsumer, Handler, Outbox, OutboxRelay, trace_id_var
from .config import Settings, service_urls
from .db import Database
from .denylist import Denylist
from .errors import register_error_handlers
from .headers import REQUEST_ID, install_security_headers
from .internal import InternalClient, install_receiver, service_key
from .logging import configure_logging
from .openapi import make_api
from .schemas import BoundedIntConverter, bounded_int_openapi

@dataclass
class ServiceKit:
    """What a running service holds: settings, database, outbox and its bus worker."""

    settings: Settings
    db: Database
    outbox: Outbox
    worker: BusWorker
    # Synchronous calls to the other services (services/common/internal.py).
    internal: InternalClient | None = None


def kit() -> ServiceKit:
    """The running service's kit, inside a request."""
    return current_app.extensions["rencai.kit"]


def create_service_app(settings: Settings, *, title: str, tables: BusTables,
                       handlers: Callable[[ServiceKit], dict[str, Handler]] | None = None,
                       blueprints=(), verifier: TokenVerifier | None = None,
                       max_body_bytes: int = 2 * 1024 * 1024) -> Flask:
    configure_logging()
    if pii.holds_personal_data(tables.outbox.metadata):  # only services that seal need the key
        pii.configure_for(settings)  # refuses a missing or demonstration key in the stack
    app = Flask(f"services.{settings.service}")
    app.json.ensure_ascii = False
    # Keep the order things were written in: a form's fields are shown in its schema's order.
    app.json.sort_keys = False
    app.config["MAX_CONTENT_LENGTH"] = max_body_bytes

    db = Database(settings.database_url)
    key = service_key(settings)
    # Separate processes (a real bus) reach each other over HTTP; the embedded system
    # registers its apps in-process (EmbeddedSystem); a lone app under test has neither.
    internal = InternalClient(settings.service, key,
                              None if settings.bus_url.startswith("memory") else service_urls())
    outbox = Outbox(tables.outbox, settings.service, internal=internal)
    worker = BusWorker(settings.service, settings.bus_url, OutboxRelay(db, tables.outbox), None)
    service_kit = ServiceKit(settings, db, outbox, worker, internal)
    if handlers is not None:
        worker.consumer = EventConsumer(settings.service, db, tables.processed,
                                        handlers(service_kit), settings.bus_max_attempts,
                                        settings.bus_retry_backoff)
    app.extensions["rencai.kit"] = service_kit
    if verifier is None and settings.jwks_url:
        verifier = TokenVerifier.from_url(settings.jwks_url, settings.token_issuer)
    if verifier is not None and tables.denylist is not None:
        # Revoked tokens are refused from the service's own copy of the denylist.
        verifier = verifier.with_denylist(Denylist(db, tables.denylist))
    app.extensions["rencai.verifier"] = verifier
    install_receiver(app, settings.service, key)

    _trace_requests(app)
    install_security_headers(app)  # a service answers only API calls: no-store on all

    @app.get("/healthz")
    def healthz():
        with db.reading() as session:
            session.execute(text("SELECT 1"))
        return {"status": "ok", "service": settings.service}

    api = make_api(app, settings.service, title)
    # Before the routes are added: every <int:...> is bounded (and documented as such).
    app.url_map.converters["int"] = BoundedIntConverter
    api.register_converter(BoundedIntConverter, bounded_int_openapi)
    for blueprint in blueprints:
        api.register_blueprint(blueprint)
    # Every service keeps the kit's audit_log (its model adds it); admins query it here.
    api.register_blueprint(audit_blueprint(settings.service))
    # After the Api: flask-smorest installs its own HTTPException handler, ours must win.
    register_error_handlers(app)
    return app


def _trace_requests(app: Flask) -> None:
    """Every request carries an id (the gateway's, or a new one) into logs and events."""

    @app.before_request
    def _start():
        incoming = request.headers.get("X-Request-Id", "")
        g.request_id = incoming if REQUEST_ID.match(incoming) else str(uuid.uuid4())
        g.trace_token = trace_id_var.set(g.request_id)

    @app.after_request
    def _finish(response):
        response.headers["X-Request-Id"] = g.get("request_id", "")
        return response

    @app.teardown_request
    def _reset(_error):
        token = g.pop("trace_token", None)
        if token is not None:
            trace_id_var.reset(token)
