"""Domain errors and their rendering as application/problem+json (RFC 9457).

Services raise these from use cases; the handlers registered here turn them, and every
framework error, into {type, title, status, detail, errors{field: msg}} with Chinese text.
"""
from __future__ import annotations

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

PROBLEM_TYPE = "https://rencai.example/problems/"


class DomainError(Exception):
    status = 400
    code = "bad-request"
    title = "请求有误"

    def __init__(self, detail: str, errors: dict[str, str] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or {}


class ValidationFailed(DomainError):
    status, code, title = 422, "validation", "提交的信息有误"


class NotAuthenticated(DomainError):
    status, code, title = 401, "unauthenticated", "未登录或登录已过期"


class Forbidden(DomainError):
    status, code, title = 403, "forbidden", "无权操作"


class NotFound(DomainError):
    status, code, title = 404, "not-found", "未找到"


class Conflict(DomainError):
    status, code, title = 409, "conflict", "状态已变化"


HTTP_TITLES = {
    400: "请求有误", 401: "未登录或登录已过期", 403: "无权操作", 404: "未找到",
    405: "不支持的请求方法", 409: "状态已变化", 413: "请求内容过大", 415: "不支持的内容类型",
    422: "提交的信息有误", 429: "请求过于频繁", 500: "系统内部错误", 502: "服务暂不可用",
    503: "服务暂不可用", 504: "服务响应超时",
}

def problem(status: int, detail: str, *, code: str | None = None, title: str | None = None,
            errors: dict | None = None):
    body = {
        "type": PROBLEM_TYPE + (code or str(status)),
        "title": title or HTTP_TITLES.get(status, "请求有误"),
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def flatten_marshmallow(messages_by_location: dict) -> dict[str, str]:
    """webargs' {'json': {'a': {'b': ['msg']}}} -> {'a.b': 'msg'} (the location dropped); the
    messages are already Chinese (services.common.schemas.Schema)."""
    flat: dict[str, str] = {}
    for messages in messages_by_location.values():
        flat.update(_flatten(messages, ""))
    return flat


def _flatten(messages, prefix: str) -> dict[str, str]:
    flat: dict[str, str] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(messages, list) and messages and all(isinstance(m, str) for m in messages):
        flat[prefix or "_schema"] = "；".join(messages)
    elif isinstance(messages, list):
        for index, value in enumerate(messages):
            flat.update(_flatten(value, f"{prefix}[{index}]"))
    return flat


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(error: DomainError):
        return problem(error.status, error.detail, code=error.code, title=error.title,
                       errors=error.errors)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        status = error.code or 500
        data = getattr(error, "data", None) or {}
        if status == 422 and "messages" in data:  # webargs / flask-smorest validation
            errors = flatten_marshmallow(data["messages"])
            detail = "；".join(f"{k}：{v}" for k, v in errors.items())
            return problem(422, detail, code="validation", errors=errors)
        if status == 413 and app.config.get("MAX_CONTENT_LENGTH"):
            limit = app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
            return problem(413, f"请求内容不能超过 {limit} MB", code="too-large")
        if status == 400 and error.description and "JSON" in str(error.description):
            return problem(400, "请求内容不是有效的 JSON", code="bad-json")
        return problem(status, HTTP_TITLES.get(status, error.name))

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        app.logger.exception("unhandled error")
        return problem(500, "系统繁忙，请稍后重试", code="internal")
