"""Periodic work on the Clock: each period of each schedule becomes one job, exactly once.

Every worker tick offers the current period of every schedule; the job's idempotency key names
the period (``privacy.purge@2026-11-23T15:00``), so however many workers tick, one job runs per
period, and a period missed while no worker ran is caught up by the next tick.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from callbridge.runtime import Runtime

__all__ = ["Schedule", "offer_due_schedules", "period_start"]

EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Schedule:
    kind: str
    every: timedelta


def period_start(now: datetime, every: timedelta) -> datetime:
    periods = (now - EPOCH) // every
    return EPOCH + periods * every


def offer_due_schedules(runtime: Runtime, schedules: list[Schedule]) -> int:
    """Submit this period's job of each schedule (a no-op when it exists); returns how many were new."""
    now = runtime.clock.now()
    created = 0
    for schedule in schedules:
        start = period_start(now, schedule.every)
        _, new = runtime.submit(
            None, schedule.kind, {"period": start.isoformat()}, key=f"{schedule.kind}@{start.isoformat()}"
        )
        created += new
    return created
