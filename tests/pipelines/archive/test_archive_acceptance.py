"""Acceptance 1 at full size, to a local directory: ≥ 2,000 calls over 30 days, ~30 % recorded
(with recordings that appear after the call), ≥ 500 messages with attachments. Recordings are
512 bytes each (Decision 16: sizes are a generator knob); the bench runs real sizes."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, select

from callbridge.db.models import ArchivedCall, ArchivedMessage, ArchivedObject
from callbridge.pipelines.archive.records import SKIPPED_ATTACHMENTS
from callbridge.pipelines.archive.run import Archiver
from callbridge.pipelines.archive.storage import ObjectStore
from callbridge.pipelines.archive.verify import verify
from callbridge.platforms.ringcentral.factory import open_ringcentral
from callbridge.ratelimit import MemoryBudgetStore
from tests.factories import make_organization
from tests.platforms.ringcentral.support import connect, sandbox, seed, served, virtual_sleep


def _count(runtime, org_id, model, *where):
    with runtime.db.tenant(org_id) as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def test_acceptance_size_archive_is_complete_verified_and_idempotent(runtime, clock, tmp_path: Path):
    app = sandbox(clock, recording_bytes=512)
    seed(
        app, clock, days=30, extensions=5, calls_per_day=100, sms_conversations_per_day=6, recorded_share=0.5
    )
    state = app.state.sandbox
    org = make_organization(runtime, "acme")
    connect(runtime, org.id, app)
    store = ObjectStore(str(tmp_path / "archive"))
    budget = MemoryBudgetStore()  # the shared SQL budget store has tests of its own (tests/ratelimit)

    def open_rc():
        return open_ringcentral(
            runtime,
            org.id,
            transport=httpx.ASGITransport(app=app),
            sleep=virtual_sleep(clock),
            budget_store=budget,
        )

    async def late_call() -> str:  # ends now; its recording appears 10 minutes later
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://rc.test"
        ) as raw:
            body = {
                "recorded": True,
                "recording_delay_seconds": 600,
                "duration_seconds": 120,
                "start": (clock.now() - timedelta(minutes=3)).isoformat(),
            }
            return (await raw.post("/_sandbox/calls", json=body)).json()["recordingId"]

    late_recording = asyncio.run(late_call())
    clock.advance(timedelta(minutes=2))

    def run(**kw):
        async def go():
            rc = open_rc()
            try:
                return await Archiver(runtime, org.id, rc, store, sleep=virtual_sleep(clock)).run(**kw)
            finally:
                await rc.aclose()

        return asyncio.run(go())

    first = run(date_from=clock.now() - timedelta(days=31))
    assert first.errors == [] and first.throttled == 0
    with runtime.db.tenant(org.id) as s:
        late = s.scalars(
            select(ArchivedObject).where(ArchivedObject.source_id == late_recording)
        ).one_or_none()
    assert late is None  # the call is archived, its recording does not exist yet

    clock.advance(timedelta(minutes=30))
    second = run()  # the worker's incremental run: the look-back re-reads the call with its recording
    assert second.errors == [] and second.throttled == 0
    assert second.datasets["recordings"].downloaded >= 1

    now = clock.now()
    calls = [c for c in state.calls.values() if c.visible_at <= now and c.deleted_at is None]
    recorded = [c for c in calls if state.recording_visible(c, now)]
    messages = [m for m in state.messages.values() if m.creation_time <= now and m.deleted_at is None]
    attachments = [a for m in messages for a in m.attachments if a.type not in SKIPPED_ATTACHMENTS]
    # the account is the size acceptance 1 asks for
    assert len(calls) >= 2000
    assert 0.25 <= len(recorded) / len(calls) <= 0.35
    assert len([m for m in messages if m.attachments]) >= 500

    assert _count(runtime, org.id, ArchivedCall) == len(calls)
    assert _count(runtime, org.id, ArchivedMessage) == len(messages)
    stored = ArchivedObject.status == "stored"
    assert _count(runtime, org.id, ArchivedObject, ArchivedObject.kind == "recording", stored) == len(
        recorded
    )
    assert _count(runtime, org.id, ArchivedObject, ArchivedObject.kind == "attachment", stored) == len(
        attachments
    )
    assert _count(runtime, org.id, ArchivedObject, ArchivedObject.status != "stored") == 0
    files = [p for p in (tmp_path / "archive").rglob("*") if p.is_file()]
    assert len(files) == len(recorded) + len(attachments) == first.fetched + second.fetched
    assert not [p for p in files if p.name.endswith(".part")]
    with runtime.db.tenant(org.id) as s:
        sample = s.scalars(select(ArchivedObject).where(ArchivedObject.source_id == late_recording)).one()
    assert sample.sha256 == hashlib.sha256((tmp_path / "archive" / sample.path).read_bytes()).hexdigest()

    async def check():
        rc = open_rc()
        try:
            return await verify(runtime, org.id, rc, store, now - timedelta(days=31), now)
        finally:
            await rc.aclose()

    report = asyncio.run(check())
    assert report.ok, report.gaps[:5]
    assert report.objects_checked == len(files)

    before = len(served(app, "/content"))
    third = run(date_from=now - timedelta(days=31))
    assert third.fetched == 0 and third.errors == []
    assert len(served(app, "/content")) == before
    assert third.datasets["calls"].new == 0 and third.datasets["messages"].new == 0
