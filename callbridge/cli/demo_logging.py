"""The second part of ``callbridge demo``: RingCentral traffic logged to HubSpot and Salesforce.

The sandboxes run as real servers on loopback ports (threads of the demo process); callbridge's
own server and worker processes reach them over HTTP like they would reach the real platforms.
A day of history is generated, part of the traffic is played as live webhooks into the server,
the catch-up sync covers the rest, and the worker logs every communication to both CRMs.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from callbridge.clock import SystemClock
from callbridge.db.models import (
    ActivityStatus,
    CrmActivity,
    CrmConnection,
    InboxEvent,
    Job,
    JobStatus,
    WebhookSubscription,
)
from callbridge.pipelines.ingest.names import RENEW, SYNC
from callbridge.pipelines.logging.connections import create_connection
from callbridge.pipelines.logging.preferences import ORG_SCOPE, save_preferences
from callbridge.platforms.ringcentral.auth import AppCredentials
from callbridge.platforms.ringcentral.connection import Connection, save_connection
from callbridge.runtime import Runtime

WALL = SystemClock()  # the demo runs real servers on the wall clock

__all__ = ["CRMS", "LoggingDemo", "Sandboxes", "start_sandboxes"]

CRMS = ("hubspot", "salesforce")
ACTIVITY_OBJECTS = {"hubspot": ("calls", "communications"), "salesforce": ("Task",)}
CONTACT_OBJECTS = {"hubspot": "contacts", "salesforce": "Contact"}
PLACEHOLDER = "Demo caller"  # the placeholder contacts' first name: counted in the CRM afterwards
SHARED_NUMBER = "+16505550100"  # two seeded CRM contacts share it: an ambiguous match
KNOWN_NUMBER = "+16505550101"  # one seeded contact: logged on it
PIPELINE = ("ingest.", "logging.")


@dataclass
class Sandboxes:
    """The simulators' base URLs and apps (the apps expose the seeded demo credentials)."""

    urls: dict[str, str]
    apps: dict[str, Any]


def start_sandboxes(stack: ExitStack) -> Sandboxes:
    """RingCentral, HubSpot and Salesforce simulators on free loopback ports, in threads."""
    from callbridge.sandbox.crm import SANDBOXES
    from callbridge.sandbox.ringcentral import create_app as rc_app
    from callbridge.sandbox.ringcentral.config import RingCentralSandboxConfig
    from callbridge.sandbox.ringcentral.server import running_server

    apps: dict[str, Any] = {
        # no Heavy-group waits in a demo that must end in a minute; 429 handling is tested elsewhere
        "ringcentral": rc_app(RingCentralSandboxConfig(recording_bytes=2048, call_log_delay_seconds=2)),
        "hubspot": SANDBOXES["hubspot"](),
        "salesforce": SANDBOXES["salesforce"](),
    }
    apps["ringcentral"].state.sandbox.config.rate_limits.enabled = False
    urls = {name: stack.enter_context(running_server(app)) for name, app in apps.items()}
    return Sandboxes(urls, apps)


