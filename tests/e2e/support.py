"""One organization wired end to end, in-process, on one virtual clock.

RingCentral sandbox ──webhooks (ASGI)──▶ callbridge app ──inbox──▶ ingest jobs ──▶ communications
──▶ ``logging.sync`` ──connector (ASGI)──▶ CRM sandbox. Jobs run through ``run_due`` after moving
the clock, like a worker would.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from callbridge.clock import VirtualClock
from callbridge.db.models import CrmActivity, Job, JobStatus, WebhookSubscription
from callbridge.jobs.runner import run_due
from callbridge.pipelines.ingest.names import RENEW, SYNC
from callbridge.runtime import Runtime
from tests.factories import OrgFixture
from tests.pipelines.logging.support import World

MARKER = re.compile(r"cbm[0-9a-f]{24}")
PIPELINE_KINDS = ("ingest.", "logging.")


class Switch(httpx.AsyncBaseTransport):
    """Forwards the sandbox's webhook deliveries to callbridge, keeps a copy, can be switched off."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.sent: list[tuple[str, dict[str, str], bytes]] = []
        self.enabled = True

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        if not self.enabled:
            raise httpx.ConnectError("callbridge is unreachable", request=request)
        if body:
            self.sent.append((str(request.url), dict(request.headers), body))
        return await self.inner.handle_async_request(request)

    def replay_reversed(self) -> int:
        """Deliver one more copy of every distinct delivery, newest first; returns how many."""
        unique = list({body: (url, headers, body) for url, headers, body in self.sent}.values())

        async def go() -> None:
            async with httpx.AsyncClient(transport=self.inner) as client:
                for url, headers, body in reversed(unique):
                    answer = await client.post(url, headers=headers, content=body)
                    assert answer.status_code == 200, answer.text

        asyncio.run(go())
        return len(unique)


@dataclass
class EndToEnd:
    runtime: Runtime
    org: OrgFixture
    rc: FastAPI
    rc_control: TestClient
    webhooks: Switch
    crm: World

    @property
    def clock(self) -> VirtualClock:
        clock = self.runtime.clock
        assert isinstance(clock, VirtualClock)
        return clock

    # -- RingCentral sandbox -----------------------------------------------------------------
    def rc_post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = self.rc_control.post(path, json=body)
        assert answer.status_code < 300, answer.text
        return dict(answer.json())

    def pump(self) -> list[Any]:
        return list(asyncio.run(self.rc.state.sandbox.webhooks.pump()))

    def subscribe(self) -> None:
        self.runtime.submit(self.org.id, RENEW, {"connection": "default"}, key="e2e-subscribe")
        self.drain()
        with self.runtime.db.tenant(self.org.id) as session:
            sub = session.scalars(select(WebhookSubscription)).one()
        assert sub.status == "active" and sub.subscription_id, (sub.status, sub.last_error)

    def catch_up(self, key: str) -> None:
        self.runtime.submit(self.org.id, SYNC, {"connection": "default"}, key=key)
        self.drain()

    # -- jobs --------------------------------------------------------------------------------
    def drain(self, *, rounds: int = 300) -> None:
        """Run due jobs; when only later ones are left, move the clock to the soonest. No job of
        the pipeline may end dead."""
        for n in range(rounds):
            report = run_due(self.runtime, worker_id=f"e2e-{n}", limit=10_000)
            assert self.dead_kinds(report.dead) == [], self.dead_kinds(report.dead)
            with self.runtime.db.tenant(self.org.id) as session:
                waiting = [w for kind, w in session.execute(
                    select(Job.kind, Job.next_attempt_at).where(
                        Job.status.in_([JobStatus.pending, JobStatus.running])))
                    if kind.startswith(PIPELINE_KINDS)]
            if not waiting:
                return
            if report.ran == 0:
                now = self.clock.now()
                self.clock.set(max(min(waiting), now + timedelta(seconds=1)))
        raise AssertionError("the pipeline's jobs did not settle")

    def dead_kinds(self, job_ids: list[str]) -> list[str]:
        with self.runtime.db.tenant(self.org.id) as session:
            kinds = [session.get_one(Job, j).kind for j in job_ids]
        return [k for k in kinds if k.startswith(PIPELINE_KINDS)]

    # -- CRM sandbox ---------------------------------------------------------------------------
    def crm_activities(self) -> list[dict[str, Any]]:
        """Every activity object in the CRM sandbox (calls, voicemails, faxes, SMS logs)."""
        if self.crm.crm == "hubspot":
            return self.crm.objects("calls") + self.crm.objects("communications")
        return self.crm.objects("Task")

    def rows(self) -> list[CrmActivity]:
        return self.crm.rows()


def marker_of(activity: dict[str, Any]) -> str | None:
    """The idempotency marker token an activity carries (HubSpot: body; Salesforce: CallObject)."""
    text = " ".join(str(v) for v in (activity.get("properties") or {}).values())
    text += " " + str(activity.get("CallObject") or "") + " " + str(activity.get("Description") or "")
    found = MARKER.search(text)
    return found.group(0) if found else None


def activity_id(activity: dict[str, Any]) -> str:
    return str(activity.get("id") or activity.get("Id"))


def duplicates(activities: list[dict[str, Any]]) -> int:
    """Activities beyond the first per communication (markers are one per communication)."""
    counts = Counter(marker_of(a) for a in activities)
    assert None not in counts, "an activity without callbridge's marker"
    return sum(n - 1 for n in counts.values())
