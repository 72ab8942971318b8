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
from collections import OrderedDict
from typing import Callable

from services.common.auth import Claims, TokenVerifier


class VerifiedTokens:
    """`verify(token)` as TokenVerifier's, remembering up to `max_entries` tokens (the least
    recently used forgotten first). A token is remembered until its `exp`, and no longer than
    `TokenVerifier.KEYS_LIFESPAN`, so one signed with a retired key stops passing as soon as
    it would have without this memory."""

    def __init__(self, verifier: TokenVerifier, max_entries: int = 4096,
                 clock: Callable[[], float] = time.time):
        self._verifier = verifier
        self._max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, Claims]] = OrderedDict()  # until, claims
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def verify(self, token: str) -> Claims:
        now = self._clock()
        with self._lock:
            entry = self._entries.get(token)
            if entry is not None:
                if now < entry[0]:
                    self._entries.move_to_end(token)
                    return entry[1]
                del self._entries[token]  # expired: checked again below, and refused
        claims = self._verifier.verify(token)  # raises NotAuthenticated for a bad one
        until = now + TokenVerifier.KEYS_LIFESPAN
        if claims.exp is not None:
            until = min(until, claims.exp)
        with self._lock:
            self._entries[token] = (until, claims)
            self._entries.move_to_end(token)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        return claims
