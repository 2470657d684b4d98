"""Fault injection: 5xx answers, added latency and connection resets, from seeded randomness."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import Any, Literal

from .config import FaultConfig

__all__ = ["FaultDecision", "FaultInjector", "SandboxConnectionReset"]


class SandboxConnectionReset(ConnectionResetError):
    """Raised mid-response to cut the connection (a real server closes the socket)."""


@dataclass(frozen=True)
class FaultDecision:
    action: Literal["error", "reset"] | None
    latency: float
    status: int


class FaultInjector:
    def __init__(self, config: FaultConfig) -> None:
        self.config = config
        self._rng = random.Random(f"faults:{config.seed}")
        self._lock = threading.Lock()
        self.injected = {"error": 0, "reset": 0, "latency": 0}

    def configure(self, changes: dict[str, Any]) -> FaultConfig:
        """Apply a partial update (validated); a new `seed` restarts the random sequence."""
        with self._lock:
            merged = {**self.config.model_dump(), **changes}
            self.config = FaultConfig.model_validate(merged)
            if "seed" in changes:
                self._rng = random.Random(f"faults:{self.config.seed}")
            return self.config

    def clear(self) -> FaultConfig:
        with self._lock:
            self.config = FaultConfig(seed=self.config.seed)
            return self.config

    def decide(self, path: str) -> FaultDecision:
        cfg = self.config
        if cfg.path_contains and cfg.path_contains not in path:
            return FaultDecision(None, 0.0, cfg.error_status)
        with self._lock:
            action: Literal["error", "reset"] | None = None
            if cfg.reset_next > 0:
                self.config = cfg.model_copy(update={"reset_next": cfg.reset_next - 1})
                action = "reset"
            elif cfg.fail_next > 0:
                self.config = cfg.model_copy(update={"fail_next": cfg.fail_next - 1})
                action = "error"
            elif cfg.reset_rate and self._rng.random() < cfg.reset_rate:
                action = "reset"
            elif cfg.error_rate and self._rng.random() < cfg.error_rate:
                action = "error"
            if action:
                self.injected[action] += 1
            if cfg.latency_seconds:
                self.injected["latency"] += 1
        return FaultDecision(action, cfg.latency_seconds, cfg.error_status)


def server_error_body() -> dict[str, Any]:
    """Body of an injected 5xx (code and wording (unverified))."""
    message = "Service Temporary Unavailable"
    return {"errorCode": "CMN-201", "message": message,
            "errors": [{"errorCode": "CMN-201", "message": message}]}