def _last_weekday(now: datetime) -> datetime:
    day = (now - timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


@dataclass
class LoggingDemo:
    """Drives the scenario against a running server and worker; collects what it did."""

    rt: Runtime
    org_id: str
    sandboxes: Sandboxes
    steps: list[str]
    deadline: float
    notes: list[str] = field(default_factory=list)
    live: bool = False

    # -- set-up -----------------------------------------------------------------------------
    def rc(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        answer = httpx.request(method, self.sandboxes.urls["ringcentral"] + path, json=body, timeout=30)
        answer.raise_for_status()
        return answer.json()

    def generate_traffic(self) -> None:
        day = _last_weekday(WALL.now())
        stats = self.rc("POST", "/_sandbox/generate", {
            "seed": 6, "extensions": 3, "days": 1, "start": day.isoformat(), "calls_per_day": 14,
            "sms_conversations_per_day": 4, "faxes_per_day": 2, "recorded_share": 0.4})
        earlier = (WALL.now() - timedelta(hours=2)).isoformat()
        for number in (SHARED_NUMBER, SHARED_NUMBER, KNOWN_NUMBER):
            self.rc("POST", "/_sandbox/calls", {"phone_number": number, "duration_seconds": 95,
                                                "result": "Accepted", "start": earlier,
                                                "publish_events": False})
        self.steps.append(
            f"started the RingCentral, HubSpot and Salesforce sandboxes; generated {day:%A %d %B} for "
            f"{stats['extensions']} users: {stats['calls']['total']} calls, "
            f"{stats['messages']['total']} messages (+3 calls from numbers the CRMs know)")

    def connect(self) -> None:
        creds = self.rc("GET", "/_sandbox/credentials")
        hubspot = self.sandboxes.apps["hubspot"].state.sandbox.config
        salesforce = self.sandboxes.apps["salesforce"].state.sandbox.config
        tokens = hubspot.private_app_tokens
        hs_token = max(tokens, key=lambda t: len(tokens[t][1]))  # the all-scopes private app
        sf_user = "alice@callbridge.test"
        sf_client, sf_secret = next(iter(salesforce.clients.items()))
        with self.rt.db.tenant(self.org_id) as session:
            save_connection(session, self.rt.vault, Connection(
                "default", self.sandboxes.urls["ringcentral"], None,
                AppCredentials(creds["client_id"], creds["client_secret"], creds["jwt"])))
            save_preferences(session, self.rt.clock, ORG_SCOPE, {
                "placeholder_contacts": "create", "placeholder_name": PLACEHOLDER + " {number}",
                # the demo's public URL is plain http; HubSpot takes only https recording links
                "include_recording_link": False})
        create_connection(self.rt, self.org_id, "hubspot", actor="demo", options={
            "auth": "api_key", "base_url": self.sandboxes.urls["hubspot"],
            "account_id": str(hubspot.portal_id)}, credentials={"api_key:org": {"api_key": hs_token}})
        create_connection(self.rt, self.org_id, "salesforce", actor="demo", options={
            "auth": "password", "base_url": self.sandboxes.urls["salesforce"]}, credentials={
            "password": {"username": sf_user, "password": salesforce.user_password,
                         "security_token": salesforce.security_token},
            "oauth_client": {"client_id": sf_client, "client_secret": sf_secret or ""}})
        self.steps.append("connected RingCentral (JWT from the sandbox's /_sandbox/credentials), HubSpot "
                          "(private-app token) and Salesforce (password grant); placeholders allowed")

    # -- traffic ----------------------------------------------------------------------------
    def subscribe(self) -> None:
        self.rt.submit(self.org_id, RENEW, {"connection": "default"}, key="demo-subscribe")

        def active() -> bool:
            with self.rt.db.tenant(self.org_id) as session:
                rows = list(session.scalars(select(WebhookSubscription.status)))
            return "active" in rows or "failed" in rows

        self.wait(active, 20.0)
        with self.rt.db.tenant(self.org_id) as session:
            row = session.scalars(select(WebhookSubscription)).first()
            self.live = row is not None and row.status == "active"
            why = (row.last_error or row.status) if row is not None else "no subscription was made"
        if not self.live:
            self.notes.append(f"live webhooks off ({why}): the catch-up sync logged everything")

    def play_live(self) -> int:
        """Calls and texts happening now: their events reach the server as webhooks while they last
        (a subscription hears only what happens after it was made, so this traffic is new)."""
        rng = random.Random(9)
        results = ["Accepted", "Accepted", "Accepted", "Missed", "Voicemail", "Accepted", "Busy", "Accepted"]
        ends = []
        for n, result in enumerate(results):
            number = KNOWN_NUMBER if n == 2 else f"+1415555{rng.randrange(10000):04d}"
            start = WALL.now() + timedelta(seconds=n)
            duration = rng.randrange(4, 10)
            self.rc("POST", "/_sandbox/calls", {
                "phone_number": number, "direction": "Inbound" if n % 3 else "Outbound",
                "result": result if n % 3 else ("No Answer" if result != "Accepted" else "Call connected"),
                "duration_seconds": duration, "start": start.isoformat(), "recorded": result == "Accepted",
                "recording_delay_seconds": 1})
            ends.append(start + timedelta(seconds=duration))
        for n in range(4):
            self.rc("POST", "/_sandbox/messages", {
                "phone_number": f"+1212555{rng.randrange(10000):04d}", "text": f"Live text {n + 1}",
                "direction": "Inbound" if n % 2 else "Outbound"})
        delivered = 0
        until = max(ends) + timedelta(seconds=2)
        while WALL.now() < until and time.monotonic() < self.deadline:
            records = self.rc("POST", "/_sandbox/deliver")["deliveries"]
            delivered += sum(1 for r in records if r.get("outcome") == "delivered")
            self.pause(0.5)
        records = self.rc("POST", "/_sandbox/deliver")["deliveries"]
        delivered += sum(1 for r in records if r.get("outcome") == "delivered")
        self.steps.append(f"played {len(results)} calls and 4 SMS live: {delivered} webhooks delivered "
                          "to the server as they happened")
        return delivered

    def catch_up(self) -> None:
        self.rt.submit(self.org_id, SYNC, {"connection": "default"}, key="demo-catch-up")
        self.steps.append("queued the catch-up sync (call log + message store) for what was not played live")

    # -- waiting ----------------------------------------------------------------------------
    def pause(self, seconds: float) -> None:
        threading.Event().wait(seconds)

    def wait(self, check: Callable[[], bool], at_most: float) -> bool:
        until = min(self.deadline, time.monotonic() + at_most)
        while time.monotonic() < until:
            if check():
                return True
            self.pause(0.3)
        return check()

    def busy(self) -> int:
        """Pipeline jobs not finished yet, plus inbox events not normalised yet."""
        with self.rt.db.tenant(self.org_id) as session:
            jobs = [k for (k,) in session.execute(select(Job.kind).where(
                Job.status.in_([JobStatus.pending, JobStatus.running])))]
            inbox = int(session.scalar(select(func.count()).select_from(InboxEvent).where(
                InboxEvent.status == "pending")) or 0)
            sync_done = session.scalar(select(Job.status).where(Job.kind == SYNC)) is JobStatus.done
        return sum(1 for k in jobs if k.startswith(PIPELINE)) + inbox + (0 if sync_done else 1)

    def settle(self) -> bool:
        done = self.wait(lambda: self.busy() == 0, 75.0)
        if not done:
            self.notes.append(f"stopped waiting with {self.busy()} pipeline jobs unfinished")
        return done

    # -- the summary ------------------------------------------------------------------------
    def crm_objects(self, crm: str, object_type: str) -> list[dict[str, Any]]:
        answer = httpx.get(f"{self.sandboxes.urls[crm]}/_sandbox/objects/{object_type}", timeout=30)
        answer.raise_for_status()
        return list(answer.json()["objects"])

    def summary(self) -> tuple[list[str], dict[str, dict[str, int]]]:
        rows: dict[str, dict[str, int]] = {}
        with self.rt.db.tenant(self.org_id) as session:
            connections = {c.id: c.connector for c in session.scalars(select(CrmConnection))}
            counts = Counter(
                (connections[a.connection_id], a.kind, a.status)
                for a in session.scalars(select(CrmActivity)))
        for crm in CRMS:
            activities = [o for t in ACTIVITY_OBJECTS[crm] for o in self.crm_objects(crm, t)]
            tokens = Counter(_marker_in(o) for o in activities)
            tokens.pop(None, None)
            contacts = self.crm_objects(crm, CONTACT_OBJECTS[crm])

            def logged(kind: str, crm: str = crm) -> int:
                return counts[(crm, kind, ActivityStatus.created)]

            def by_status(status: ActivityStatus, crm: str = crm) -> int:
                return sum(n for (c, _, s), n in counts.items() if c == crm and s is status)

            rows[crm] = {
                "calls": logged("call"), "sms": logged("sms"), "fax": logged("fax"),
                "voicemail": logged("voicemail"),
                "placeholders": sum(1 for c in contacts if PLACEHOLDER in _name_of(c)),
                "ambiguous": by_status(ActivityStatus.ambiguous),
                "skipped": by_status(ActivityStatus.skipped),
                "failed": by_status(ActivityStatus.failed),
                "in_crm": len(activities),
                "duplicates": sum(n - 1 for n in tokens.values()),
            }
        return self.notes, rows


def _marker_in(record: dict[str, Any]) -> str | None:
    import re

    text = " ".join(str(v) for v in (record.get("properties") or {}).values())
    text += f" {record.get('CallObject') or ''} {record.get('Description') or ''}"
    found = re.search(r"cbm[0-9a-f]{24}", text)
    return found.group(0) if found else None


def _name_of(record: dict[str, Any]) -> str:
    props = record.get("properties") or {}
    first = props.get("firstname") or record.get("FirstName") or ""
    return f"{first} {props.get('lastname') or record.get('LastName') or ''}"
