"""What a run reports while it works (the CLI draws rich progress bars from it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["DatasetStats", "NullProgress", "Progress", "RunResult"]


class Progress(Protocol):
    def start(self, dataset: str, total: int | None) -> None: ...

    def advance(self, dataset: str, items: int = 1, nbytes: int = 0) -> None: ...

    def done(self, dataset: str) -> None: ...


class NullProgress:
    def start(self, dataset: str, total: int | None) -> None:
        pass

    def advance(self, dataset: str, items: int = 1, nbytes: int = 0) -> None:
        pass

    def done(self, dataset: str) -> None:
        pass


@dataclass
class DatasetStats:
    listed: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    downloaded: int = 0
    adopted: int = 0
    skipped: int = 0
    failed: int = 0
    missing: int = 0
    bytes: int = 0


@dataclass
class RunResult:
    date_from: str
    date_to: str
    datasets: dict[str, DatasetStats] = field(default_factory=dict)
    throttled: int = 0
    requests: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # e.g. a credential that left the pool
    account: str | None = None
    # per connection of the pool: requests sent through it and 429s it got
    credentials: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def fetched(self) -> int:
        return sum(s.downloaded for s in self.datasets.values())

    def as_dict(self) -> dict[str, object]:
        return {
            "from": self.date_from,
            "to": self.date_to,
            "account": self.account,
            "datasets": {k: vars(v) for k, v in self.datasets.items()},
            "throttled_429": self.throttled,
            "requests": self.requests,
            "credentials": self.credentials,
            "errors": self.errors,
            "warnings": self.warnings,
        }
