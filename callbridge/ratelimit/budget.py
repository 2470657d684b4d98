"""The budget itself: a sliding window of send times per group, a penalty, header feedback."""

from __future__ import annotations

import bisect
import math
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from callbridge.clock import Clock
from callbridge.ratelimit.store import BudgetState, BudgetStore

__all__ = ["GroupLimit", "RateBudget", "UsageSnapshot"]

# Reference §4: without Retry-After, wait at least 30 s after a 429.
MIN_RETRY_AFTER_SECONDS = 30.0


@dataclass(frozen=True)
class GroupLimit:
    """``limit`` requests per ``window`` seconds; ``penalty`` seconds of refusal after a 429."""

    limit: int
    window: float = 60.0
    penalty: float = 60.0

    def per_second(self, margin: float) -> float:
        return self.limit / (self.window + margin)


@dataclass(frozen=True)
class UsageSnapshot:
    group: str
    limit: int
    window: float
    requests: int
    throttled: int
    in_window: int
    penalty_seconds_left: float


class RateBudget:
    """The budget of one (platform app, credential): one window per rate group.

    A request is counted when :meth:`acquire` returns zero, i.e. immediately before it is sent;
    a slot frees ``window + margin`` seconds later (reference §4: count from the send, with about
    a second of margin). During a penalty nothing is sent: every request would restart it.
    """

    def __init__(
        self,
        store: BudgetStore,
        clock: Clock,
        *,
        app: str,
        credential: str,
        defaults: Mapping[str, GroupLimit],
        margin_seconds: float = 1.0,
    ) -> None:
        self.store = store
        self.clock = clock
        self.app = app
        self.credential = credential
        self.defaults = {k.lower(): v for k, v in defaults.items()}
        self.margin = margin_seconds

    def key(self, group: str) -> str:
        return f"{self.app}|{self.credential}|{group.lower()}"

    def limit_of(self, group: str) -> GroupLimit:
        state = self.store.read(self.key(group))
        if state is not None:
            return GroupLimit(state.limit, state.window, state.penalty)
        return self._default(group)

    def _default(self, group: str) -> GroupLimit:
        try:
            return self.defaults[group.lower()]
        except KeyError:
            raise ValueError(
                f"unknown rate group {group!r}; known: {', '.join(sorted(self.defaults))}"
            ) from None

    def _fresh(self, group: str, state: BudgetState | None) -> BudgetState:
        if state is None:
            d = self._default(group)
            return BudgetState(limit=d.limit, window=d.window, penalty=d.penalty)
        return state

    def acquire(self, group: str) -> timedelta:
        """Zero: go now (the request is counted); else how long to wait before asking again."""
        return self.acquire_at(group)[0]

    def acquire_at(self, group: str) -> tuple[timedelta, float]:
        """:meth:`acquire`, with the send time it counted (epoch seconds; see :meth:`restamp`)."""
        now = self.clock.now().timestamp()

        def mutate(state: BudgetState | None) -> tuple[BudgetState, float]:
            s = self._fresh(group, state)
            wait, _ = self._room(s, now)
            if wait == 0.0:
                s.sent.append(now)
                s.requests += 1
            return s, wait

        wait = self.store.update(self.key(group), mutate)
        return timedelta(seconds=max(0.0, wait)), now

    def headroom(self, group: str) -> tuple[float, int]:
        """Without counting anything: (seconds until a request of ``group`` may go, free slots now).

        A pool of credentials asks each budget and sends through the one that frees first."""
        now = self.clock.now().timestamp()
        return self._room(self._fresh(group, self.store.read(self.key(group))), now)

    def _room(self, s: BudgetState, now: float) -> tuple[float, int]:
        if s.penalty_until > now:
            return s.penalty_until - now, 0
        horizon = now - (s.window + self.margin)
        s.sent = sorted(t for t in s.sent if t > horizon)  # several processes may interleave stamps
        if len(s.sent) < s.limit:
            return 0.0, s.limit - len(s.sent)
        return max(0.0, s.sent[len(s.sent) - s.limit] - horizon), 0

    def restamp(self, group: str, counted_at: float) -> None:
        """The request counted at ``counted_at`` actually left now (its token had to be refreshed
        first): move its send time, so the window is counted from the real send (reference §4)."""
        now = self.clock.now().timestamp()
        if now <= counted_at:
            return

        def mutate(state: BudgetState | None) -> tuple[BudgetState, None]:
            s = self._fresh(group, state)
            if counted_at in s.sent:
                s.sent.remove(counted_at)
                bisect.insort(s.sent, now)
            return s, None

        self.store.update(self.key(group), mutate)

    async def wait(self, group: str, sleep: Callable[[float], Awaitable[None]]) -> float:
        """Sleep (on the caller's sleep) until the group has room; returns the seconds waited."""
        return (await self.slot(group, sleep))[0]

    async def slot(self, group: str, sleep: Callable[[float], Awaitable[None]]) -> tuple[float, float]:
        """Sleep until the group has room and count the request: (seconds waited, send time)."""
        waited = 0.0
        while True:
            delay, counted_at = self.acquire_at(group)
            if delay <= timedelta(0):
                return waited, counted_at
            seconds = delay.total_seconds()
            waited += seconds
            await sleep(seconds)

    def observe(
        self, group: str, status: int, headers: Mapping[str, str], retry_after: float | None = None
    ) -> None:
        """Feed back a response: limits from ``X-Rate-Limit-*``, usage by other clients, 429s."""
        now = self.clock.now().timestamp()
        limit = _int(headers.get("x-rate-limit-limit"))
        window = _int(headers.get("x-rate-limit-window"))
        remaining = _int(headers.get("x-rate-limit-remaining"))

        def mutate(state: BudgetState | None) -> tuple[BudgetState, None]:
            s = self._fresh(group, state)
            if limit:
                s.limit = limit
            if window:
                s.window = float(window)
            horizon = now - (s.window + self.margin)
            s.sent = [t for t in s.sent if t > horizon]
            if remaining is not None and s.limit - remaining > len(s.sent):
                # Someone else (another app instance, a person's session) uses this budget too.
                s.sent.extend([now] * (s.limit - remaining - len(s.sent)))
            if status == 429:
                s.throttled += 1
                wait = retry_after if retry_after is not None else max(s.penalty, MIN_RETRY_AFTER_SECONDS)
                s.penalty_until = max(s.penalty_until, now + wait + self.margin)
                s.sent.extend([now] * max(0, s.limit - len(s.sent)))
            return s, None

        self.store.update(self.key(group), mutate)

    def snapshot(self, group: str) -> UsageSnapshot:
        now = self.clock.now().timestamp()
        s = self._fresh(group, self.store.read(self.key(group)))
        horizon = now - (s.window + self.margin)
        return UsageSnapshot(
            group=group.lower(),
            limit=s.limit,
            window=s.window,
            requests=s.requests,
            throttled=s.throttled,
            in_window=sum(1 for t in s.sent if t > horizon),
            penalty_seconds_left=max(0.0, s.penalty_until - now),
        )

    def throttled_total(self) -> int:
        return sum(self.snapshot(g).throttled for g in self.defaults)

    def seconds_for(self, group: str, requests: int) -> float:
        """How long ``requests`` of ``group`` take at the current limit (for planning)."""
        if requests <= 0:
            return 0.0
        lim = self.limit_of(group)
        periods = math.ceil(requests / lim.limit) - 1
        return periods * (lim.window + self.margin)


def _int(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(float(value))
    except ValueError:
        return None
