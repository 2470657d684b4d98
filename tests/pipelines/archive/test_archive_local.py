"""Acceptance 1 (local directory), late recordings through the look-back, idempotent re-runs."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from callbridge.db.models import ArchivedCall, ArchivedCallLeg, ArchivedMessage, ArchivedObject
from callbridge.pipelines.archive.run import Archiver
from callbridge.pipelines.archive.storage import ObjectStore
from tests.factories import make_organization
from tests.platforms.ringcentral.support import connect, open_rc, sandbox, seed, served, virtual_sleep


def _archive(runtime, org_id, app, clock, store, **kw):
    async def go():
        rc = open_rc(runtime, org_id, app, clock)
        try:
            return await Archiver(runtime, org_id, rc, store, sleep=virtual_sleep(clock)).run(**kw)
        finally:
            await rc.aclose()

    return asyncio.run(go())


def _count(runtime, org_id, model, *where):
    with runtime.db.tenant(org_id) as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def test_complete_archive_then_nothing_fetched(runtime, clock, tmp_path: Path):
    app = sandbox(clock)
    summary = seed(app, clock, days=10)
    org = make_organization(runtime, "acme")
    connect(runtime, org.id, app)
    store = ObjectStore(str(tmp_path / "archive"))

    first = _archive(runtime, org.id, app, clock, store, date_from=clock.now() - timedelta(days=11))
    assert first.throttled == 0, first.errors
    state = app.state.sandbox
    now = clock.now()
    visible_calls = [c for c in state.calls.values() if c.visible_at <= now and c.deleted_at is None]
    assert _count(runtime, org.id, ArchivedCall) == len(visible_calls) > 50
    with runtime.db.tenant(org.id) as s:
        legs = s.scalar(select(func.sum(ArchivedCall.leg_count)))
    assert _count(runtime, org.id, ArchivedCallLeg) == legs > 0
    recorded = [c for c in visible_calls if state.recording_visible(c, now)]
    stored = _count(
        runtime, org.id, ArchivedObject, ArchivedObject.kind == "recording", ArchivedObject.status == "stored"
    )
    assert stored == len(recorded) > 5
    assert _count(runtime, org.id, ArchivedMessage) > 20
    assert first.datasets["attachments"].downloaded > 0
    files = [p for p in (tmp_path / "archive").rglob("*") if p.is_file()]
    assert not [p for p in files if p.name.endswith(".part")]
    assert len(files) == first.fetched
    del summary

    before = len(served(app, "/content"))
    second = _archive(runtime, org.id, app, clock, store, date_from=clock.now() - timedelta(days=11))
    assert second.fetched == 0
    assert len(served(app, "/content")) == before
    assert second.datasets["calls"].new == 0 and second.datasets["messages"].new == 0
