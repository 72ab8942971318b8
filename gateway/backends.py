"""How the gateway reaches a service: in-process (embedded) or over pooled HTTP (stack)."""
from __future__ import annotations

from urllib.parse import quote, urlsplit

from flask import Flask, Request, Response
from urllib3 import Retry, Timeout, connection_from_url
from urllib3.exceptions import ConnectTimeoutError, HTTPError, MaxRetryError, ReadTimeoutError
from werkzeug.exceptions import ClientDisconnected
from werkzeug.test import run_wsgi_app

from services.common.errors import problem

# How long a client should wait before trying again when a service cannot be reached.
RETRY_AFTER_SECONDS = 5

# Answers up to this size (with a Content-Length) are read whole and sent on in one piece;
# larger or unsized ones stream through in blocks of STREAM_BLOCK.
BUFFER_UP_TO = 256 * 1024
STREAM_BLOCK = 64 * 1024
# As requests did: no retry of a request that may have reached the service (a read error is
# raised as it is), no redirect followed.
NO_RETRIES = Retry(total=0, read=False, redirect=False)
# Left as they are when a path or query is percent-encoded (requests' requote_uri's set).
URL_SAFE = "!#$%&'()*+,/:;=?@[]~"

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


def unreachable(service: str, error: Exception) -> Response:
    """What the client learns when a service did not answer: 503 when the request never
    reached it (nothing was done, retry), 504/502 when it may have (retry with the same
    Idempotency-Key to be safe); never a 500 "系统繁忙"."""
    reason = error.reason if isinstance(error, MaxRetryError) else error
    if isinstance(reason, ConnectTimeoutError):  # NewConnectionError (refused, unresolvable) too
        status, detail = 503, f"{service} 服务暂不可用，请求未被办理，请稍后重试"
    elif isinstance(reason, ReadTimeoutError):
        status, detail = 504, (f"{service} 服务响应超时，请求可能已被办理：请稍后查看结果，"
                               "或带同一 Idempotency-Key 重试")
    else:
        status, detail = 502, (f"{service} 服务的响应中断，请求可能已被办理：请稍后查看结果，"
                               "或带同一 Idempotency-Key 重试")
    response = problem(status, detail, code="upstream-unavailable" if status == 503
                       else "upstream-failed")
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class HttpBackend:
    """Forwards over HTTP on a pool of keep-alive connections (urllib3's own: `requests`
    on top cost the gateway about a third of its CPU per request — proxy settings read from
    the environment, cookies, hooks — for nothing a proxy needs)."""

    def __init__(self, name: str, base_url: str, pool_size: int = 20,
                 timeout: tuple[float, float] = (3, 60)):
        self.name = name
        self.timeout = Timeout(connect=timeout[0], read=timeout[1])
        self.prefix = urlsplit(base_url).path.rstrip("/")
        # A streamed request body goes in 1 MiB blocks (http.client's default is 8 KiB: an
        # upload of 100 MB was 12,800 reads and sends through Python).
        self.pool = connection_from_url(base_url, maxsize=pool_size, blocksize=1024 * 1024)

    def _open(self, method: str, target: str, headers: dict, body=None, timeout=None):
        """One request, never retried nor redirected; the body is left to read."""
        return self.pool.urlopen(method, target, body=body, headers=headers,
                                 retries=NO_RETRIES, redirect=False, assert_same_host=False,
                                 timeout=timeout or self.timeout, preload_content=False,
                                 decode_content=False)

    def forward(self, request: Request, path: str, extra_headers: dict) -> Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        headers.update(extra_headers)
        body = None
        if request.content_length:
            body = _RequestBody(request.environ["wsgi.input"], request.content_length)
            headers["Content-Length"] = str(request.content_length)
        try:
            upstream = self._open(request.method, self._target(path, request.query_string),
                                  headers, body)
        except (HTTPError, OSError) as error:
            return unreachable(self.name, error)
        response_headers = [(k, v) for k, v in upstream.headers.items()
                            if k.lower() not in HOP_BY_HOP]
        length = upstream.length_remaining
        if length is not None and length <= BUFFER_UP_TO:
            # Small (most API answers): read at once, the connection back in the pool now.
            try:
                data = upstream.read()
            except (HTTPError, OSError) as error:
                upstream.close()
                return unreachable(self.name, error)
            return Response(data, status=upstream.status, headers=response_headers)
        return Response(_relay(upstream), status=upstream.status, headers=response_headers,
                        direct_passthrough=True)

    def _target(self, path: str, query: bytes) -> str:
        # The path as requests sent it: UTF-8, percent-encoded where unsafe.
        target = quote(f"{self.prefix}/{path}", safe=URL_SAFE)
        return f"{target}?{quote(query, safe=URL_SAFE)}" if query else target

    def health(self) -> bool:
        try:
            upstream = self._open("GET", f"{self.prefix}/healthz", {}, timeout=Timeout(2))
            upstream.drain_conn()
            upstream.release_conn()
            return upstream.status == 200
        except (HTTPError, OSError):
            return False

    def fetch(self, path: str, headers: dict) -> tuple[int, bytes]:
        """A GET of the gateway's own; (502, b"") when the service cannot be reached."""
        try:
            upstream = self._open("GET", self._target(path, b""), headers)
            return upstream.status, upstream.read()
        except (HTTPError, OSError):
            return 502, b""


class _RequestBody:
    """The client's body as urllib3 sends it on: streamed, never whole in memory, read
    straight from the server's wsgi.input (werkzeug's request.stream copied each block twice
    more) and never past its Content-Length. A client that stops short fails the request
    here, so urllib3 closes the service's connection: gunicorn marks its input terminated,
    so request.stream just ended, and the service's worker waited for the rest until the
    read timeout (60 s), its upload's temp file with it."""

    def __init__(self, stream, length: int):
        self.stream, self.left = stream, length

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(self.left if size < 0 else min(size, self.left))
        self.left -= len(data)
        if not data and self.left > 0:
            raise ClientDisconnected()
        return data


def _relay(upstream):
    """A large or unsized answer, passed on as it arrives; the connection is closed rather
    than pooled when the client went away before the end."""
    finished = False
    try:
        yield from upstream.stream(STREAM_BLOCK, decode_content=False)
        finished = True
    finally:
        if not finished:
            upstream.close()
        upstream.release_conn()
