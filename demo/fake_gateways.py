"""FAKE external gateways for the stack on this machine, compose and the stack tests — never
for a deployment that real people use.

identity talks to two outside systems: an SMS gateway (RENCAI_SMS_URL) and the authoritative
name ↔ ID-number check (RENCAI_NAME_CHECK_URL). Outside development it refuses to start
without them. This one process stands in for both, so the stack runs identity exactly as a
deployment would (HTTP, no development sender):

    POST /sms         {phone, text}        "sends" it: kept in memory (the last 2000)
    GET  /sms?phone=  {messages: [...]}     what was "sent" to a phone, newest first — for the
                                            tests and demo users; it is on the internal network
                                            only (compose publishes no port for it)
    POST /name-check  {name, id_number}    {"match": true, "fake": true} for any pair: it
                                            checks nothing (identity has checked GB 11643)

    python -m demo.fake_gateways [--host 127.0.0.1] [--port 8109]
"""
from __future__ import annotations

import argparse
import json
import threading
from collections import deque
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

MESSAGES: deque = deque(maxlen=2000)
LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    server_version = "fake-gateways"

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _json(self) -> dict | None:
        try:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    def do_POST(self):  # noqa: N802 - the http.server name
        path = urlsplit(self.path).path
        body = self._json()
        if body is None:
            return self._answer(400, {"error": "a JSON object is expected"})
        if path == "/sms":
            if not body.get("phone") or not body.get("text"):
                return self._answer(400, {"error": "phone and text are required"})
            with LOCK:
                MESSAGES.append({"phone": str(body["phone"]), "text": str(body["text"]),
                                 "sent_at": datetime.now(timezone.utc).isoformat()})
            return self._answer(200, {"accepted": True, "fake": True})
        if path == "/name-check":
            if not body.get("name") or not body.get("id_number"):
                return self._answer(400, {"error": "name and id_number are required"})
            return self._answer(200, {"match": True, "fake": True})
        return self._answer(404, {"error": "not found"})

    def do_GET(self):  # noqa: N802
        url = urlsplit(self.path)
        if url.path == "/healthz":
            return self._answer(200, {"status": "ok", "fake": True})
        if url.path == "/sms":
            phone = (parse_qs(url.query).get("phone") or [""])[0]
            with LOCK:
                mine = [m for m in MESSAGES if m["phone"] == phone]
            return self._answer(200, {"messages": mine[::-1]})
        return self._answer(404, {"error": "not found"})

    def log_message(self, *_args):  # the messages hold codes: no access log
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description="FAKE SMS gateway and name check (demo only)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8109)
    args = parser.parse_args()
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    print(f"FAKE sms / name-check gateways on {args.host}:{args.port} (demo only)", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
