"""Rate windows on the injected clock: a sliding window and a calendar-day counter."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Decision:
    """Outcome of one hit against a limit."""

    allowed: bool
    limit: int
    remaining: int
    used: int
    retry_after: float  # seconds until one more request would be allowed (0 when allowed)
    reset_at: datetime  # when the window frees its oldest slot / the day rolls over

    @property
    def retry_after_seconds(self) -> int:
        """Whole seconds to wait, never less than 1 when refused."""
        return max(1, math.ceil(self.retry_after)) if not self.allowed else 0


class SlidingWindow:
    """At most ``limit`` hits per key in any rolling ``window`` of time."""

    def __init__(self, limit: int, window: timedelta) -> None:
        self.limit = limit
        self.window = window
        self._hits: dict[str, deque[datetime]] = {}

    def _trim(self, key: str, now: datetime) -> deque[datetime]:
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        return hits

    def peek(self, key: str, now: datetime) -> Decision:
        """The state of the window without counting a hit."""
        hits = self._trim(key, now)
        reset = hits[0] + self.window if hits else now + self.window
        left = self.limit - len(hits)
        wait = 0.0 if left > 0 else (reset - now).total_seconds()
        return Decision(left > 0, self.limit, max(0, left), len(hits), wait, reset)

    def hit(self, key: str, now: datetime) -> Decision:
        """Count one request if the window has room; say so either way."""
        before = self.peek(key, now)
        if not before.allowed:
            return before
        self._hits[key].append(now)
        return Decision(
            True, self.limit, before.remaining - 1, before.used + 1, 0.0, before.reset_at
        )

    def clear(self) -> None:
        self._hits.clear()


class DailyCounter:
    """At most ``limit`` hits per key per calendar day in ``tz`` (resets at local midnight)."""

    def __init__(self, limit: int, tz: str = "UTC") -> None:
        self.limit = limit
        self.tz = ZoneInfo(tz)
        self._counts: dict[tuple[str, str], int] = {}

    def _day(self, now: datetime) -> tuple[str, datetime]:
        local = now.astimezone(self.tz)
        midnight = datetime(local.year, local.month, local.day, tzinfo=self.tz)
        return local.date().isoformat(), midnight + timedelta(days=1)

    def peek(self, key: str, now: datetime) -> Decision:
        day, reset = self._day(now)
        used = self._counts.get((key, day), 0)
        left = self.limit - used
        wait = 0.0 if left > 0 else (reset - now).total_seconds()
        return Decision(left > 0, self.limit, max(0, left), used, wait, reset)

    def hit(self, key: str, now: datetime) -> Decision:
        before = self.peek(key, now)
        if not before.allowed:
            return before
        day, _ = self._day(now)
        self._counts[(key, day)] = before.used + 1
        return Decision(True, self.limit, before.remaining - 1, before.used + 1, 0.0,
                        before.reset_at)

    def clear(self) -> None:
        self._counts.clear()
