"""The gateway's memory of checked tokens (gateway/tokens.py): a token seen before is not
checked again until it expires, never longer, and one token's answer is never another's."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from gateway.tokens import VerifiedTokens
from services.common.auth import TokenVerifier
from services.common.errors import NotAuthenticated
from tests.unit.test_auth import ISSUER, KEY, OTHER_KEY, _jwks, _token


class CountingVerifier(TokenVerifier):
    """The real check, counting how often it runs."""

    def __init__(self):
        super().__init__(lambda: _jwks(KEY), ISSUER)
        self.checks = 0

    def verify(self, token):
        self.checks += 1
        return super().verify(token)


class Clock:
    def __init__(self):
        self.now = datetime.now(timezone.utc).timestamp()

    def __call__(self):
        return self.now


@pytest.fixture
def verifier():
    return CountingVerifier()


def test_a_token_seen_before_is_not_checked_again(verifier):
    tokens = VerifiedTokens(verifier)
    token = _token(sub="a1")
    first, second = tokens.verify(token), tokens.verify(token)
    assert first == second and first.sub == "a1"
    assert verifier.checks == 1


def _expiring_soon():
    """A token valid for the next second or two (`exp` is whole seconds), and a function
    that waits until it has expired."""
    exp = int(time.time()) + 2
    return _token(exp=datetime.fromtimestamp(exp, timezone.utc)), lambda: time.sleep(
        max(0.0, exp - time.time()) + 0.05)


def test_an_expired_token_is_refused_even_when_remembered(verifier):
    tokens = VerifiedTokens(verifier)
    token, wait_until_expired = _expiring_soon()
    tokens.verify(token)
    wait_until_expired()  # the memory does not answer past exp; the real check refuses
    with pytest.raises(NotAuthenticated, match="登录已过期"):
        tokens.verify(token)
    assert verifier.checks == 2 and len(tokens) == 0


def test_a_token_is_checked_again_once_the_key_set_could_have_changed(verifier):
    clock = Clock()
    tokens = VerifiedTokens(verifier, clock=clock)
    token = _token(exp=datetime.now(timezone.utc) + timedelta(hours=2))
    tokens.verify(token)
    clock.now += TokenVerifier.KEYS_LIFESPAN + 1
    tokens.verify(token)
    assert verifier.checks == 2


def test_another_token_string_is_never_answered_from_a_remembered_one(verifier):
    tokens = VerifiedTokens(verifier)
    good = _token(sub="a1")
    assert tokens.verify(good).sub == "a1"
    assert tokens.verify(_token(sub="b2")).sub == "b2"
    # The same claims signed with another key: a different string, checked, refused.
    forged = _token(key=OTHER_KEY, sub="a1")
    with pytest.raises(NotAuthenticated):
        tokens.verify(forged)
    # The good token with its signature changed in one place: refused too.
    head, payload, signature = good.split(".")
    tampered = ".".join([head, payload, ("A" if signature[0] != "A" else "B") + signature[1:]])
    with pytest.raises(NotAuthenticated):
        tokens.verify(tampered)
    assert verifier.checks == 4


def test_a_refused_token_is_not_remembered(verifier):
    tokens = VerifiedTokens(verifier)
    bad = _token(key=OTHER_KEY)
    for _ in range(2):
        with pytest.raises(NotAuthenticated):
            tokens.verify(bad)
    assert verifier.checks == 2 and len(tokens) == 0


def test_the_memory_is_bounded_forgetting_the_least_recently_used(verifier):
    tokens = VerifiedTokens(verifier, max_entries=3)
    a, b, c, d = (_token(sub=name) for name in "abcd")
    for token in (a, b, c):
        tokens.verify(token)
    tokens.verify(a)  # a used again: b is now the least recently used
    tokens.verify(d)
    assert len(tokens) == 3
    checks = verifier.checks
    tokens.verify(a), tokens.verify(c), tokens.verify(d)
    assert verifier.checks == checks  # still remembered
    tokens.verify(b)
    assert verifier.checks == checks + 1  # forgotten, checked again


def test_the_gateway_refuses_an_expired_token_it_has_let_through_before():
    from gateway.app import create_gateway
    from gateway.ratelimit import RateLimiter

    class Echo:
        def forward(self, request, path, extra_headers):
            return {"ok": True}

    gateway = create_gateway({"workflow": Echo()}, CountingVerifier(),
                             limiter=RateLimiter(1000, 1000), development=False).test_client()
    token, wait_until_expired = _expiring_soon()
    headers = {"Authorization": f"Bearer {token}"}
    assert gateway.get("/api/workflow/tasks", headers=headers).status_code == 200
    wait_until_expired()
    answer = gateway.get("/api/workflow/tasks", headers=headers)
    assert answer.status_code == 401
    assert answer.get_json()["detail"] == "登录已过期，请重新登录"
