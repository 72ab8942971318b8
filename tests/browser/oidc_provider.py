"""A small OpenID provider for the browser tests: discovery, JWKS, an authorize page that
signs in `provider.subject` at once and sends the browser back, and a token endpoint."""
from __future__ import annotations

import secrets
import threading
import time
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, jsonify, redirect, request
from werkzeug.serving import make_server


class Provider:
    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.codes: dict[str, dict] = {}
        self.subject = "gov-user"
        app = Flask("oidc-provider")

        @app.get("/.well-known/openid-configuration")
        def discovery():
            return {"issuer": self.url, "authorization_endpoint": self.url + "/authorize",
                    "token_endpoint": self.url + "/token", "jwks_uri": self.url + "/jwks"}

        @app.get("/jwks")
        def jwks():
            jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
            return {"keys": [{**jwk, "kid": "p1", "alg": "RS256", "use": "sig"}]}

        @app.get("/authorize")
        def authorize():
            code = secrets.token_urlsafe(16)
            self.codes[code] = {"sub": self.subject, "nonce": request.args["nonce"]}
            return redirect(request.args["redirect_uri"] + "?" + urlencode(
                {"code": code, "state": request.args["state"]}))

        @app.post("/token")
        def token():
            grant = self.codes.pop(request.form.get("code", ""), None)
            if grant is None:
                return jsonify(error="invalid_grant"), 400
            now = int(time.time())
            id_token = jwt.encode({"iss": self.url, "aud": "rencai", "sub": grant["sub"],
                                   "nonce": grant["nonce"], "iat": now, "exp": now + 300},
                                  self.key, algorithm="RS256", headers={"kid": "p1"})
            return {"access_token": "at", "token_type": "Bearer", "expires_in": 300,
                    "id_token": id_token}

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
