"""Security headers on every response, of the gateway and of every service, and no `Server`
banner from the HTTP servers that run them (werkzeug embedded, gunicorn in the stack)."""
from __future__ import annotations

import re
from typing import Callable

from flask import Flask, Request, request
from werkzeug.serving import WSGIRequestHandler

HSTS = "max-age=31536000; includeSubDomains"
# An X-Request-Id a client may send (else a new one is made): the gateway's and every service's.
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def served_over_https(req: Request) -> bool:
    """Directly, or behind a proxy that ended TLS and says so."""
    forwarded = req.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    return req.is_secure or forwarded == "https"


def install_security_headers(app: Flask,
                             no_store: Callable[[Request], bool] = lambda _request: True) -> None:
    """After every response (errors included): nosniff, no framing, referrer kept to our own
    origin, HSTS when served over https, and `Cache-Control: no-store` wherever `no_store`
    says so (personal data, exports) unless the view chose its own caching. Headers a view
    set itself (a page's stricter Content-Security-Policy) are left alone."""

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        # One pass over the names: werkzeug's setdefault and `in` each walk and lower-case
        # every header: seven walks were ≈ 5 % of a proxied request's CPU at the gateway.
        present = {name.lower() for name in headers.keys()}
        if "x-content-type-options" not in present:
            headers.add("X-Content-Type-Options", "nosniff")
        if "x-frame-options" not in present:
            headers.add("X-Frame-Options", "DENY")
        if "content-security-policy" not in present:
            headers.add("Content-Security-Policy", "frame-ancestors 'none'")
        # same-origin, not no-referrer: CSRF checks on https compare our own Referer.
        if "referrer-policy" not in present:
            headers.add("Referrer-Policy", "same-origin")
        if "strict-transport-security" not in present and served_over_https(request):
            headers.add("Strict-Transport-Security", HSTS)
        if "cache-control" not in present and no_store(request):
            headers.add("Cache-Control", "no-store")
        if "server" in present:
            headers.remove("Server")  # an upstream's banner passed through the gateway
        return response


class QuietRequestHandler(WSGIRequestHandler):
    """werkzeug's handler without the `Server: Werkzeug/x Python/y` banner."""

    def send_response(self, code, message=None):
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())


def hide_gunicorn_banner() -> None:
    """gunicorn writes `Server: gunicorn` before the app's headers; drop that line (called
    from gunicorn.conf.py, which gunicorn reads from the working directory)."""
    from gunicorn.http import wsgi

    if getattr(wsgi.Response.default_headers, "rencai_quiet", False):
        return
    original = wsgi.Response.default_headers

    def default_headers(self):
        return [line for line in original(self) if not line.lower().startswith("server:")]

    default_headers.rencai_quiet = True
    wsgi.Response.default_headers = default_headers
