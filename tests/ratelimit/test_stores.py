"""Every budget store keeps one contract — atomic read-modify-write, read, keys by prefix — in
this process, in the database and in Redis; Redis loses no update under contention and lets idle
keys expire; the settings choose the store and refuse other schemes with a clear message."""

from __future__ import annotations

import asyncio
import secrets
import threading
from datetime import timedelta

import pytest
import redis
from sqlalchemy import func, select

from callbridge.config import load_settings
from callbridge.db.models.ratelimit import RateBudgetRow
from callbridge.errors import ConfigError, InvalidInput
from callbridge.ratelimit import (
    BudgetState,
    GroupLimit,
    MemoryBudgetStore,
    RateBudget,
    RedisBudgetStore,
    SqlBudgetStore,
    check_ratelimit_url,
    open_budget_store,
)
from tests.conftest import REDIS_URL
from tests.factories import make_organization
from tests.platforms.ringcentral.support import connect, open_rc, sandbox, seed

LIMITS = {"heavy": GroupLimit(10, 60.0, 60.0), "light": GroupLimit(50, 60.0, 60.0)}


@pytest.fixture
def redis_prefix(backend):
    """A key prefix of this test in the test session's namespace; its keys are removed after."""
    prefix = f"{backend.jobs_name}:rl-test-{secrets.token_hex(4)}:"
    client = redis.Redis.from_url(REDIS_URL)
    yield prefix
    keys = list(client.scan_iter(match=prefix + "*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture(
    params=[
        "memory",
        pytest.param("sql", marks=pytest.mark.storage),
        pytest.param("redis", marks=pytest.mark.storage),
    ]
)
def make_store(request, clock):
    """A factory of stores sharing one state (two SQL stores share the database, two Redis stores
    the prefix): what two worker processes would have."""
    if request.param == "memory":
        shared = MemoryBudgetStore()
        return lambda: shared
    if request.param == "sql":
        runtime = request.getfixturevalue("runtime")
        return lambda: SqlBudgetStore(runtime.db, clock)
    prefix = request.getfixturevalue("redis_prefix")
    return lambda: RedisBudgetStore(redis.Redis.from_url(REDIS_URL), clock, prefix=prefix)


def _bump(state: BudgetState | None) -> tuple[BudgetState, int]:
    s = state or BudgetState(limit=10, window=60.0, penalty=60.0)
    s.requests += 1
    return s, s.requests


def test_update_creates_reads_back_and_returns_the_mutation_result(make_store):
    store = make_store()
    assert store.read("app|c1|heavy") is None
    seen = []

    def first(state):
        seen.append(state)
        return BudgetState(limit=7, window=30.0, penalty=90.0, sent=[1.5, 2.25], penalty_until=3.0), "made"

    assert store.update("app|c1|heavy", first) == "made"
    assert seen == [None]
    again = make_store().read("app|c1|heavy")
    assert again == BudgetState(limit=7, window=30.0, penalty=90.0, sent=[1.5, 2.25], penalty_until=3.0)
    assert store.update("app|c1|heavy", _bump) == 1
    assert make_store().update("app|c1|heavy", _bump) == 2
    assert store.read("app|c1|heavy").requests == 2


def test_read_hands_out_a_copy(make_store):
    store = make_store()
    store.update("k", _bump)
    copy = store.read("k")
    copy.requests = 99
    copy.sent.append(5.0)
    assert store.read("k").requests == 1 and store.read("k").sent == []


def test_keys_by_prefix_are_sorted_and_take_pattern_characters_literally(make_store):
    store = make_store()
    keys = [
        "a*b|c1|heavy",
        "a*b|c1|light",
        "axb|c1|heavy",
        "b|c|heavy",
        "a?b|x|heavy",
        "o_1|x|heavy",
        "o%|x|light",
    ]
    keys += ["oX1|x|heavy", "o2|x|light"]
    for key in keys:
        store.update(key, _bump)
    assert store.keys("a*b|") == ["a*b|c1|heavy", "a*b|c1|light"]
    assert store.keys("a?b") == ["a?b|x|heavy"]
    assert store.keys("o_1") == ["o_1|x|heavy"]  # not oX1: '_' is no wildcard
    assert store.keys("o%") == ["o%|x|light"]
    assert store.keys("zzz") == []
    assert store.keys() == sorted(keys)


def test_a_budget_behaves_the_same_on_every_store(make_store, clock):
    a = RateBudget(make_store(), clock, app="app", credential="c1", defaults=LIMITS)
    b = RateBudget(make_store(), clock, app="app", credential="c1", defaults=LIMITS)  # another worker
    for i in range(10):
        assert (a if i % 2 else b).acquire("heavy") == timedelta(0)
    assert b.acquire("heavy") == timedelta(seconds=61)
    assert a.headroom("heavy") == (61.0, 0)
    a.observe("heavy", 429, {}, retry_after=120)
    assert b.snapshot("heavy").throttled == 1
    assert b.acquire("heavy") == timedelta(seconds=121)
    clock.advance(121)
    assert b.acquire("heavy") == timedelta(0)
    assert RateBudget(make_store(), clock, app="app", credential="c2", defaults=LIMITS).headroom("heavy") == (
        0.0,
        10,
    )


def test_concurrent_updates_of_one_key_are_never_lost(make_store):
    threads, each = 6, 40
    errors: list[BaseException] = []

    def hammer() -> None:
        store = make_store()  # its own connection, as another worker has
        try:
            for _ in range(each):
                store.update("hot|key|heavy", _bump)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    workers = [threading.Thread(target=hammer) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    assert make_store().read("hot|key|heavy").requests == threads * each


def test_redis_update_retries_when_another_worker_writes_between_read_and_write(redis_prefix, clock):
    store = RedisBudgetStore(redis.Redis.from_url(REDIS_URL), clock, prefix=redis_prefix)
    other = RedisBudgetStore(redis.Redis.from_url(REDIS_URL), clock, prefix=redis_prefix)
    store.update("k", _bump)
    calls = []

    def slow_bump(state):
        calls.append(state.requests)
        if len(calls) == 1:  # another worker's update lands after our read
            other.update("k", _bump)
        return _bump(state)

    assert store.update("k", slow_bump) == 3
    assert calls == [1, 2]  # read, conflict, read again
    assert store.conflicts == 1
    assert other.read("k").requests == 3


def test_redis_keys_expire_after_their_window_and_penalty(redis_prefix, clock):
    client = redis.Redis.from_url(REDIS_URL)
    store = RedisBudgetStore(client, clock, prefix=redis_prefix, idle_seconds=600)
    budget = RateBudget(store, clock, app="app", credential="c1", defaults=LIMITS)
    budget.acquire("heavy")
    ttl = client.ttl(redis_prefix + "app|c1|heavy")
    assert 600 < ttl <= 660
    budget.observe("heavy", 429, {}, retry_after=3600)
    assert 600 + 3600 < client.ttl(redis_prefix + "app|c1|heavy") <= 600 + 3602
    client.close()


@pytest.mark.parametrize("url", ["memcached://cache:11211", "http://redis:6379", "redis", "postgresql://x/y"])
def test_other_schemes_are_refused_with_the_fix(url):
    with pytest.raises(InvalidInput) as info:
        check_ratelimit_url(url)
    assert info.value.field == "ratelimit_url"
    assert "redis://" in (info.value.hint or "") and "unset" in (info.value.hint or "")
    with pytest.raises(ConfigError) as config:
        load_settings(ratelimit_url=url)
    assert "CALLBRIDGE_RATELIMIT_URL" in str(config.value) and "redis://" in str(config.value)


def test_settings_choose_the_store(runtime, backend, clock):
    assert check_ratelimit_url("") is None and check_ratelimit_url("rediss://h:6380/1") == "rediss://h:6380/1"
    plain = backend.settings(ratelimit_url=None)
    assert plain.ratelimit_url is None
    assert isinstance(open_budget_store(plain, runtime.db, clock), SqlBudgetStore)
    redis_settings = backend.settings(ratelimit_url=REDIS_URL, jobs_name="cbdeploy")
    store = open_budget_store(redis_settings, runtime.db, clock)
    assert isinstance(store, RedisBudgetStore) and store.prefix == "cbdeploy:ratelimit:"
    assert open_budget_store(redis_settings, runtime.db, clock).client is store.client  # one pool


def test_the_ringcentral_client_keeps_its_budget_in_redis_when_configured(runtime, clock):
    """Whatever builds the budget store (``open_ringcentral``) follows CALLBRIDGE_RATELIMIT_URL."""
    runtime.settings.ratelimit_url = REDIS_URL  # (the PostgreSQL run has it already)
    prefix = f"{runtime.settings.jobs_name}:ratelimit:"
    app = sandbox(clock)
    seed(app, clock, days=1)
    org = make_organization(runtime, "acme")
    connect(runtime, org.id, app)
    rc = open_rc(runtime, org.id, app, clock)

    async def go():
        try:
            return await rc.client.list_extensions()
        finally:
            await rc.aclose()

    client = redis.Redis.from_url(REDIS_URL)
    try:
        assert len(asyncio.run(go())) == 3
        keys = sorted(k.decode() for k in client.scan_iter(match=f"{prefix}*|{org.id}:default|*"))
        assert [k.rsplit("|", 1)[1] for k in keys] == ["auth", "medium"]
        assert rc.budget.snapshot("medium").requests == 1
        with runtime.db.anonymous() as session:
            assert session.scalar(select(func.count()).select_from(RateBudgetRow)) == 0
    finally:
        for key in client.scan_iter(match=f"{prefix}*|{org.id}:*"):
            client.delete(key)
        client.close()
