"""Injected faults: server errors (by rate or the next N), latency, forced rate limiting."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass


@dataclass
class Injection:
    """What the next request suffers instead of being served."""

    kind: str  # "server_error" or "rate_limited"
    status: int


@dataclass
class Faults:
    """Fault settings, changed through ``/_sandbox/faults``."""

    error_rate: float = 0.0  # share of API requests answered with ``error_status``
    error_status: int = 503
    fail_next: int = 0  # the next N API requests fail with ``fail_status``
    fail_status: int = 500
    latency_ms: int = 0  # real delay added to each API request (keep it small in tests)
    force_429: int = 0  # the next N API requests are refused as over the rate limit

    def take(self, rng: random.Random) -> Injection | None:
        """Consume and return the fault for the next API request, if any."""
        if self.force_429 > 0:
            self.force_429 -= 1
            return Injection("rate_limited", 429)
        if self.fail_next > 0:
            self.fail_next -= 1
            return Injection("server_error", self.fail_status)
        if self.error_rate > 0 and rng.random() < self.error_rate:
            return Injection("server_error", self.error_status)
        return None

    def update(self, changes: dict[str, object]) -> None:
        """Apply known settings; raise ValueError naming an unknown or ill-typed one."""
        for key, value in changes.items():
            if key not in self.__dataclass_fields__:
                known = ", ".join(sorted(self.__dataclass_fields__))
                raise ValueError(f"unknown fault setting {key!r}; known: {known}")
            current = getattr(self, key)
            if isinstance(current, float):
                if not isinstance(value, int | float) or not 0 <= float(value) <= 1:
                    raise ValueError(f"{key} must be a number between 0 and 1, got {value!r}")
                setattr(self, key, float(value))
            else:
                if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                    raise ValueError(f"{key} must be a non-negative integer, got {value!r}")
                setattr(self, key, value)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)
