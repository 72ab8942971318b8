"""Synchronous internal calls between services, for where a user waits (DESIGN.md §1).

The one internal call is "apply this event now": after a use case's transaction commits, the
events its producer marks `AT_ONCE` (events.py) are handed straight to the consumers named
there, which apply them with their ordinary idempotent handler (`EventConsumer.apply`, the
envelope id recorded in `processed_messages`). So the answer is already true everywhere the
user looks next when the response is sent, and the bus delivery that follows is a no-op. The
outbox stays the source of truth: if the call fails (the consumer is down, or it is waiting
for an earlier event), the bus delivers the event as before.

Transport: in the embedded mode the target's app is called in-process (its WSGI app, the same
route and checks); in the stack over HTTP to RENCAI_<SERVICE>_URL. Either way the call carries
a service credential — a short-lived HS256 token signed with the services' shared key
(RENCAI_SERVICE_KEY or _FILE, base64 of 32 bytes; embedded: generated once into var/keys/) —
that no user token can stand in for and no header a client sets can forge. The gateway never
routes /internal/ paths.
"""
from __future__ import annotations

import http.client
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import jwt
from flask import Flask, current_app, jsonify, request

from .errors import NotAuthenticated, problem
from .keyring import Keyring

log = logging.getLogger("rencai.internal")

AUDIENCE = "rencai-internal"
ISSUER = "rencai-service"
SCHEME = "Service"
LIFETIME = 60
EVENTS_PATH = "/internal/events"


def service_key(settings) -> bytes:
    """The services' shared signing key, a key like the others (services/common/keyring.py):
    RENCAI_SERVICE_KEY or RENCAI_SERVICE_KEY_FILE; generated into var/keys/ only in the
    embedded development mode, refused missing or a demonstration key in the stack."""
    return Keyring.from_env("SERVICE_KEY", settings.development_keys_dir).current


def issue_credential(key: bytes, service: str, audience_service: str) -> str:
    now = int(time.time())
    return jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "sub": service,
                       "to": audience_service, "iat": now, "exp": now + LIFETIME},
                      key, algorithm="HS256")


def verify_credential(key: bytes, header: str, me: str) -> str:
    """The calling service's name, or NotAuthenticated."""
    scheme, _, token = (header or "").partition(" ")
    if scheme != SCHEME or not token:
        raise NotAuthenticated("内部接口仅供平台服务调用")
    try:
        claims = jwt.decode(token.strip(), key, algorithms=["HS256"], audience=AUDIENCE,
                            issuer=ISSUER, options={"require": ["exp", "sub", "aud"]})
    except jwt.PyJWTError:
        raise NotAuthenticated("内部接口仅供平台服务调用") from None
    if claims.get("to") != me:
        raise NotAuthenticated("内部接口仅供平台服务调用")
    return claims["sub"]


