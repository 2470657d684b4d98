"""Capacity planning: requests per dataset, time under the current limits, retention deadline.

Counting costs a few requests (``perPage=1`` answers carry ``paging.totalElements``): one Heavy
for calls, one for recorded calls, one Medium for the directory, two Light per mailbox.

RingCentral counts every rate group per authorised user and app (reference §4), so a pool of N
credentials (authorised users of the account) has N times one user's budget: the plan adds up
the limits each credential has learnt (the caller checks first that the pool is one account and
distinct users: ``archive.accounts.learn_accounts``). Account-level and per-IP limits also exist
but are not published; the advice says so when a pool is planned.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from callbridge.pipelines.archive.run import MAILBOX_TYPES
from callbridge.platforms.ringcentral.factory import RingCentralSession
from callbridge.ratelimit import GroupLimit, RateBudget

__all__ = ["DatasetPlan", "Plan", "make_plan"]

PER_PAGE = 1000
RETENTION_DAYS = {"calls": 365, "recordings": 90, "messages": None, "attachments": None}
GROUP = {"calls": "heavy", "recordings": "heavy", "messages": "light", "attachments": "medium"}


@dataclass
class DatasetPlan:
    dataset: str
    items: int
    requests: int
    group: str
    retention_days: int | None


@dataclass
class Plan:
    days: int
    datasets: list[DatasetPlan]
    seconds_by_group: dict[str, float]
    finishes_in_seconds: float
    deadline_seconds: float | None
    fits: bool
    advice: list[str] = field(default_factory=list)
    daily_heavy_capacity: int = 0
    daily_heavy_needed: float = 0.0
    credentials: int = 1

    def as_dict(self) -> dict[str, object]:
        return {
            "days": self.days,
            "datasets": [vars(d) for d in self.datasets],
            "seconds_by_group": {
                g: None if math.isinf(v) else round(v, 1) for g, v in self.seconds_by_group.items()
            },
            "finishes_in_hours": None
            if math.isinf(self.finishes_in_seconds)
            else round(self.finishes_in_seconds / 3600, 2),
            "deadline_hours": None
            if self.deadline_seconds is None
            else round(self.deadline_seconds / 3600, 2),
            "fits_before_retention": self.fits,
            "credentials": self.credentials,
            "daily_heavy_capacity": self.daily_heavy_capacity,
            "daily_heavy_needed": round(self.daily_heavy_needed, 1),
            "advice": self.advice,
        }


class PoolBudget:
    """The budgets of a pool's credentials as one: limits add up, the longest window counts."""

    def __init__(self, budgets: list[RateBudget]) -> None:
        self.budgets = budgets
        self.margin = max(b.margin for b in budgets)

    def limit_of(self, group: str) -> GroupLimit:
        limits = [b.limit_of(group) for b in self.budgets]
        return GroupLimit(
            sum(lim.limit for lim in limits),
            max(lim.window for lim in limits),
            max(lim.penalty for lim in limits),
        )

    def seconds_for(self, group: str, requests: int) -> float:
        if requests <= 0:
            return 0.0
        lim = self.limit_of(group)
        return (math.ceil(requests / lim.limit) - 1) * (lim.window + self.margin)

    def per_day(self, group: str) -> int:
        return sum(
            int(86400 / (lim.window + b.margin) * lim.limit)
            for b in self.budgets
            for lim in [b.limit_of(group)]
        )


async def make_plan(
    rc: RingCentralSession, now: datetime, days: int, *, recording_retention_days: int = 90
) -> Plan:
    client, budget = rc.client, PoolBudget(rc.budgets)
    pooled = len(rc.budgets)
    start = now - timedelta(days=days)
    calls = await client.count_call_log(start, now)
    recordings = await client.count_call_log(start, now, recorded=True)
    extensions = [e for e in await client.list_extensions() if e.get("type") in MAILBOX_TYPES]
    messages = attachments = 0
    message_pages = 0
    for ext in extensions:
        n = await client.count_messages(str(ext["id"]), start, now)
        messages += n
        message_pages += max(1, math.ceil(n / PER_PAGE))
        attachments += await client.count_messages(str(ext["id"]), start, now, ["Fax", "VoiceMail"])
    weeks = max(1, math.ceil(days / 7))
    plans = [
        DatasetPlan("calls", calls, max(weeks, math.ceil(calls / PER_PAGE)), "heavy", 365),
        DatasetPlan("recordings", recordings, recordings, "heavy", 90),
        DatasetPlan("messages", messages, 1 + message_pages, "light", None),
        DatasetPlan("attachments", attachments, attachments, "medium", None),
    ]
    by_group: dict[str, int] = {}
    for p in plans:
        by_group[p.group] = by_group.get(p.group, 0) + p.requests
    seconds = {g: budget.seconds_for(g, n) for g, n in by_group.items()}
    per_day = budget.per_day("heavy")
    # new traffic keeps arriving while the backlog runs and takes its share of the Heavy budget
    daily_needed = (recordings + calls / PER_PAGE) / max(days, 1)
    spare = per_day - daily_needed
    heavy_requests = by_group.get("heavy", 0)
    if heavy_requests and spare > 0:
        seconds["heavy"] = max(seconds.get("heavy", 0.0), heavy_requests / spare * 86400)
    elif heavy_requests:
        seconds["heavy"] = math.inf
    total = max(seconds.values()) if seconds else 0.0
    deadline = None
    advice: list[str] = []
    if recordings:
        # Oldest first (the order pending objects are fetched in): the front of the backlog ages as
        # fast as the clock, so it stays inside retention exactly when the whole backlog (plus the
        # traffic arriving meanwhile) is through within one retention period.
        deadline = recording_retention_days * 86400.0
    fits = deadline is None or seconds.get("heavy", 0.0) <= deadline
    if days >= recording_retention_days and recordings:
        advice.append(
            f"recordings older than {recording_retention_days} days are already being deleted: start now; "
            "the oldest are fetched first, so the ones closest to deletion go first"
        )
    if daily_needed > per_day:
        advice.append(
            f"new traffic needs ~{daily_needed:.0f} Heavy requests a day, "
            f"{'one credential allows' if pooled == 1 else f'{pooled} pooled credentials allow'} {per_day}: "
            "steady state cannot keep up without a higher limit or more credentials"
        )
    if not fits:
        hours = "never" if math.isinf(seconds["heavy"]) else f"{seconds['heavy'] / 3600:.1f} h"
        advice.append(
            f"the Heavy backlog needs {hours} but recordings are deleted after {recording_retention_days} "
            f"days ({(deadline or 0) / 3600:.0f} h): pool more authorised admins' credentials, ask "
            "RingCentral to raise the app's Heavy limit, or archive --dataset recordings first"
        )
    if not advice:
        advice.append("nothing to change: the backlog fits the current limits")
    if pooled > 1:
        advice.append(
            f"planned with {pooled} pooled credentials ({pooled}x one user's limits, as RingCentral counts "
            "them per user); RingCentral also has account-level and per-IP limits it does not publish: "
            "watch the 429 count of the first runs"
        )
    return Plan(days, plans, seconds, total, deadline, fits, advice, per_day, daily_needed, pooled)
