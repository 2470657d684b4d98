"""Capacity planning: requests per dataset, time under the current limits, retention deadline.

Counting costs a few requests (``perPage=1`` answers carry ``paging.totalElements``): one Heavy
for calls, one for recorded calls, one Medium for the directory, two Light per mailbox.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from callbridge.pipelines.archive.run import MAILBOX_TYPES
from callbridge.platforms.ringcentral.factory import RingCentralSession

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
            "daily_heavy_capacity": self.daily_heavy_capacity,
            "daily_heavy_needed": round(self.daily_heavy_needed, 1),
            "advice": self.advice,
        }


async def make_plan(
    rc: RingCentralSession, now: datetime, days: int, *, recording_retention_days: int = 90
) -> Plan:
    client, budget = rc.client, rc.budget
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
    heavy = budget.limit_of("heavy")
    per_day = int(86400 / (heavy.window + budget.margin) * heavy.limit)
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
            f"new traffic needs ~{daily_needed:.0f} Heavy requests a day, one credential allows {per_day}: "
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
    return Plan(days, plans, seconds, total, deadline, fits, advice, per_day, daily_needed)
