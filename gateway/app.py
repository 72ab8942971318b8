"""The gateway app: routes /api/<service>/... to the services, verifies tokens before
anything reaches them, propagates request ids, limits body sizes, and answers its own errors
as problem+json."""
from __future__ import annotations

import uuid

from flask import Flask, g, request
from werkzeug.exceptions import RequestEntityTooLarge

from services.common.auth import TokenVerifier, bearer_token
from services.common.errors import NotAuthenticated, NotFound, problem, register_error_handlers
from services.common.headers import REQUEST_ID, install_security_headers

from .config import GatewayConfig
from .personal import add_personal_data_routes
from .docs import docs
from .ratelimit import RateLimiter
from .tokens import VerifiedTokens

# Reachable without a token (besides every service's openapi.json): signing in,
# registering, the public keys. Entries ending in "/" are prefixes.
PUBLIC = {
    "identity": ["tokens", "tokens/refresh", "tokens/sms", ".well-known/jwks.json",
                 "captchas", "captchas/", "sms-codes", "registrations",
                 "qr-logins", "qr-logins/poll", "units/phone-sessions", "cert-challenges",
                 "tokens/certificate", "oidc/"],
    # short-lived signed view links: the token in the path is the credential
    "files": ["signed/"],
}
# Development only (RENCAI_ENV=development: make run, the tests): public there, and never
# routed anywhere else — the development SMS sender's messages hold sign-in codes.
DEVELOPMENT_ONLY = {"identity": ["dev/"]}
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def _listed(entries, path: str) -> bool:
    return any(path.startswith(entry) if entry.endswith("/") else path == entry
               for entry in entries)


def is_public(service: str, path: str, development: bool = False) -> bool:
    return path == "openapi.json" or _listed(PUBLIC.get(service, ()), path) or (
        development and _listed(DEVELOPMENT_ONLY.get(service, ()), path))


def create_gateway(backends: dict, verifier: TokenVerifier,
                   max_body_bytes: int | None = None,
                   limiter: RateLimiter | None = None,
                   development: bool | None = None,
                   config: GatewayConfig | None = None) -> Flask:
    """What is not given comes from `config` (default: GatewayConfig.from_env()):
    `max_body_bytes` from RENCAI_GATEWAY_MAX_BODY_MB, `limiter` from RENCAI_RATE_LIMIT
    requests per second per client (burst 4x), `development` from RENCAI_ENV=development
    (routes DEVELOPMENT_ONLY paths)."""
    config = config or GatewayConfig.from_env()
    development = config.development if development is None else development
    max_body_bytes = config.max_body_bytes if max_body_bytes is None else max_body_bytes
    app = Flask("gateway", static_folder=None)  # /static is the web client's (gateway/web)
    limiter = limiter or RateLimiter(config.rate_limit, int(config.rate_limit * 4))
    app.json.ensure_ascii = False
    app.config["MAX_CONTENT_LENGTH"] = max_body_bytes
    app.extensions["rencai.gateway_config"] = config  # the web client's settings too
    app.extensions["rencai.backends"] = backends
    register_error_handlers(app)
    # A token already checked is not checked again until it expires (gateway/tokens.py).
    tokens = VerifiedTokens(verifier) if verifier is not None else None
    # Personal data may be on any page or API answer: only static assets may be cached.
    install_security_headers(app, no_store=lambda req: not req.path.startswith("/static/"))

    @app.before_request
    def _request_id():
        incoming = request.headers.get("X-Request-Id", "")
        g.request_id = incoming if REQUEST_ID.match(incoming) else str(uuid.uuid4())

    @app.after_request
    def _echo_request_id(response):
        response.headers["X-Request-Id"] = g.get("request_id", "")
        return response

    @app.before_request
    def _rate_limit():
        wait = limiter.allow(request.remote_addr or "-")
        if wait:
            response = problem(429, "请求过于频繁，请稍后再试", code="rate-limited")
            response.headers["Retry-After"] = str(max(1, round(wait)))
            return response

    @app.get("/healthz")
    def healthz():
        services = {name: ("ok" if backend.health() else "down")
                    for name, backend in backends.items()}
        healthy = all(state == "ok" for state in services.values())
        return {"status": "ok" if healthy else "degraded", "services": services}, \
            (200 if healthy else 503)

    app.register_blueprint(docs)  # /api/docs: Swagger UI, or the index as JSON

    add_personal_data_routes(app, backends, verifier)  # GET /api/me/export

    @app.route("/api/<service>/", defaults={"path": ""}, methods=METHODS)
    @app.route("/api/<service>/<path:path>", methods=METHODS)
    def route(service: str, path: str):
        backend = backends.get(service)
        if backend is None:
            raise NotFound(f"没有名为 {service} 的服务")
        if path == "internal" or path.startswith("internal/"):  # service-to-service only
            raise NotFound("未找到")
        if request.content_length and request.content_length > max_body_bytes:
            raise RequestEntityTooLarge()
        if not development and _listed(DEVELOPMENT_ONLY.get(service, ()), path):
            raise NotFound("未找到")
        if not is_public(service, path, development):
            token = bearer_token()
            if not token:
                raise NotAuthenticated("请先登录")
            # The signature only, to stop strangers early: the service verifies again and
            # refuses a revoked token from its own denylist (services/common/denylist.py).
            tokens.verify(token)
        return backend.forward(request, path, {"X-Request-Id": g.request_id,
                                               "X-Forwarded-For": request.remote_addr or ""})

    # The web client (server-rendered pages for the browser) at "/": gateway/web.
    from .web import init_web
    init_web(app)
    return app
