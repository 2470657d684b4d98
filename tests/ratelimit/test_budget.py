"""The budget plans requests inside the window, learns from headers and honours penalties."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from callbridge.clock import VirtualClock
from callbridge.ratelimit import GroupLimit, MemoryBudgetStore, RateBudget, SqlBudgetStore

LIMITS = {"heavy": GroupLimit(10, 60.0, 60.0), "light": GroupLimit(50, 60.0, 60.0)}


def _budget(store, clock, credential="c1"):
    return RateBudget(store, clock, app="app", credential=credential, defaults=LIMITS)


def test_ten_go_at_once_then_the_eleventh_waits_a_window_plus_margin():
    clock = VirtualClock()
    budget = _budget(MemoryBudgetStore(), clock)
    assert all(budget.acquire("Heavy") == timedelta(0) for _ in range(10))
    wait = budget.acquire("heavy")
    assert wait == timedelta(seconds=61)
    clock.advance(wait)
    assert budget.acquire("heavy") == timedelta(0)


def test_sends_are_spread_so_no_window_ever_holds_more_than_the_limit():
    clock = VirtualClock()
    budget = _budget(MemoryBudgetStore(), clock)
    sent = []

    async def sleep(s):
        clock.advance(s)

    async def go():
        for _ in range(45):
            await budget.wait("heavy", sleep)
            sent.append(clock.now())

    asyncio.run(go())
    for i in range(len(sent) - 10):
        assert sent[i + 10] - sent[i] >= timedelta(seconds=60)
    # 45 requests in 4 windows of 61 s: the budget is used, not left idle
    assert sent[-1] - sent[0] <= timedelta(seconds=4 * 61)


def test_headers_teach_the_limit_and_others_usage():
    clock = VirtualClock()
    budget = _budget(MemoryBudgetStore(), clock)
    budget.acquire("heavy")
    budget.observe(
        "heavy", 200, {"x-rate-limit-limit": "5", "x-rate-limit-remaining": "1", "x-rate-limit-window": "60"}
    )
    assert budget.acquire("heavy") == timedelta(0)
    assert budget.acquire("heavy") > timedelta(0)
    assert budget.snapshot("heavy").limit == 5


def test_a_429_is_counted_and_nothing_goes_during_the_penalty():
    clock = VirtualClock()
    budget = _budget(MemoryBudgetStore(), clock)
    budget.acquire("light")
    budget.observe("light", 429, {}, retry_after=60)
    assert budget.snapshot("light").throttled == 1
    assert budget.acquire("light") == timedelta(seconds=61)
    clock.advance(30)
    assert budget.acquire("light") == timedelta(seconds=31)
    clock.advance(31)
    assert budget.acquire("light") == timedelta(0)


def test_without_retry_after_the_wait_is_at_least_the_penalty():
    clock = VirtualClock()
    budget = _budget(MemoryBudgetStore(), clock)
    budget.observe("heavy", 429, {})
    assert budget.acquire("heavy") >= timedelta(seconds=60)


def test_database_budget_is_shared_by_every_instance(runtime, clock):
    store = SqlBudgetStore(runtime.db, clock)
    a, b = _budget(store, clock), _budget(SqlBudgetStore(runtime.db, clock), clock)
    for i in range(10):
        assert (a if i % 2 else b).acquire("heavy") == timedelta(0)
    assert a.acquire("heavy") > timedelta(0)
    assert b.acquire("heavy") > timedelta(0)
    other = _budget(store, clock, credential="c2")  # another credential has its own budget
    assert other.acquire("heavy") == timedelta(0)
    a.observe("heavy", 429, {}, retry_after=10)
    assert b.snapshot("heavy").throttled == 1
