"""OpenAPI wiring: flask-smorest makes each service's document from its marshmallow schemas."""
from __future__ import annotations

from flask import Flask
from flask_smorest import Api


def make_api(app: Flask, service: str, title: str) -> Api:
    app.config.update(
        API_TITLE=title,
        API_VERSION="1.0",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            # Clients reach every service through the gateway under /api/<service>.
            "servers": [{"url": f"/api/{service}"}],
            "components": {"securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
            "security": [{"bearer": []}],
        },
    )
    return Api(app)
