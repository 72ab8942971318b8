"""Third-party sign-in (OIDC) against a small provider this test starts on a local port:
link from the personal centre, then sign in with it; a forged or replayed callback fails."""
import base64
import hashlib
import secrets
import threading
import time
from urllib.parse import parse_qs, urlencode, urlparse

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, jsonify, redirect, request
from werkzeug.serving import make_server

from tests.service.identity_harness import Harness

CLIENT_ID, CLIENT_SECRET = "rencai", "s3cret"


class Provider:
    """A tiny OpenID provider: discovery, JWKS, authorize (auto-approves `user`), token."""

    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.codes = {}
        self.forge = False
        app = Flask("provider")

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
            args = request.args
            assert args["client_id"] == CLIENT_ID and args["code_challenge_method"] == "S256"
            code = secrets.token_urlsafe(16)
            self.codes[code] = {"sub": args["user"], "nonce": args["nonce"],
                                "challenge": args["code_challenge"]}
            return redirect(args["redirect_uri"] + "?" + urlencode(
                {"code": code, "state": args["state"]}))

        @app.post("/token")
        def token():
            grant = self.codes.pop(request.form["code"], None)
            auth = request.authorization
            if grant is None or auth is None or (auth.username, auth.password) != (
                    CLIENT_ID, CLIENT_SECRET):
                return jsonify(error="invalid_grant"), 400
            verifier = request.form["code_verifier"].encode()
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
            if challenge.decode() != grant["challenge"]:
                return jsonify(error="invalid_grant"), 400
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048) \
                if self.forge else self.key
            now = int(time.time())
            id_token = jwt.encode({"iss": self.url, "aud": CLIENT_ID, "sub": grant["sub"],
                                   "nonce": grant["nonce"], "iat": now, "exp": now + 300},
                                  key, algorithm="RS256", headers={"kid": "p1"})
            return {"access_token": "at", "token_type": "Bearer", "expires_in": 300,
                    "id_token": id_token}

        self.server = make_server("127.0.0.1", 0, app)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture(scope="module")
def provider():
    started = Provider()
    yield started
    started.close()


@pytest.fixture(scope="module")
def h(tmp_path_factory, provider):
    harness = Harness(tmp_path_factory.mktemp("identity-oidc"), oidc_providers={
        "gov": {"title": "国家政务服务平台", "issuer": provider.url, "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uri": "https://rencai.example/login/callback/gov"}})
    yield harness
    harness.close()


def sign_in_at_provider(url, user):
    """The browser at the provider: the user signs in there and is sent back with a code."""
    back = requests.get(url + f"&user={user}", allow_redirects=False, timeout=5)
    query = parse_qs(urlparse(back.headers["Location"]).query)
    return {"state": query["state"][0], "code": query["code"][0]}


def test_link_then_sign_in_with_the_provider(h):
    assert h.call("GET", "/oidc/providers").get_json() == [
        {"name": "gov", "title": "国家政务服务平台"}]
    person = h.register("oidcperson")
    # Not linked yet: a clear refusal.
    start = h.call("POST", "/oidc/gov/authorize").get_json()
    reply = h.call("POST", "/oidc/gov/callback",
                   sign_in_at_provider(start["authorization_url"], "gov-user-1"))
    assert reply.status_code == 409 and reply.get_json()["type"].endswith("/oidc-not-linked")

    link = h.call("POST", "/me/oidc/gov/authorize", token=person["token"]).get_json()
    linked = h.call("POST", "/oidc/gov/callback",
                    sign_in_at_provider(link["authorization_url"], "gov-user-1"))
    assert linked.status_code == 200 and linked.get_json() == {"linked": True, "provider": "gov"}
    assert [item["provider"] for item in h.call("GET", "/me/external-identities",
                                                token=person["token"]).get_json()] == ["gov"]

    start = h.call("POST", "/oidc/gov/authorize").get_json()
    callback = sign_in_at_provider(start["authorization_url"], "gov-user-1")
    reply = h.call("POST", "/oidc/gov/callback", callback)
    assert reply.status_code == 200
    claims = jwt.decode(reply.get_json()["tokens"]["access_token"],
                        options={"verify_signature": False})
    assert claims["sub"] == person["account_id"] and claims["amr"] == ["oidc:gov"]
    # The same callback again (a replay): refused.
    again = h.call("POST", "/oidc/gov/callback", callback)
    assert again.status_code == 422 and again.get_json()["errors"] == {
        "state": "登录请求已失效，请重新发起"}


def test_a_forged_id_token_or_bad_input_is_refused(h, provider):
    start = h.call("POST", "/oidc/gov/authorize").get_json()
    provider.forge = True
    try:
        reply = h.call("POST", "/oidc/gov/callback",
                       sign_in_at_provider(start["authorization_url"], "gov-user-1"))
    finally:
        provider.forge = False
    assert reply.status_code == 401 and reply.get_json()["detail"] == "第三方身份令牌无效"

    start = h.call("POST", "/oidc/gov/authorize").get_json()
    bad_code = h.call("POST", "/oidc/gov/callback", {"state": start["state"], "code": "nope"})
    assert bad_code.status_code == 401 and bad_code.get_json()["errors"] == {
        "code": "授权码无效或已过期"}
    assert h.call("POST", "/oidc/gov/callback", {}).get_json()["errors"] == {
        "state": "必填项", "code": "必填项"}
    assert h.call("POST", "/oidc/wechat/authorize").status_code == 404
