"""OpenAPI wiring: flask-smorest makes each service's document from its marshmallow schemas.

The document says what the code answers: every error is application/problem+json
{type, title, status, detail, errors}; only operations behind `login_required` declare the
bearer token (a sign-in or a registration needs none)."""
from __future__ import annotations

import http

from flask import Flask
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from marshmallow import fields

from .idempotency import IdempotencyDocPlugin
from .schemas import Schema

PROBLEM_JSON = "application/problem+json"


class ProblemSchema(Schema):
    """RFC 9457 problem details, as services/common/errors.py renders every error."""

    type = fields.String(required=True, metadata={"description": "问题类型的 URI"})
    title = fields.String(required=True, metadata={"description": "问题的简短说明（中文）"})
    status = fields.Integer(required=True, metadata={"description": "HTTP 状态码"})
    detail = fields.String(required=True, metadata={"description": "这一次出了什么问题（中文）"})
    errors = fields.Dict(keys=fields.String(), values=fields.String(),
                         metadata={"description": "出错的字段及原因：{字段: 原因}"})


class RencaiApi(Api):
    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self):
        """flask-smorest's default error responses, as problem+json (not application/json)."""
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "错误（problem+json）", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


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
            # No global "security": each operation that needs a token says so.
        },
    )
    return RencaiApi(app, spec_kwargs={"extra_plugins": [IdempotencyDocPlugin()]})
