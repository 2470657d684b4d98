"""What a sandbox served: one entry per API request (control paths are left out)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class LoggedRequest:
    seq: int
    at: str
    method: str
    path: str
    query: str
    status: int
    injected: str | None = None


@dataclass
class RequestLog:
    entries: list[LoggedRequest] = field(default_factory=list)

    def add(self, entry: LoggedRequest) -> None:
        self.entries.append(entry)

    def next_seq(self) -> int:
        return len(self.entries) + 1

    def since(self, seq: int = 0) -> list[dict[str, Any]]:
        return [asdict(e) for e in self.entries if e.seq > seq]

    def clear(self) -> None:
        self.entries.clear()
