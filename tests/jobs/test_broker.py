"""The bell: a burst of deliveries rings it once; every other wake-up is sent as asked."""

from __future__ import annotations

import pytest

from callbridge.jobs import broker as broker_module

pytestmark = pytest.mark.storage  # Huey on SQLite, and on Redis in the PostgreSQL run


def test_a_burst_rings_once_and_a_later_wake_rings_again(runtime, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(broker_module.time, "monotonic", lambda: now[0])
    bell = runtime.broker
    bell.drain()
    for n in range(5):  # five deliveries within 0.2 s
        bell.wake(f"job-{n}", coalesce_seconds=0.2)
        now[0] += 0.01
    assert bell.drain() == ["job-0"]
    now[0] += 0.5
    bell.wake("job-5", coalesce_seconds=0.2)
    bell.wake("job-6")  # without coalescing: always sent
    assert bell.drain() == ["job-5", "job-6"]
