"""Per-client request rate limits at the gateway: a token bucket per client address.

Kept in the process's memory: each gateway process limits on its own, which bounds what
one client can make a process do. (A shared limit across processes would need Redis.)
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict


class RateLimiter:
    def __init__(self, per_second: float, burst: int, max_clients: int = 100_000):
        self.per_second = per_second
        self.burst = burst
        self.max_clients = max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # tokens, at
        self._lock = threading.Lock()

    def allow(self, client: str) -> float:
        """0 when the request may go on; otherwise the seconds to wait."""
        now = time.monotonic()
        with self._lock:
            tokens, at = self._buckets.pop(client, (float(self.burst), now))
            tokens = min(self.burst, tokens + (now - at) * self.per_second)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / self.per_second
            self._buckets[client] = (tokens - 1 if wait == 0 else tokens, now)
            if len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)  # forget the longest-idle client
            return wait
