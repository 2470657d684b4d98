"""Where budget state lives: in this process, in a database row, or in Redis (shared by every
worker of every machine). :func:`open_budget_store` picks one from the settings."""

from __future__ import annotations

import json
import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from callbridge.clock import Clock
from callbridge.db.models.ratelimit import RateBudgetRow
from callbridge.db.session import Database
from callbridge.errors import InvalidInput

if TYPE_CHECKING:
    import redis

    from callbridge.config import Settings

__all__ = [
    "BudgetState",
    "BudgetStore",
    "MemoryBudgetStore",
    "RedisBudgetStore",
    "SqlBudgetStore",
    "check_ratelimit_url",
    "open_budget_store",
]

RATELIMIT_SCHEMES = ("redis", "rediss")

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
                session.scalars(
                    select(RateBudgetRow.key).where(RateBudgetRow.key.startswith(prefix, autoescape=True))
                )
            )


class RedisBudgetStore:
    """One Redis string (the state as JSON) per key, under ``prefix``.

    ``update`` is an optimistic transaction: ``WATCH`` the key, read it, let ``mutate`` change it,
    then ``MULTI``/``SET``/``EXEC``; when another worker wrote the key in between, ``EXEC`` fails
    (``WatchError``) and the whole read-modify-write runs again, so no update is ever lost.
    ``mutate`` may therefore run more than once: it must only compute from the state it is given.
    Each write sets an expiry: ``idle_seconds`` after the later of the window and the penalty, so
    keys of credentials no longer used leave Redis by themselves (their counters go with them).
    """

    MAX_ATTEMPTS = 200

    def __init__(
        self,
        client: redis.Redis,
        clock: Clock,
        *,
        prefix: str = "callbridge:ratelimit:",
        idle_seconds: int = 86_400,
    ) -> None:
        self.client = client
        self.clock = clock
        self.prefix = prefix
        self.idle_seconds = idle_seconds
        self.conflicts = 0  # WatchErrors retried (for tests and diagnostics)

    def _ttl(self, state: BudgetState) -> int:
        now = self.clock.now().timestamp()
        busy_until = max([state.penalty_until, *(t + state.window for t in state.sent[-1:])], default=now)
        return self.idle_seconds + max(0, math.ceil(busy_until - now))

    def update(self, key: str, mutate: Mutate[T]) -> T:
        import redis

        name = self.prefix + key
        for attempt in range(1, self.MAX_ATTEMPTS + 1):
            with self.client.pipeline(transaction=True) as pipe:
                try:
                    pipe.watch(name)  # type: ignore[no-untyped-call]
                    raw = pipe.get(name)
                    state, result = mutate(BudgetState.from_json(json.loads(raw)) if raw else None)
                    pipe.multi()
                    pipe.set(name, json.dumps(state.to_json()), ex=self._ttl(state))
                    pipe.execute()
                    return result
                except redis.WatchError:
                    self.conflicts += 1
                    # another worker wrote the key between our read and our write: read again,
                    # after a short random pause so the contenders spread out
                    time.sleep(random.uniform(0, 0.001 * min(attempt, 20)))
        raise RuntimeError(f"rate budget {key!r} could not be updated after {self.MAX_ATTEMPTS} attempts")

    def read(self, key: str) -> BudgetState | None:
        raw = self.client.get(self.prefix + key)
        return BudgetState.from_json(json.loads(raw)) if raw else None

    def keys(self, prefix: str = "") -> list[str]:
        pattern = _glob_escape(self.prefix + prefix) + "*"
        cut = len(self.prefix)
        return sorted(
            (k.decode() if isinstance(k, bytes) else str(k))[cut:]
            for k in self.client.scan_iter(match=pattern, count=500)
        )


def _glob_escape(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


def check_ratelimit_url(value: str | None) -> str | None:
    """``None``/empty: budgets live in the database; else a ``redis://`` or ``rediss://`` URL."""
    if value is None or not value.strip():
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in RATELIMIT_SCHEMES or not parts.netloc:
        scheme = parts.scheme or "(none)"
        raise InvalidInput(
            f"ratelimit_url uses the scheme {scheme!r}; rate budgets can live in Redis or in the database.",
            field="ratelimit_url",
            hint="set CALLBRIDGE_RATELIMIT_URL to redis://host:6379/0 (rediss:// for TLS), "
            "or leave it unset to keep budgets in the database",
        )
    return value.strip()


_redis_clients: dict[str, redis.Redis] = {}
_redis_lock = threading.Lock()


def _redis_client(url: str) -> redis.Redis:
    """One client (one connection pool) per URL per process."""
    import redis

    with _redis_lock:
        client = _redis_clients.get(url)
        if client is None:
            client = _redis_clients[url] = redis.Redis.from_url(url)
        return client


def open_budget_store(settings: Settings, db: Database, clock: Clock) -> BudgetStore:
    """The store the settings ask for: Redis when ``ratelimit_url`` is set, else the database.

    Redis keys are prefixed ``<jobs_name>:ratelimit:``, one namespace per deployment."""
    url = check_ratelimit_url(settings.ratelimit_url)
    if url is None:
        return SqlBudgetStore(db, clock)
    return RedisBudgetStore(_redis_client(url), clock, prefix=f"{settings.jobs_name}:ratelimit:")
