"""When to try a failed piece of work again: exponential backoff with jitter."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

__all__ = ["Backoff"]


@dataclass(frozen=True)
class Backoff:
    """``base * factor**(attempt-1)``, capped, then scaled by a random factor in ``[1-jitter, 1]``.

    The jitter spreads retries of many jobs that failed together (a CRM outage) so that they do
    not all return in the same second.
    """

    base_seconds: float = 2.0
    factor: float = 2.0
    cap_seconds: float = 3600.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if self.base_seconds <= 0 or self.factor < 1 or self.cap_seconds < self.base_seconds:
            raise ValueError("backoff needs base > 0, factor >= 1 and cap >= base")
        if not 0 <= self.jitter < 1:
            raise ValueError("jitter is a fraction in [0, 1)")

    def delay(self, attempt: int, rng: random.Random | None = None) -> timedelta:
        """Delay before attempt ``attempt + 1``, after ``attempt`` failures (``attempt >= 1``)."""
        if attempt < 1:
            raise ValueError("attempt counts failures and starts at 1")
        raw = min(self.cap_seconds, self.base_seconds * self.factor ** (attempt - 1))
        scale = 1.0 - self.jitter * (rng or random).random()
        return timedelta(seconds=raw * scale)

    def at_least(self, attempt: int, minimum: timedelta, rng: random.Random | None = None) -> timedelta:
        """The backoff delay, but never sooner than ``minimum`` (a server's Retry-After)."""
        return max(self.delay(attempt, rng), minimum)
