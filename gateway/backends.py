"""How the gateway reaches a service: in-process (embedded) or over pooled HTTP (stack)."""
from __future__ import annotations

import requests
from flask import Flask, Request, Response
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NewConnectionError
from werkzeug.test import run_wsgi_app

from services.common.errors import problem

# How long a client should wait before trying again when a service cannot be reached.
RETRY_AFTER_SECONDS = 5

# Headers that describe one hop of a connection and must not be forwarded.
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
              "trailers", "transfer-encoding", "upgrade", "host", "content-length"}


class InProcessBackend:
    """Calls the service's WSGI app directly, as if it were mounted at /api/<service>."""

    def __init__(self, name: str, app: Flask):
        self.name = name
        self.app = app

    def forward(self, request: Request, path: str, extra_headers: dict) -> Response:
        environ = dict(request.environ)
        environ["SCRIPT_NAME"] = f"/api/{self.name}"
        # WSGI carries the path as latin-1 text of its UTF-8 bytes (PEP 3333); a decoded
        # 中 would not survive the service's request parsing.
        environ["PATH_INFO"] = ("/" + path).encode("utf-8").decode("latin-1")
        environ["wsgi.input"] = request.stream
        for header, value in extra_headers.items():
            environ["HTTP_" + header.upper().replace("-", "_")] = value
        app_iter, status, headers = run_wsgi_app(self.app, environ, buffered=False)
        return Response(app_iter, status=status, headers=headers)

    def health(self) -> bool:
        with self.app.test_client() as client:
            return client.get("/healthz").status_code == 200

    def fetch(self, path: str, headers: dict) -> tuple[int, bytes]:
        """A GET of the gateway's own (e.g. collecting a person's data): status, body."""
        with self.app.test_client() as client:
            response = client.get("/" + path, headers=headers)
            return response.status_code, response.get_data()


class _SizedStream:
    """The request body with its known length, so `requests` sends Content-Length (not
    chunked) while still streaming it."""

    def __init__(self, stream, length: int):
        self._stream = stream
        self._length = length

    def __len__(self):
        return self._length

    def read(self, size: int = -1) -> bytes:
        return self._stream.read(size)


def unreachable(service: str, error: requests.RequestException) -> Response:
    """What the client learns when a service did not answer: 503 when the request never
    reached it (nothing was done, retry), 504/502 when it may have (retry with the same
    Idempotency-Key to be safe); never a 500 "系统繁忙"."""
    if isinstance(error, requests.ConnectTimeout) or (
            isinstance(error, requests.ConnectionError) and _before_sending(error)):
        status, detail = 503, f"{service} 服务暂不可用，请求未被办理，请稍后重试"
    elif isinstance(error, requests.Timeout):
        status, detail = 504, (f"{service} 服务响应超时，请求可能已被办理：请稍后查看结果，"
                               "或带同一 Idempotency-Key 重试")
    else:
        status, detail = 502, (f"{service} 服务的响应中断，请求可能已被办理：请稍后查看结果，"
                               "或带同一 Idempotency-Key 重试")
    response = problem(status, detail, code="upstream-unavailable" if status == 503
                       else "upstream-failed")
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _before_sending(error: requests.ConnectionError) -> bool:
    """A refused or unresolvable connection: the request never left."""
    reason = getattr(error.args[0] if error.args else None, "reason", None)
    return isinstance(reason, NewConnectionError)  # NameResolutionError is one too


class _LargeBlocks(HTTPAdapter):
    """Sends a streamed request body in 1 MiB blocks (http.client's default is 8 KiB: an
    upload of 100 MB was 12,800 reads and sends through Python)."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, blocksize=1024 * 1024, **kwargs)


class HttpBackend:
    """Forwards over HTTP with a pooled, keep-alive session."""

    def __init__(self, name: str, base_url: str, pool_size: int = 20,
                 timeout: tuple[float, float] = (3, 60)):
        self.name = name
        self.timeout = timeout  # (connect, read) seconds
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        adapter = _LargeBlocks(pool_connections=pool_size, pool_maxsize=pool_size)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def forward(self, request: Request, path: str, extra_headers: dict) -> Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        headers.update(extra_headers)
        body = None
        if request.content_length:
            body = _SizedStream(request.stream, request.content_length)
        try:
            upstream = self.session.request(
                request.method, f"{self.base_url}/{path}", params=request.query_string or None,
                data=body, headers=headers, stream=True, allow_redirects=False,
                timeout=self.timeout)
        except requests.RequestException as error:
            return unreachable(self.name, error)
        response_headers = [(k, v) for k, v in upstream.raw.headers.items()
                            if k.lower() not in HOP_BY_HOP]
        return Response(upstream.iter_content(64 * 1024), status=upstream.status_code,
                        headers=response_headers, direct_passthrough=True)

    def health(self) -> bool:
        try:
            return self.session.get(f"{self.base_url}/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def fetch(self, path: str, headers: dict) -> tuple[int, bytes]:
        """A GET of the gateway's own; (502, b"") when the service cannot be reached."""
        try:
            response = self.session.get(f"{self.base_url}/{path}", headers=headers,
                                        timeout=(3, 60))
        except requests.RequestException:
            return 502, b""
        return response.status_code, response.content