class InternalClient:
    """One service's way to call the others synchronously (see the module's docstring)."""

    def __init__(self, service: str, key: bytes, urls: dict[str, str] | None = None):
        self.service = service
        self.key = key
        self.urls = urls or {}          # stack: base URLs
        self.local: dict[str, Flask] = {}  # embedded: the apps of this process
        self._kept = threading.local()  # stack: each thread's kept-alive connections
        self._parallel = None  # threads for several HTTP targets at once (deliver)
        self._credentials: dict[str, tuple[str, float]] = {}  # target -> (token, reuse until)

    def credential(self, target: str) -> str:
        """This service's credential for `target`, signed afresh once a third of its lifetime
        has passed rather than per call (the signing was a tenth of a delivery's CPU)."""
        token, until = self._credentials.get(target, ("", 0.0))
        if time.monotonic() >= until:
            token = issue_credential(self.key, self.service, target)
            self._credentials[target] = (token, time.monotonic() + LIFETIME / 3)
        return token

    def reachable(self, target: str) -> bool:
        return target in self.local or target in self.urls

    def post(self, target: str, path: str, body: dict, timeout: float = 10) -> tuple[int, dict]:
        headers = {"Authorization": f"{SCHEME} {self.credential(target)}"}
        if target in self.local:
            with self.local[target].test_client() as client:
                response = client.post(path, json=body, headers=headers)
                return response.status_code, response.get_json(silent=True) or {}
        status, data = self._post_http(target, path, json.dumps(body).encode(),
                                       {**headers, "Content-Type": "application/json"}, timeout)
        try:
            return status, json.loads(data)
        except ValueError:
            return status, {}

    def _post_http(self, target: str, path: str, body: bytes, headers: dict,
                   timeout: float) -> tuple[int, bytes]:
        """One POST on this thread's kept-alive connection to `target` (http.client: urllib3's
        pool and response objects cost as much CPU again as the call itself, on the user's
        request path). A kept connection the target closed meanwhile fails on first use: the
        call is made once more on a new one (the receiver applies an envelope once however
        often it arrives)."""
        kept = self._kept.__dict__  # this thread's: target -> connection
        connection = kept.get(target)
        if connection is not None and connection.sock is not None:
            try:
                return _exchange(connection, path, body, headers, timeout)
            except ConnectionError:  # (not a timeout: the target is slow, not gone)
                pass  # closed by the target meanwhile: once more on a new connection
        connection = kept[target] = _connection(self.urls[target])
        return _exchange(connection, path, body, headers, timeout)

    def deliver(self, envelope: dict, targets: tuple[str, ...]) -> dict[str, bool]:
        """Applies `envelope` at each target now; what each answered (False: left to the
        bus). Never raises: the event is committed and the bus will carry it anyway. Several
        targets over HTTP are called at once (a logout's revocation goes to three services:
        the user waits for the slowest, not for the sum)."""
        targets = [target for target in targets
                   if target != self.service and self.reachable(target)]
        over_http = [target for target in targets if target not in self.local]
        if len(over_http) > 1:
            if self._parallel is None:
                self._parallel = ThreadPoolExecutor(max_workers=4,
                                                    thread_name_prefix="at-once")
            answers = dict(zip(over_http, self._parallel.map(
                lambda target: self._deliver_one(envelope, target), over_http)))
        else:
            answers = {}
        return {target: answers[target] if target in answers
                else self._deliver_one(envelope, target) for target in targets}

    def _deliver_one(self, envelope: dict, target: str) -> bool:
        try:
            status, answer = self.post(target, EVENTS_PATH, envelope)
        except Exception as error:  # noqa: BLE001 - the bus carries it
            log.warning("%s -> %s: %s not delivered at once (%s); the bus carries it",
                        self.service, target, envelope["type"], error)
            return False
        if status != 200:
            log.warning("%s -> %s: %s not applied at once (%s %s); the bus carries it",
                        self.service, target, envelope["type"], status, answer.get("detail"))
        return status == 200


CONNECT_TIMEOUT = 2


def _connection(base_url: str) -> http.client.HTTPConnection:
    """A connection to a service's base URL (http or https, an optional path prefix)."""
    url = urlsplit(base_url)
    kind = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
    connection = kind(url.hostname, url.port, timeout=CONNECT_TIMEOUT)
    connection.base_path = url.path.rstrip("/")
    return connection


def _exchange(connection: http.client.HTTPConnection, path: str, body: bytes, headers: dict,
              timeout: float) -> tuple[int, bytes]:
    try:
        if connection.sock is None:
            connection.connect()  # within CONNECT_TIMEOUT, then reads within `timeout`
            connection.sock.settimeout(timeout)
        connection.request("POST", connection.base_path + path, body, headers)
        response = connection.getresponse()
        return response.status, response.read()
    except BaseException:
        connection.close()
        raise


def install_receiver(app: Flask, service: str, key: bytes) -> None:
    """POST /internal/events on `app`: applies an envelope with the service's consumer."""

    @app.post(EVENTS_PATH)
    def _apply_event():
        verify_credential(key, request.headers.get("Authorization", ""), service)
        consumer = current_app.extensions["rencai.kit"].worker.consumer
        envelope = request.get_json(silent=True)
        if consumer is None or not isinstance(envelope, dict) or \
                envelope.get("type") not in consumer.handlers:
            return problem(404, "本服务不处理该事件")
        try:
            applied = consumer.apply(envelope)
        except Exception as error:  # noqa: BLE001 - the caller falls back to the bus
            log.info("%s: %s not applied at once: %s", service, envelope.get("type"), error)
            return problem(503, "暂时无法处理该事件，将由消息总线送达")
        return jsonify({"applied": applied})
