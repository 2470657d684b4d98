"""Where budget state lives: in this process, or in a database row shared by every worker."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from callbridge.clock import Clock
from callbridge.db.models.ratelimit import RateBudgetRow
from callbridge.db.session import Database

__all__ = ["BudgetState", "BudgetStore", "MemoryBudgetStore", "SqlBudgetStore"]

T = TypeVar("T")


@dataclass
class BudgetState:
    """One (app, credential, group): send times (epoch seconds) in the window, limits, counters."""

    limit: int
    window: float
    penalty: float
    sent: list[float] = field(default_factory=list)
    penalty_until: float = 0.0
    requests: int = 0
    throttled: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BudgetState:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


Mutate = Callable[[BudgetState | None], tuple[BudgetState, T]]


class BudgetStore(Protocol):
    def update(self, key: str, mutate: Mutate[T]) -> T:
        """Read the state of ``key``, let ``mutate`` change it, write it back: atomically."""
        ...

    def read(self, key: str) -> BudgetState | None: ...

    def keys(self, prefix: str = "") -> list[str]: ...


class MemoryBudgetStore:
    """In-process state: shared by the threads and tasks of one process."""

    def __init__(self) -> None:
        self._states: dict[str, BudgetState] = {}
        self._lock = threading.Lock()

    def update(self, key: str, mutate: Mutate[T]) -> T:
        with self._lock:
            state, result = mutate(self._states.get(key))
            self._states[key] = state
            return result

    def read(self, key: str) -> BudgetState | None:
        with self._lock:
            state = self._states.get(key)
            return BudgetState.from_json(state.to_json()) if state else None

    def keys(self, prefix: str = "") -> list[str]:
        with self._lock:
            return sorted(k for k in self._states if k.startswith(prefix))


class SqlBudgetStore:
    """One row per key in ``rate_budgets``; each update is one short transaction holding the row
    lock (``SELECT … FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so every worker
    process sharing the database shares the budget. Keys hold no platform ids in clear: callers
    pass a credential name or a pseudonym."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def update(self, key: str, mutate: Mutate[T]) -> T:
        for _ in range(3):
            try:
                with self.db.anonymous() as session:
                    row = session.scalars(
                        select(RateBudgetRow).where(RateBudgetRow.key == key).with_for_update()
                    ).one_or_none()
                    state, result = mutate(BudgetState.from_json(row.state) if row else None)
                    now: datetime = self.clock.now()
                    if row is None:
                        session.add(RateBudgetRow(key=key, state=state.to_json(), updated_at=now))
                    else:
                        row.state = state.to_json()
                        row.updated_at = now
                return result
            except IntegrityError:  # two workers created the row at once: read it again
                continue
        raise RuntimeError(f"rate budget {key!r} could not be updated after 3 attempts")

    def read(self, key: str) -> BudgetState | None:
        with self.db.anonymous() as session:
            row = session.get(RateBudgetRow, key)
            return BudgetState.from_json(row.state) if row else None

    def keys(self, prefix: str = "") -> list[str]:
        with self.db.anonymous() as session:
            return sorted(
                session.scalars(select(RateBudgetRow.key).where(RateBudgetRow.key.startswith(prefix)))
            )
