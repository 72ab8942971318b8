"""`make run` serves with a production WSGI server (waitress), without a Server banner."""
import threading

import requests
from flask import Flask

from gateway.embedded import serve


def test_the_embedded_system_is_served_by_waitress_without_a_banner():
    app = Flask("probe")
    app.get("/ping")(lambda: {"ok": True})
    server = serve(app, "127.0.0.1", 0)
    assert type(server).__module__.startswith("waitress")
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        reply = requests.get(f"http://127.0.0.1:{server.effective_port}/ping", timeout=10)
        assert reply.json() == {"ok": True}
        assert "Server" not in reply.headers
    finally:
        server.close()
