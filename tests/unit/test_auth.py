"""Access-token verification (the kit), and what the gateway answers for a bad token."""
import base64
import json
from datetime import datetime, timedelta, timezone

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from services.common.auth import TokenVerifier
from services.common.errors import NotAuthenticated

ISSUER = "rencai-identity"


def _key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


KEY, OTHER_KEY = _key(), _key()


def _jwks(key, kid="k1"):
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return {"keys": [{**jwk, "kid": kid, "alg": "RS256", "use": "sig"}]}


def _token(key=KEY, kid="k1", **overrides):
    now = datetime.now(timezone.utc)
    claims = {"iss": ISSUER, "aud": "rencai", "sub": "a1", "typ": "access", "kind": "staff",
              "name": "科委审核员", "org": "o1", "roles": ["supervisor"], "iat": now,
              "exp": now + timedelta(minutes=5), **overrides}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


@pytest.fixture
def verifier():
    return TokenVerifier(lambda: _jwks(KEY), ISSUER)


def test_a_good_token_gives_the_callers_claims(verifier):
    claims = verifier.verify(_token())
    assert (claims.sub, claims.kind, claims.org, claims.roles) == ("a1", "staff", "o1", ("supervisor",))
    assert claims.groups == {"supervisor:o1"}


# Each case makes its token when the test runs, not when pytest collects it: a token made at
# collection had expired by the time this ran in a slow suite, and the checks after `exp`
# (issuer, audience, type) then answered "expired" instead.
@pytest.mark.parametrize("make, message", [
    (lambda: _token(exp=datetime.now(timezone.utc) - timedelta(seconds=1)), "登录已过期，请重新登录"),
    (lambda: _token(key=OTHER_KEY), "登录凭证无效，请重新登录"),
    (lambda: _token(kid="unknown"), "登录凭证无效，请重新登录"),
    (lambda: _token(iss="someone-else"), "登录凭证无效，请重新登录"),
    (lambda: _token(aud="another-app"), "登录凭证无效，请重新登录"),
    (lambda: _token(typ="refresh"), "登录凭证无效，请重新登录"),
    (lambda: "not-a-token", "登录凭证格式不正确，请重新登录"),
], ids=["expired", "wrong-key", "unknown-kid", "wrong-issuer", "wrong-audience",
        "not-an-access-token", "garbage"])
def test_bad_tokens_are_refused(verifier, make, message):
    with pytest.raises(NotAuthenticated) as refused:
        verifier.verify(make())
    assert refused.value.detail == message


def _tampered(token: str, **changes) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims.update(changes)
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def test_a_tampered_token_is_refused(verifier):
    with pytest.raises(NotAuthenticated):
        verifier.verify(_tampered(_token(), roles=["admin"]))


def test_an_unsigned_token_is_refused(verifier):
    unsigned = jwt.encode({"sub": "a1", "typ": "access"}, None, algorithm="none",
                          headers={"kid": "k1"})
    with pytest.raises(NotAuthenticated):
        verifier.verify(unsigned)


def test_a_rotated_key_is_fetched_when_first_seen():
    published = {"jwks": _jwks(KEY)}
    verifier = TokenVerifier(lambda: published["jwks"], ISSUER, min_refresh_seconds=0)
    verifier.verify(_token())
    published["jwks"] = {"keys": _jwks(KEY)["keys"] + _jwks(OTHER_KEY, "k2")["keys"]}
    assert verifier.verify(_token(key=OTHER_KEY, kid="k2")).sub == "a1"


def test_the_gateway_answers_401_problems(gateway):
    token = gateway.login("kewei").token
    for headers in ({}, {"Authorization": "Bearer " + _tampered(token, roles=["admin"])},
                    {"Authorization": "Basic a2V3ZWk6eA=="}):
        reply = gateway.send("GET", "/api/workflow/tasks", headers=headers)
        assert reply.status == 401, reply
        assert reply.headers["Content-Type"].startswith("application/problem+json")
        assert reply.body["title"] == "未登录或登录已过期"


# --- the denylist -----------------------------------------------------------------------------

def test_a_revoked_token_is_refused_before_it_expires():
    revoked = set()
    verifier = TokenVerifier(lambda: _jwks(KEY), ISSUER, is_revoked=revoked.__contains__)
    token = _token(jti="j-1")
    assert verifier.verify(token).jti == "j-1"
    revoked.add("j-1")
    with pytest.raises(NotAuthenticated) as refused:
        verifier.verify(token)
    assert refused.value.detail == "登录已退出或凭证已作废，请重新登录"
    with pytest.raises(NotAuthenticated):  # a token that could never be revoked
        verifier.verify(_token())


def _service_denylist(tmp_path):
    from sqlalchemy import MetaData

    from services.common.db import Database
    from services.common.denylist import Denylist, denylist_table, record_revoked

    table = denylist_table(MetaData())
    db = Database(f"sqlite:///{tmp_path / 'service.db'}")
    table.metadata.create_all(db.engine)
    return db, table, Denylist(db, table), record_revoked(table)


def _revoked_event(*entries):
    return {"type": "identity.tokens.revoked",
            "data": {"tokens": [{"jti": jti, "exp": exp} for jti, exp in entries]}}


def test_a_services_copy_of_the_denylist_refuses_what_identity_revoked(tmp_path):
    """The kit's piece every service uses: identity.tokens.revoked into token_denylist, and
    the verifier's lookup there (no call to identity)."""
    db, table, denylist, on_revoked = _service_denylist(tmp_path)
    verifier = TokenVerifier(lambda: _jwks(KEY), ISSUER).with_denylist(denylist)
    token = _token(jti="j-1")
    assert verifier.verify(token).jti == "j-1"
    later = int((datetime.now(timezone.utc) + timedelta(minutes=5)).timestamp())
    with db.transaction() as session:
        on_revoked(session, _revoked_event(("j-1", later)))
    with pytest.raises(NotAuthenticated) as refused:
        verifier.verify(token)
    assert refused.value.detail == "登录已退出或凭证已作废，请重新登录"
    assert verifier.verify(_token(jti="j-2")).jti == "j-2"  # another session stays


def test_the_copy_takes_a_revocation_twice_and_forgets_expired_tokens(tmp_path):
    from sqlalchemy import insert, select

    db, table, denylist, on_revoked = _service_denylist(tmp_path)
    now = int(datetime.now(timezone.utc).timestamp())
    with db.transaction() as session:  # a row whose token has expired since it came
        session.execute(insert(table).values(jti="old", exp=now - 1))
    with db.transaction() as session:
        on_revoked(session, _revoked_event(("a", now + 300), ("gone", now - 5)))
    with db.transaction() as session:  # the same tokens again (another family, a replay)
        on_revoked(session, _revoked_event(("a", now + 300), ("b", now + 60)))
    with db.reading() as session:
        assert set(session.scalars(select(table.c.jti))) == {"a", "b"}
    assert denylist("a") and denylist("b") and not denylist("old")


def test_unreachable_keys_answer_503_not_an_invalid_token():
    # PyJWKClient over HTTP (the stack's services and gateway): identity down is not the
    # caller's fault, so it is "service unavailable", never "your token is bad".
    from services.common.auth import IdentityUnavailable

    verifier = TokenVerifier.from_url("http://127.0.0.1:9/.well-known/jwks.json", ISSUER)
    with pytest.raises(IdentityUnavailable):
        verifier.verify(_token())
