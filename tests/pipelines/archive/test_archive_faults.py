"""Acceptance 3 and 4, late recordings through the look-back, Parquet (5), the worker job."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta
from pathlib import Path

import duckdb
import httpx
from sqlalchemy import func, select

from callbridge.db.models import ArchivedCall, ArchivedObject, Job, JobStatus
from callbridge.jobs.runner import run_due
from callbridge.pipelines.archive.jobs import INCREMENTAL, register_archive_tasks
from callbridge.pipelines.archive.parquet import export_parquet
from callbridge.pipelines.archive.run import Archiver
from callbridge.pipelines.archive.storage import ObjectStore
from callbridge.pipelines.archive.verify import verify
from callbridge.sandbox.ringcentral.media import recording_blob
from tests.factories import make_organization
from tests.platforms.ringcentral.support import connect, open_rc, sandbox, seed, served, virtual_sleep


def _archive(runtime, org_id, app, clock, store, transport=None, **kw):
    async def go():
        rc = open_rc(runtime, org_id, app, clock, transport)
        try:
            return await Archiver(runtime, org_id, rc, store, sleep=virtual_sleep(clock)).run(**kw)
        finally:
            await rc.aclose()

    return asyncio.run(go())


def _verify(runtime, org_id, app, clock, store, date_from, repair=False):
    async def go():
        rc = open_rc(runtime, org_id, app, clock)
        try:
            return await verify(runtime, org_id, rc, store, date_from, clock.now(), repair=repair)
        finally:
            await rc.aclose()

    return asyncio.run(go())


def _setup(runtime, clock, tmp_path, days=4, **kw):
    app = sandbox(clock)
    seed(app, clock, days=days, **kw)
    org = make_organization(runtime, "acme")
    connect(runtime, org.id, app)
    return app, org, ObjectStore(str(tmp_path / "archive"))


class Truncating(httpx.AsyncBaseTransport):
    """Cuts the first ``n`` recording bodies short while keeping their Content-Length."""

    def __init__(self, inner, n):
        self.inner, self.left = inner, n

    async def handle_async_request(self, request):
        response = await self.inner.handle_async_request(request)
        if self.left and request.url.path.endswith("/content") and response.status_code == 200:
            self.left -= 1
            body = b"".join([chunk async for chunk in response.stream])
            return httpx.Response(200, headers=response.headers, content=body[: len(body) // 2])
        return response


def test_short_download_is_detected_and_retried(runtime, clock, tmp_path):
    app, org, store = _setup(runtime, clock, tmp_path, days=4)
    transport = Truncating(httpx.ASGITransport(app=app), 2)
    result = _archive(
        runtime,
        org.id,
        app,
        clock,
        store,
        transport,
        datasets=("calls", "recordings"),
        date_from=clock.now() - timedelta(days=5),
    )
    assert result.errors == []
    with runtime.db.tenant(org.id) as s:
        objects = list(s.scalars(select(ArchivedObject).where(ArchivedObject.kind == "recording")))
    assert objects and all(o.status == "stored" for o in objects)
    state = app.state.sandbox
    for obj in objects:
        rec = state.recordings[obj.source_id]
        blob = recording_blob(rec.id, rec.content_type, rec.duration, state.config.recording_bytes)
        assert obj.sha256 == hashlib.sha256(blob.read()).hexdigest() == store.sha256(obj.path)
    assert len(served(app, "/content")) == len(objects) + 2


def test_penalty_and_5xx_faults_complete_and_429s_are_reported(runtime, clock, tmp_path):
    app, org, store = _setup(runtime, clock, tmp_path, days=4)
    # another client of the same user eats the Heavy budget first: our first call gets a 429
    state = app.state.sandbox
    admin = state.admin_extension()
    for _ in range(10):
        state.limiter.check(state.config.auth.client_id, str(admin.id), "Heavy")
    state.faults.configure({"error_rate": 0.15, "error_status": 503, "seed": 3})
    result = _archive(runtime, org.id, app, clock, store, date_from=clock.now() - timedelta(days=5))
    assert result.errors == []
    assert result.throttled >= 1
    assert state.faults.injected["error"] > 0
    report = _verify(runtime, org.id, app, clock, store, clock.now() - timedelta(days=5))
    assert report.ok, report.gaps


def test_late_recording_is_caught_by_the_look_back_and_verify_finds_corruption(runtime, clock, tmp_path):
    app, org, store = _setup(runtime, clock, tmp_path, days=4)
    _archive(runtime, org.id, app, clock, store, date_from=clock.now() - timedelta(days=5))
    start = (clock.now() - timedelta(minutes=3)).isoformat()

    async def call():
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://rc.test"
        ) as raw:
            body = {"recorded": True, "recording_delay_seconds": 900, "duration_seconds": 90, "start": start}
            return (await raw.post("/_sandbox/calls", json=body)).json()["recordingId"]

    rec_id = asyncio.run(call())
    clock.advance(timedelta(minutes=3))
    second = _archive(runtime, org.id, app, clock, store)  # incremental: the call, not yet its recording
    assert second.datasets["calls"].new == 1 and second.datasets["recordings"].downloaded == 0
    clock.advance(timedelta(minutes=20))
    third = _archive(runtime, org.id, app, clock, store)  # the look-back re-reads it with the recording
    assert third.datasets["calls"].updated == 1 and third.datasets["recordings"].downloaded == 1
    with runtime.db.tenant(org.id) as s:
        obj = s.scalars(select(ArchivedObject).where(ArchivedObject.source_id == rec_id)).one()
    assert obj.status == "stored"
    Path(store.full(obj.path)).write_bytes(b"x" * obj.size)  # corrupted at rest, same size
    report = _verify(runtime, org.id, app, clock, store, clock.now() - timedelta(days=5), repair=True)
    assert [g.problem for g in report.gaps if "sha256" in g.problem]
    fourth = _archive(runtime, org.id, app, clock, store)
    assert fourth.datasets["recordings"].downloaded == 1
    assert _verify(runtime, org.id, app, clock, store, clock.now() - timedelta(days=5)).ok


def test_parquet_export_reads_back_in_duckdb(runtime, clock, tmp_path):
    app, org, store = _setup(runtime, clock, tmp_path, days=4)
    _archive(runtime, org.id, app, clock, store, date_from=clock.now() - timedelta(days=5))
    counts = export_parquet(runtime, org.id, store)
    con = duckdb.connect()
    for table, expected in counts.items():
        if expected == 0:
            continue
        path = f"{store.full('parquet')}/{org.id}/{table}/**/*.parquet"
        got = con.execute(f"select count(*) from read_parquet('{path}', hive_partitioning=true)").fetchone()[
            0
        ]
        assert got == expected, table
    with runtime.db.tenant(org.id) as s:
        assert counts["calls"] == s.scalar(select(func.count()).select_from(ArchivedCall)) > 0
    calls = f"{store.full('parquet')}/{org.id}/calls/**/*.parquet"
    query = f"select count(distinct day) from read_parquet('{calls}', hive_partitioning=true)"
    days = con.execute(query).fetchone()[0]
    assert days >= 2


def test_incremental_job_archives_and_schedules_the_next_run(runtime, clock, tmp_path, monkeypatch):
    app, org, _ = _setup(runtime, clock, tmp_path, days=4)
    register_archive_tasks(runtime.registry)
    runtime.settings.archive_storage_url = str(tmp_path / "archive")
    import callbridge.pipelines.archive.service as service

    real_open = service.open_ringcentral

    def open_in_process(rt, org_id, **kw):
        kw["transport"] = httpx.ASGITransport(app=app)
        kw["sleep"] = virtual_sleep(clock)
        return real_open(rt, org_id, **kw)

    monkeypatch.setattr(service, "open_ringcentral", open_in_process)
    runtime.submit(org.id, INCREMENTAL, {"connection": "default"}, key="first")
    report = run_due(runtime, worker_id="w1")
    assert report.succeeded, report
    with runtime.db.tenant(org.id) as s:
        assert s.scalar(select(func.count()).select_from(ArchivedCall)) > 0
        pending = list(s.scalars(select(Job).where(Job.kind == INCREMENTAL, Job.status == JobStatus.pending)))
    assert len(pending) == 1 and pending[0].next_attempt_at > clock.now()
