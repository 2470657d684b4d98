"""Archive bench: one JSON line. Heavy-group utilisation and 429s of callbridge's budget versus a
fixed-sleep baseline (the public samples' pause per request) on the virtual clock; the same archive
through one credential and through a pool of two (two admins of one account: RingCentral counts
limits per user), with each one's utilisation of its Heavy budget; peak RSS while streaming a
200 MB recording from a real uvicorn sandbox; call-log records archived per second.

    PYTHONPATH=. .venv/bin/python bench/archive_throughput.py
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

import httpx
import psutil

from callbridge.clock import VirtualClock
from callbridge.config import load_settings
from callbridge.db import migrate
from callbridge.pipelines.archive.run import Archiver
from callbridge.pipelines.archive.storage import ObjectStore
from callbridge.platforms.ringcentral.groups import DEFAULT_LIMITS
from callbridge.ratelimit import MemoryBudgetStore, RateBudget
from callbridge.runtime import Runtime
from callbridge.sandbox.ringcentral.config import RateGroupLimit
from callbridge.sandbox.ringcentral.server import running_server
from tests.conftest import TEST_KEYS
from tests.factories import make_organization
from tests.platforms.ringcentral.support import connect, connect_user, open_rc, sandbox, seed, virtual_sleep

HEAVY_REQUESTS = 200


def _sandbox_heavy(clock: VirtualClock):
    app = sandbox(clock)
    state = app.state.sandbox
    ext = "bench-user"
    return state, ext


def utilisation(fixed_sleep: float | None) -> dict[str, float]:
    """Send HEAVY_REQUESTS Heavy requests against the sandbox limiter on a virtual clock."""
    clock = VirtualClock()
    state, user = _sandbox_heavy(clock)
    budget = RateBudget(MemoryBudgetStore(), clock, app="a", credential="c", defaults=DEFAULT_LIMITS)
    start = clock.now()
    sent = throttled = 0

    async def sleep(s: float) -> None:
        clock.advance(s)

    async def go() -> None:
        nonlocal sent, throttled
        while sent < HEAVY_REQUESTS:
            if fixed_sleep is None:
                await budget.wait("heavy", sleep)
            else:
                await sleep(fixed_sleep)
            decision = state.limiter.check("app", user, "Heavy")
            if decision.allowed:
                sent += 1
                if fixed_sleep is None:
                    budget.observe("heavy", 200, decision.headers())
            else:
                throttled += 1
                if fixed_sleep is None:
                    budget.observe("heavy", 429, decision.headers(), float(decision.retry_after or 60))
                else:
                    await sleep(float(decision.retry_after or 60))  # the samples honour Retry-After

    asyncio.run(go())
    elapsed = (clock.now() - start).total_seconds()
    allowed = elapsed / 60.0 * 10
    return {
        "utilisation": round(sent / max(allowed, 1e-9), 3),
        "throttled_429": throttled,
        "virtual_seconds": round(elapsed, 1),
    }


def archive_run(root: Path) -> dict[str, float]:
    settings = load_settings(
        data_dir=root,
        database_url=f"sqlite:///{root / 'cb.db'}",
        keys=TEST_KEYS,
        jobs_url=f"sqlite:///{root / 'jobs.db'}",
    )
    migrate.upgrade(settings.db_url)
    clock = VirtualClock()
    runtime = Runtime(settings, clock=clock)
    app = sandbox(clock, recording_bytes=4096)
    seed(app, clock, days=30, extensions=10, calls_per_day=100, sms_conversations_per_day=20)
    org = make_organization(runtime, "bench")
    connect(runtime, org.id, app)
    store = ObjectStore(str(root / "archive"))

    async def go():
        rc = open_rc(runtime, org.id, app, clock)
        try:
            t0 = time.perf_counter()
            result = await Archiver(runtime, org.id, rc, store, sleep=virtual_sleep(clock)).run(
                ("calls",), clock.now() - timedelta(days=31)
            )
            return result, time.perf_counter() - t0
        finally:
            await rc.aclose()

    result, wall = asyncio.run(go())
    calls = result.datasets["calls"].listed
    return {
        "call_records": calls,
        "call_records_per_second": round(calls / wall, 1),
        "call_log_429": result.throttled,
    }


def pooled(root: Path, credentials: int) -> dict[str, float]:
    """Calls and recordings of one account through ``credentials`` admins on the virtual clock."""
    settings = load_settings(
        data_dir=root,
        database_url=f"sqlite:///{root / f'pool{credentials}.db'}",
        keys=TEST_KEYS,
        jobs_url=f"sqlite:///{root / f'pool{credentials}-jobs.db'}",
    )
    migrate.upgrade(settings.db_url)
    clock = VirtualClock()
    runtime = Runtime(settings, clock=clock)
    app = sandbox(clock, recording_bytes=1024)
    seed(app, clock, days=14, extensions=4, calls_per_day=60, recorded_share=0.5)
    org = make_organization(runtime, f"pool{credentials}")
    connect(runtime, org.id, app)
    extra = [f"admin{i + 2}" for i in range(credentials - 1)]
    for i, name in enumerate(extra):
        connect_user(runtime, org.id, app, clock, name=name, user=i + 1)
    store = ObjectStore(str(root / f"pool{credentials}-archive"))

    async def go():
        rc = open_rc(runtime, org.id, app, clock, pool=extra)
        try:
            start = clock.now()
            result = await Archiver(runtime, org.id, rc, store, sleep=virtual_sleep(clock)).run(
                ("calls", "recordings"), clock.now() - timedelta(days=15)
            )
            return result, (clock.now() - start).total_seconds()
        finally:
            await rc.aclose()

    result, elapsed = asyncio.run(go())
    heavy = result.requests.get("heavy", 0)
    allowed = elapsed / 60.0 * 10 * credentials
    return {
        "credentials": credentials,
        "heavy_requests": heavy,
        "recordings": result.datasets["recordings"].downloaded,
        "virtual_seconds": round(elapsed, 1),
        "utilisation": round(heavy / max(allowed, 1e-9), 3),
        "throttled_429": result.throttled,
        "requests_per_credential": {k: v["requests"] for k, v in result.credentials.items()},
    }


def pool_comparison(root: Path) -> dict[str, object]:
    one, two = pooled(root, 1), pooled(root, 2)
    return {
        "one_credential": one,
        "two_credentials": two,
        "speedup": round(float(one["virtual_seconds"]) / max(float(two["virtual_seconds"]), 1e-9), 2),
    }


def peak_rss(root: Path) -> dict[str, float]:
    settings = load_settings(
        data_dir=root,
        database_url=f"sqlite:///{root / 'rss.db'}",
        keys=TEST_KEYS,
        jobs_url=f"sqlite:///{root / 'jobs2.db'}",
        archive_chunk_bytes=1_048_576,
    )
    migrate.upgrade(settings.db_url)
    clock = VirtualClock()
    runtime = Runtime(settings, clock=clock)
    app = sandbox(clock, recording_bytes=200 * 1024 * 1024)
    for name in app.state.sandbox.config.rate_limits.groups:
        app.state.sandbox.config.rate_limits.groups[name] = RateGroupLimit(limit=5000)
    seed(
        app,
        clock,
        days=4,
        extensions=1,
        calls_per_day=2,
        recorded_share=1.0,
        sms_conversations_per_day=0,
        faxes_per_day=0,
    )
    org = make_organization(runtime, "rss")
    proc = psutil.Process()
    peak = [proc.memory_info().rss]
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], proc.memory_info().rss)
            time.sleep(0.01)

    with running_server(app) as base:
        connect(runtime, org.id, app, base=base)
        store = ObjectStore(str(root / "rss-archive"))
        before = proc.memory_info().rss
        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()

        async def go():
            from callbridge.platforms.ringcentral.factory import open_ringcentral

            rc = open_ringcentral(
                runtime, org.id, transport=httpx.AsyncHTTPTransport(), sleep=virtual_sleep(clock)
            )
            try:
                return await Archiver(runtime, org.id, rc, store, sleep=virtual_sleep(clock)).run(
                    ("calls", "recordings"), clock.now() - timedelta(days=5)
                )
            finally:
                await rc.aclose()

        result = asyncio.run(go())
        stop.set()
        watcher.join()
    return {
        "recording_bytes": 200 * 1024 * 1024,
        "recordings": result.datasets["recordings"].downloaded,
        "rss_before_mb": round(before / 1e6, 1),
        "peak_rss_mb": round(peak[0] / 1e6, 1),
        "rss_growth_mb": round((peak[0] - before) / 1e6, 1),
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        out = {
            "heavy_callbridge": utilisation(None),
            "heavy_fixed_sleep_5s": utilisation(5.0),
            "heavy_fixed_sleep_10s": utilisation(10.0),
            "call_log": archive_run(root),
            "heavy_pool": pool_comparison(root),
            "memory_200mb": peak_rss(root),
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
