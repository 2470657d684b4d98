"""The sandbox's own limiter: per (app, user, group) sliding windows with a restarting penalty.

Reference §4: each group allows `limit` requests per `window` seconds per (user, app); once a
request is refused (429), a penalty of `penalty` seconds starts, and every request made during
the penalty is refused too and restarts it. All time comes from the injected clock.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from callbridge.clock import Clock

from .config import RateLimitConfig
from .errors import RCError

__all__ = ["Decision", "RateLimiter"]


@dataclass(frozen=True)
class Decision:
    allowed: bool
    group: str
    limit: int
    remaining: int
    window: int
    retry_after: int | None = None

    def headers(self, style: str = "lower") -> dict[str, str]:
        name = self.group.lower() if style == "lower" else self.group
        return {
            "X-Rate-Limit-Group": name,
            "X-Rate-Limit-Limit": str(self.limit),
            "X-Rate-Limit-Remaining": str(self.remaining),
            "X-Rate-Limit-Window": str(self.window),
        }


class RateLimiter:
    def __init__(self, config: RateLimitConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self._hits: dict[tuple[str, str, str], deque[datetime]] = {}
        self._penalty_until: dict[tuple[str, str, str], datetime] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()
            self._penalty_until.clear()

    def check(self, app: str, user: str, group: str) -> Decision:
        """Count one request of `user` through `app` in `group`, or refuse it."""
        spec = self.config.groups.get(group)
        if spec is None:
            raise ValueError(f"unknown rate group {group!r}; configured: {sorted(self.config.groups)}")
        window = timedelta(seconds=spec.window_seconds)
        window_s = math.ceil(spec.window_seconds)
        if not self.config.enabled:
            return Decision(True, group, spec.limit, spec.limit, window_s)
        key = (app, user, group)
        now = self.clock.now()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and now - hits[0] >= window:
                hits.popleft()
            until = self._penalty_until.get(key)
            if until is not None and now < until:
                # A request during the penalty restarts it.
                return self._refuse(key, group, spec.limit, window_s, spec.penalty_seconds, now)
            if len(hits) >= spec.limit:
                return self._refuse(key, group, spec.limit, window_s, spec.penalty_seconds, now)
            hits.append(now)
            return Decision(True, group, spec.limit, spec.limit - len(hits), window_s)

    def _refuse(
        self, key: tuple[str, str, str], group: str, limit: int, window: int, penalty: float,
        now: datetime,
    ) -> Decision:
        self._penalty_until[key] = now + timedelta(seconds=penalty)
        retry = max(1, math.ceil(penalty))
        return Decision(False, group, limit, 0, window, retry_after=retry)

    def refusal(self, decision: Decision) -> RCError:
        """The 429 as RingCentral sends it (body from RingCentral staff on Community)."""
        headers = decision.headers(self.config.group_header_style)
        if self.config.send_retry_after and decision.retry_after is not None:
            headers["Retry-After"] = str(decision.retry_after)
        body = {
            "errorCode": "CMN-301",
            "message": "Request rate exceeded",
            "errors": [{"errorCode": "CMN-301", "message": "Request rate exceeded"}],
        }
        return RCError(429, body, headers)
