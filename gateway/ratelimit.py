"""Per client address and route rate limits for the routes whose policy says
`rate_limited` (login, activation, links: what an attacker would hammer)."""

from __future__ import annotations

import math
import time

from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from gateway.errors import HttpError


class RouteRateLimiter:
    def __init__(self, limit: str) -> None:
        # In-memory: each gateway replica counts on its own, which is enough to
        # slow guessing down; identity's lockout is the real guard.
        self._item = parse(limit)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def hit(self, client: str, route_key: str) -> None:
        """Counts one call; raises 429 with Retry-After when over the limit."""
        if self._limiter.hit(self._item, client, route_key):
            return
        stats = self._limiter.get_window_stats(self._item, client, route_key)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        raise HttpError(
            429,
            "too many requests; try again later",
            reason="RATE_LIMITED",
            headers={"Retry-After": str(retry_after)},
        )
