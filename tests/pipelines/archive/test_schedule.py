"""The periodic incremental archive: one run per connected account per interval, however many
workers tick, and nothing lost when the broker is unreachable or loses its contents."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select

from callbridge.db.models import ArchivedCall, Job, JobStatus
from callbridge.jobs.schedule import period_start
from callbridge.jobs.worker import Worker
from callbridge.pipelines.archive.jobs import INCREMENTAL, SCHEDULE, install_archive
from callbridge.runtime import Runtime
from callbridge.sandbox.ringcentral.config import RateGroupLimit
from tests.factories import make_organization
from tests.pipelines.archive.support import in_process
from tests.platforms.ringcentral.support import connect, sandbox, seed


def _jobs(runtime, kind):
    with runtime.db.system("test: read jobs") as s:
        return list(s.scalars(select(Job).where(Job.kind == kind)))


def test_two_workers_run_each_account_once_per_interval_and_a_lost_broker_loses_nothing(
    runtime, clock, tmp_path, monkeypatch
):
    app = sandbox(clock)
    for name in app.state.sandbox.config.rate_limits.groups:  # this test is about scheduling
        app.state.sandbox.config.rate_limits.groups[name] = RateGroupLimit(limit=5000)
    seed(app, clock, days=4, calls_per_day=4, sms_conversations_per_day=1, faxes_per_day=0)
    orgs = [make_organization(runtime, slug) for slug in ("acme", "globex", "initech")]
    for org in orgs[:2]:  # initech has no RingCentral connection
        connect(runtime, org.id, app)
    runtime.settings.archive_storage_url = str(tmp_path / "archive")
    runtime.settings.archive_interval_minutes = 60
    in_process(monkeypatch, runtime, app, clock)

    second = Runtime(runtime.settings, clock=clock)  # another worker process on the same database
    try:
        for rt in (runtime, second):
            rt.schedules.clear()  # other pipelines' schedules (ingest, privacy) are not under test here
            install_archive(rt)
            install_archive(rt)  # idempotent
            assert [s.kind for s in rt.schedules].count(SCHEDULE) == 1

        def broken(*args, **kwargs):
            raise ConnectionError("redis is down")

        monkeypatch.setattr(second.broker, "drain", broken)  # this worker never hears the bell
        monkeypatch.setattr(second.broker, "_wake_task", broken)  # nor can it ring it
        workers = [Worker(runtime, worker_id="w1"), Worker(second, worker_id="w2")]
        interval = timedelta(hours=1)
        periods = set()
        for step in range(15):  # 5 hours in 20-minute ticks, the workers taking turns to go first
            clock.advance(timedelta(minutes=20))
            periods.add(period_start(clock.now(), interval))
            if step == 7:
                runtime.broker.flush()  # a Redis restart without persistence
            for worker in workers if step % 2 else reversed(workers):
                worker.tick()
    finally:
        second.close()

    runs = [j for j in _jobs(runtime, INCREMENTAL) if j.status == JobStatus.done]
    assert not [j for j in _jobs(runtime, INCREMENTAL) if j.status == JobStatus.dead]
    assert all(j.attempts == 1 for j in runs)
    per_account = Counter(
        (j.organization_id, period_start(j.finished_at, interval)) for j in runs
    )  # when each run happened
    expected = {(org.id, p) for org in orgs[:2] for p in periods}
    assert set(per_account) == expected
    assert set(per_account.values()) == {1}  # exactly one run per account per interval
    schedules = [j for j in _jobs(runtime, SCHEDULE) if j.status == JobStatus.done]
    assert len(schedules) == len(periods)
    ran_by = {w.worker_id: set(w.totals.succeeded) for w in workers}
    assert ran_by["w2"] & {j.id for j in runs}  # the worker without a broker archives too
    assert not ran_by["w1"] & ran_by["w2"]  # and no run ran on both
    for org in orgs[:2]:
        with runtime.db.tenant(org.id) as s:
            assert s.scalar(select(func.count()).select_from(ArchivedCall)) > 0
    with runtime.db.tenant(orgs[2].id) as s:
        assert s.scalar(select(func.count()).select_from(Job)) == 0
