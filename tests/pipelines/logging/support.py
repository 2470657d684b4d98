"""A CRM sandbox wired in-process to the logging pipeline, on the runtime's virtual clock.

Communications are written into ingest's ``communications`` table (what ingest does), then the
``logging.sync`` job is submitted and run with ``run_due`` like a worker would.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from callbridge.clock import VirtualClock
from callbridge.connectors.auth import ClientApp
from callbridge.connectors.matching import MatchCache
from callbridge.db.models import CrmActivity, CrmConnection, DeadLetter, Job
from callbridge.domain.communication import (
    Communication,
    CommunicationKind,
    Direction,
    Party,
    Recording,
    Version,
)
from callbridge.jobs.runner import run_due
from callbridge.pipelines.ingest.store import logging_key, store_piece
from callbridge.pipelines.logging.connections import SYNC, Wiring, create_connection, set_wiring
from callbridge.runtime import Runtime
from callbridge.sandbox.crm import SANDBOXES
from tests.factories import OrgFixture

BASE_URL = "http://crm.sandbox.test"
HUBSPOT_TOKEN = "pat-na1-callbridge-sandbox-0000-all-scopes"
HUBSPOT_SPARE_TOKEN = "pat-na1-callbridge-sandbox-0000-spare"
PORTAL = "24681357"
SANDBOX_CLIENT = ClientApp("callbridge-sandbox-client", "callbridge-sandbox-secret")
T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)

ALAN = "+16505550101"  # one contact
LOVELACES = "+16505550100"  # Ada and Byron
NOBODY = "+16505550199"
REP = "+16505550123"


def _hubspot_config() -> Any:
    from callbridge.sandbox.crm.hubspot.config import HubSpotSandboxConfig

    tokens = dict(HubSpotSandboxConfig().private_app_tokens)
    tokens[HUBSPOT_SPARE_TOKEN] = tokens[HUBSPOT_TOKEN]
    return HubSpotSandboxConfig(private_app_tokens=tokens)


CONNECT: dict[str, tuple[dict[str, str], dict[str, dict[str, str]]]] = {
    "hubspot": ({"auth": "api_key", "base_url": BASE_URL, "account_id": PORTAL},
                {"api_key:org": {"api_key": HUBSPOT_TOKEN}}),
    "salesforce": ({"auth": "password", "base_url": BASE_URL},
                   {"password": {"username": "alice@callbridge.test", "password": "sandbox-password",
                                 "security_token": "SANDBOXTOKEN"}}),
}


@dataclass
class World:
    """One organization, one CRM sandbox, one connection; helpers to play communications."""

    runtime: Runtime
    org: OrgFixture
    crm: str
    app: Any
    transport: httpx.AsyncBaseTransport
    connection_id: str = ""
    breaker: Callable[[Any], Any] | None = None
    workers: int = 0
    stored: dict[str, str] = field(default_factory=dict)  # communication key -> id
    last_job: str = ""

    @property
    def clock(self) -> VirtualClock:
        clock = self.runtime.clock
        assert isinstance(clock, VirtualClock)
        return clock

    # -- sandbox control -------------------------------------------------------------------
    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        async def go() -> Any:
            async with httpx.AsyncClient(transport=self.transport, base_url=BASE_URL) as client:
                answer = await client.request(method, f"/_sandbox{path}", json=body)
                assert answer.status_code < 400, answer.text
                return answer.json()

        return asyncio.run(go())

    def objects(self, object_type: str) -> list[dict[str, Any]]:
        return list(self.control("GET", f"/objects/{object_type}")["objects"])

    def activities(self, kind: str = "call") -> list[dict[str, Any]]:
        if self.crm == "hubspot":
            return self.objects("calls" if kind == "call" else "communications")
        return self.objects("Task")

    def requests(self) -> list[dict[str, Any]]:
        return list(self.control("GET", "/requests")["requests"])

    def person_edit(self, activity_id: str, fields: dict[str, Any], kind: str = "call") -> None:
        object_type = "Task"
        if self.crm == "hubspot":
            object_type = "calls" if kind == "call" else "communications"
        self.control("POST", f"/edit/{object_type}/{activity_id}", fields)

    # -- communications --------------------------------------------------------------------
    def store(self, piece: Communication) -> str:
        """Merge ``piece`` into the stored communication (as ingest does) and submit the job."""
        return self.store_only(piece)

    def store_only(self, piece: Communication) -> str:
        outcome = store_piece(self.runtime, self.org.id, piece)
        key = f"{self.org.id}/{logging_key(outcome.communication_id, outcome.version)}"
        with self.runtime.db.tenant(self.org.id) as session:
            job = session.scalars(select(Job.id).where(Job.idempotency_key == key)).first()
        self.last_job = job or ""
        self.stored[piece.key] = outcome.communication_id
        return outcome.communication_id

    def run(self, *, advance: float = 0.0, rounds: int = 1) -> None:
        for _ in range(rounds):
            if advance:
                self.clock.advance(advance)
            self.workers += 1
            run_due(self.runtime, worker_id=f"test-worker-{self.workers}")

    def settle(self, *, step: float = 60.0, limit: int = 200) -> None:
        """Run jobs, moving the clock, until none is pending."""
        for _ in range(limit):
            self.run()
            with self.runtime.db.tenant(self.org.id) as session:
                pending = session.scalars(select(Job.next_attempt_at).where(
                    Job.kind == SYNC, Job.status.in_(["pending", "running"]))).all()
            if not pending:
                return
            soonest = min(pending)
            self.clock.set(max(self.clock.now() + timedelta(seconds=1), soonest)
                           if soonest > self.clock.now() else self.clock.now() + timedelta(seconds=step))
        raise AssertionError("jobs did not settle")

    def rows(self) -> list[CrmActivity]:
        with self.runtime.db.tenant(self.org.id) as session:
            return list(session.scalars(select(CrmActivity).order_by(CrmActivity.created_at)))

    def row(self, key: str) -> CrmActivity:
        return next(r for r in self.rows() if r.communication_key == key)

    def connection(self) -> CrmConnection:
        with self.runtime.db.tenant(self.org.id) as session:
            return session.get_one(CrmConnection, self.connection_id)

    def dead(self) -> list[DeadLetter]:
        with self.runtime.db.tenant(self.org.id) as session:
            return list(session.scalars(select(DeadLetter)))


def make_world(runtime: Runtime, org: OrgFixture, crm: str, *, wrap: Callable[[Any], Any] | None = None,
               connect: bool = True, keep_clock: bool = False) -> World:
    clock = runtime.clock
    assert isinstance(clock, VirtualClock)
    if not keep_clock:
        clock.set(T0)
    app = SANDBOXES[crm](_hubspot_config(), clock=clock) if crm == "hubspot" else SANDBOXES[crm](clock=clock)
    transport = httpx.ASGITransport(app=app)

    async def sleep(seconds: float) -> None:
        clock.advance(max(0.0, seconds))

    set_wiring(runtime, Wiring(transport=transport, sleep=sleep, max_retries=0, wrap=wrap,
                               match_cache=MatchCache(clock),
                               oauth_clients={"salesforce": SANDBOX_CLIENT}))
    world = World(runtime, org, crm, app, transport)
    if connect:
        options, credentials = CONNECT[crm]
        world.connection_id = create_connection(runtime, org.id, crm, options=options,
                                                credentials=credentials, actor="test")
    return world


def call(source_id: str = "s-1", *, number: str = ALAN, direction: Direction = Direction.inbound,
         started: datetime = T0, duration: int | None = 65, result: str | None = "Accepted",
         final: bool = True, sequence: int = 1, recording: str | None = None,
         owner_ref: str = "ext-ref-1", kind: CommunicationKind = CommunicationKind.call) -> Communication:
    counterpart = Party(phone=number, name=None)
    me = Party(phone=REP, name="Rep", extension_ref=owner_ref)
    return Communication(
        kind=kind, platform="ringcentral", source_id=source_id, owner_ref=owner_ref, direction=direction,
        started_at=started, ended_at=started + timedelta(seconds=duration or 0), duration_seconds=duration,
        result=result, final=final,
        from_party=counterpart if direction is Direction.inbound else me,
        to_party=me if direction is Direction.inbound else counterpart,
        recording=Recording(recording, 60, "audio/mpeg") if recording else None,
        version=Version(sequence, started + timedelta(seconds=sequence)))


def sms_day(conversation: str, day: datetime, message_ids: list[str], *, number: str = ALAN) -> Communication:
    piece = call(f"{conversation}:{day.date().isoformat()}", number=number, started=day, duration=None,
                 result=None, kind=CommunicationKind.sms)
    return replace(piece, message_ids=tuple(message_ids), ended_at=None)
