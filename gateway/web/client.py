"""The one way pages reach the services: through the gateway's backends (in-process or HTTP),
as `/api/<service>/...` with the signed-in user's token — never a service's database or
modules. Shaped after GOV.UK Notify admin's API client: one small class, one method per call
kind, problem+json turned into `ApiError` with the API's `errors{field: msg}`."""
from __future__ import annotations

import json as jsonlib
from typing import Any, Callable

from flask import g, has_request_context, request
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request


class ApiError(Exception):
    """A 4xx/5xx answer of the API: its status, Chinese detail, field errors and problem code."""

    def __init__(self, status: int, body: dict | None):
        body = body if isinstance(body, dict) else {}
        self.status = status
        self.detail = body.get("detail") or body.get("title") or "服务暂不可用，请稍后再试"
        self.errors: dict[str, str] = body.get("errors") or {}
        self.code = str(body.get("type", "")).rsplit("/", 1)[-1]
        self.body = body
        super().__init__(f"{status} {self.detail}")


class NotSignedIn(ApiError):
    """401: the session is gone (expired, revoked); the page sends the user to 登录."""


class ApiClient:
    """`token` is a callable giving the current access token (or None when signed out);
    `on_unauthorized` may refresh it once and return True to retry."""

    def __init__(self, backends: dict, token: Callable[[], str | None] = lambda: None,
                 on_unauthorized: Callable[[], bool] | None = None):
        self.backends = backends
        self.token = token
        self.on_unauthorized = on_unauthorized

    # --- the verbs pages use ---------------------------------------------------------------
    def get(self, service: str, path: str, **query) -> Any:
        return self.call("GET", service, path, query=query)

    def post(self, service: str, path: str, json: dict | None = None) -> Any:
        return self.call("POST", service, path, json=json if json is not None else {})

    def put(self, service: str, path: str, json: dict) -> Any:
        return self.call("PUT", service, path, json=json)

    def delete(self, service: str, path: str) -> Any:
        return self.call("DELETE", service, path)

    def upload(self, service: str, path: str, fields: dict, file_field: str,
               filename: str, stream, content_type: str | None = None) -> Any:
        data = dict(fields)
        data[file_field] = (stream, filename, content_type or "application/octet-stream")
        return self.call("POST", service, path, form=data)

    def raw(self, method: str, service: str, path: str, **query) -> tuple[int, bytes, str]:
        """(status, body, content type) of a non-JSON answer (an image, a download)."""
        response = self._send(method, service, path, None, query, None)
        return response.status_code, _body(response), response.mimetype

    def download(self, service: str, path: str, **query):
        """A file the API sends (an export): the response itself (body, type, file name);
        a problem answer raises ApiError like any call."""
        response = self._send("GET", service, path, None, query, None)
        if response.status_code >= 400:
            body = response.get_data()
            parsed = jsonlib.loads(body) if body and "json" in (response.mimetype or "") else None
            raise (NotSignedIn if response.status_code == 401 else ApiError)(
                response.status_code, parsed)
        return response

    # --- the plumbing ----------------------------------------------------------------------
    def call(self, method: str, service: str, path: str, *, json: dict | None = None,
             query: dict | None = None, form: dict | None = None, _retry: bool = True) -> Any:
        response = self._send(method, service, path, json, query, form)
        if response.status_code == 401 and _retry and self.on_unauthorized \
                and self.token() and self.on_unauthorized():
            response.close()
            if form:  # a file stream is spent; the page asks again rather than resending
                for value in form.values():
                    if isinstance(value, tuple):
                        value[0].seek(0)
            return self.call(method, service, path, json=json, query=query, form=form,
                             _retry=False)
        body = _body(response)
        parsed = None
        if body and response.mimetype in ("application/json", "application/problem+json"):
            parsed = jsonlib.loads(body)
        if response.status_code >= 400:
            if response.status_code == 401:
                raise NotSignedIn(401, parsed)
            raise ApiError(response.status_code, parsed)
        return parsed

    def _send(self, method, service, path, json, query, form):
        backend = self.backends.get(service)
        if backend is None:
            raise ApiError(404, {"detail": f"没有名为 {service} 的服务"})
        headers = {"Accept": "application/json"}
        token = self.token()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if has_request_context():  # the browser's address and the request id travel to the service
            headers["X-Forwarded-For"] = request.remote_addr or ""
            headers["X-Request-Id"] = g.get("request_id", "")
            if request.user_agent.string:
                headers["User-Agent"] = request.user_agent.string
        query = {k: v for k, v in (query or {}).items() if v not in (None, "")}
        builder = EnvironBuilder(method=method, path=f"/api/{service}/{path}",
                                 query_string=query, json=json, data=form, headers=headers)
        try:
            api_request = Request(builder.get_environ())
            return backend.forward(api_request, path, {
                "X-Request-Id": headers.get("X-Request-Id", ""),
                "X-Forwarded-For": headers.get("X-Forwarded-For", "")})
        finally:
            builder.close()


def _body(response) -> bytes:
    """The whole answer: the HTTP backend streams it (direct passthrough), in-process not."""
    if response.direct_passthrough:
        try:
            return b"".join(response.response)
        finally:
            response.close()
    return response.get_data()
