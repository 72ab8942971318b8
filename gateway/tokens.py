"""The gateway's memory of the access tokens whose signature it has already checked.

Checking one costs an RS256 verification and PyJWT's parsing of the token twice (its
base64url check walks every character in Python): most of the gateway's own CPU per request
once the forward is done. A client sends the same token with every request until it expires,
and the check of a given token string gives the same answer every time until then, so the
answer is kept, keyed by the exact token string. Revocation is not the gateway's to check:
each service refuses a revoked token from its own denylist (services/common/denylist.py).
"""
from __future__ import annotations

import threading
import time
from typing import Callable

from cachetools import TLRUCache

from services.common.auth import Claims, TokenVerifier


class VerifiedTokens:
    """`verify(token)` as TokenVerifier's, remembering up to `max_entries` tokens (the least
    recently used forgotten first). A token is remembered until its `exp`, and no longer than
    `TokenVerifier.KEYS_LIFESPAN`, so one signed with a retired key stops passing as soon as
    it would have without this memory."""

    def __init__(self, verifier: TokenVerifier, max_entries: int = 4096,
                 clock: Callable[[], float] = time.time):
        self._verifier = verifier
        # cachetools' time-aware LRU; `clock` is the epoch, as a token's `exp` is.
        self._entries = TLRUCache(max_entries, self._remembered_until, timer=clock)
        self._lock = threading.Lock()  # cachetools' caches are not thread-safe

    @staticmethod
    def _remembered_until(_token: str, claims: Claims, now: float) -> float:
        until = now + TokenVerifier.KEYS_LIFESPAN
        return until if claims.exp is None else min(until, claims.exp)

    def __len__(self) -> int:
        with self._lock:
            self._entries.expire()
            return len(self._entries)

    def verify(self, token: str) -> Claims:
        with self._lock:
            claims = self._entries.get(token)
        if claims is not None:
            return claims
        claims = self._verifier.verify(token)  # raises NotAuthenticated for a bad one
        with self._lock:
            self._entries[token] = claims
        return claims
