"""Work as data, on the Clock: retries, dead letters, leases and concurrent workers."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from callbridge.db.models import AuditEntry, DeadLetter, Job, JobStatus
from callbridge.errors import Conflict, InvalidInput
from callbridge.jobs.builtin import SELFTEST
from callbridge.jobs.registry import GiveUp, RetryLater
from callbridge.jobs.runner import replay_dead, run_due
from callbridge.jobs.worker import Worker
from callbridge.privacy.audit import record_audit
from tests.factories import make_organization


class Crash(BaseException):
    """Stands for the process dying mid-job: nothing after it runs, no error handling either."""


@pytest.fixture
def org(runtime):
    return make_organization(runtime, "alpha")


def _job(runtime, job_id) -> Job:
    with runtime.db.system("test: read job") as s:
        return s.get_one(Job, job_id)


def _count(runtime, org_id, action) -> int:
    with runtime.db.tenant(org_id) as s:
        return s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)) or 0


def test_a_job_runs_and_its_effect_is_recorded_once(runtime, org):
    job, created = runtime.submit(org.id, SELFTEST, {}, key="one")
    assert created
    report = run_due(runtime, worker_id="w1")
    assert report.succeeded == [job.id]
    assert _job(runtime, job.id).status == JobStatus.done
    assert run_due(runtime, worker_id="w1").ran == 0
    assert _count(runtime, org.id, "selftest.completed") == 1


def test_submitting_the_same_key_twice_makes_one_job(runtime, org):
    first, created_first = runtime.submit(org.id, SELFTEST, {}, key="same")
    second, created_second = runtime.submit(org.id, SELFTEST, {}, key="same")
    assert (created_first, created_second) == (True, False)
    assert first.id == second.id


def test_same_key_in_two_organizations_is_two_jobs(runtime, org):
    other = make_organization(runtime, "bravo")
    a, _ = runtime.submit(org.id, SELFTEST, {}, key="k")
    b, _ = runtime.submit(other.id, SELFTEST, {}, key="k")
    assert a.id != b.id


def test_failures_retry_with_backoff_on_the_clock(runtime, org):
    calls = []

    @runtime.registry.task("test.flaky", max_attempts=5)
    def flaky(ctx):
        calls.append(ctx.attempt)
        if ctx.attempt < 3:
            raise RuntimeError("CRM timed out")

    job, _ = runtime.submit(org.id, "test.flaky", {}, key="f")
    assert run_due(runtime, worker_id="w").retried == [job.id]
    state = _job(runtime, job.id)
    wait = state.next_attempt_at - runtime.clock.now()
    assert timedelta(seconds=1) <= wait <= timedelta(seconds=2)  # base 2 s, jitter up to half
    assert state.last_error == "RuntimeError: CRM timed out"
    assert run_due(runtime, worker_id="w").ran == 0  # not due yet: nothing runs early
    runtime.clock.advance(2)
    assert run_due(runtime, worker_id="w").retried == [job.id]
    runtime.clock.advance(4)
    assert run_due(runtime, worker_id="w").succeeded == [job.id]
    assert calls == [1, 2, 3]


def test_used_up_attempts_land_in_the_dead_letters_and_replay_runs_again(runtime, org):
    fail = {"on": True}

    @runtime.registry.task("test.broken", max_attempts=2)
    def broken(ctx):
        if fail["on"]:
            raise ValueError("field hs_call_body rejected")

    job, _ = runtime.submit(org.id, "test.broken", {}, key="b")
    run_due(runtime, worker_id="w")
    runtime.clock.advance(3600)
    assert run_due(runtime, worker_id="w").dead == [job.id]
    with runtime.db.tenant(org.id) as s:
        letter = s.scalars(select(DeadLetter)).one()
        assert letter.error == "ValueError: field hs_call_body rejected" and letter.attempts == 2
    runtime.clock.advance(86400)
    assert run_due(runtime, worker_id="w").ran == 0, "a dead job stays dead until replayed"
    fail["on"] = False
    replay_dead(runtime, org.id, job.id, actor="test")
    assert run_due(runtime, worker_id="w").succeeded == [job.id]
    with runtime.db.tenant(org.id) as s:
        assert s.scalars(select(DeadLetter)).one().replayed_at is not None
    assert _count(runtime, org.id, "job.replayed") == 1


def test_replaying_a_job_that_is_not_dead_is_refused(runtime, org):
    job, _ = runtime.submit(org.id, SELFTEST, {}, key="x")
    with pytest.raises(Conflict, match="only dead jobs"):
        replay_dead(runtime, org.id, job.id, actor="test")


def test_retry_later_waits_at_least_what_the_server_asked(runtime, org):
    @runtime.registry.task("test.limited")
    def limited(ctx):
        if ctx.attempt == 1:
            raise RetryLater("HubSpot rate limit", after=timedelta(seconds=600))

    job, _ = runtime.submit(org.id, "test.limited", {}, key="r")
    run_due(runtime, worker_id="w")
    assert _job(runtime, job.id).next_attempt_at - runtime.clock.now() >= timedelta(seconds=600)
    runtime.clock.advance(599)
    assert run_due(runtime, worker_id="w").ran == 0
    runtime.clock.advance(1)
    assert run_due(runtime, worker_id="w").succeeded == [job.id]


def test_give_up_dead_letters_at_once(runtime, org):
    @runtime.registry.task("test.hopeless", max_attempts=9)
    def hopeless(ctx):
        raise GiveUp("the contact was deleted in the CRM")

    job, _ = runtime.submit(org.id, "test.hopeless", {}, key="h")
    assert run_due(runtime, worker_id="w").dead == [job.id]
    assert _job(runtime, job.id).attempts == 1


def test_errors_stored_on_jobs_are_redacted(runtime, org):
    @runtime.registry.task("test.leaky", max_attempts=1)
    def leaky(ctx):
        raise RuntimeError("401 with Authorization: Bearer eyJhbGciOi.secret.part and refresh_token=r-42")

    job, _ = runtime.submit(org.id, "test.leaky", {}, key="l")
    run_due(runtime, worker_id="w")
    error = _job(runtime, job.id).last_error
    assert "eyJhbGciOi" not in error and "r-42" not in error
    assert "Bearer ***" in error


def test_a_worker_dying_mid_job_leaves_a_lease_that_expires_on_the_clock(runtime, org):
    runs = Counter()

    @runtime.registry.task("test.dies-once")
    def dies_once(ctx):
        with ctx.session() as s:
            if ctx.first_time(s, "mark"):
                record_audit(s, runtime.clock, actor="t", action="effect", object_type="x")
        runs[ctx.attempt] += 1
        if ctx.attempt == 1:
            raise Crash  # after the effect committed, before the job was marked done

    job, _ = runtime.submit(org.id, "test.dies-once", {}, key="d")
    with pytest.raises(Crash):
        run_due(runtime, worker_id="doomed")
    assert _job(runtime, job.id).status == JobStatus.running
    assert run_due(runtime, worker_id="other").ran == 0, "the lease is still held"
    runtime.clock.advance(runtime.settings.job_lease_seconds)
    assert run_due(runtime, worker_id="other").succeeded == [job.id]
    assert _count(runtime, org.id, "effect") == 1
    assert runs == {1: 1, 2: 1}


def test_concurrent_workers_run_each_job_exactly_once(runtime, org):
    executions = Counter()
    lock = threading.Lock()

    @runtime.registry.task("test.count")
    def count(ctx):
        with lock:
            executions[ctx.job_id] += 1

    ids = [runtime.submit(org.id, "test.count", {"n": n}, key=f"c{n}")[0].id for n in range(30)]
    errors = []

    def work(name):
        try:
            for _ in range(5):
                run_due(runtime, worker_id=name)
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert executions == dict.fromkeys(ids, 1)


def test_losing_the_brokers_contents_loses_no_work(runtime, org):
    job, _ = runtime.submit(org.id, SELFTEST, {}, key="survivor")
    runtime.broker.flush()  # a Redis restart without persistence
    report = Worker(runtime, poll_seconds=0.01).tick()
    assert job.id in report.succeeded


def test_the_worker_runs_the_job_the_bell_names(runtime, org):
    job, _ = runtime.submit(org.id, SELFTEST, {}, key="rung")
    assert runtime.broker.huey.pending_count() == 1
    Worker(runtime).tick()
    assert runtime.broker.huey.pending_count() == 0
    assert _job(runtime, job.id).status == JobStatus.done


def test_bad_submissions_are_refused_and_write_nothing(runtime, org):
    with pytest.raises(InvalidInput, match="No job kind 'nope'") as caught:
        runtime.submit(org.id, "nope", {}, key="x")
    assert SELFTEST in (caught.value.hint or "")
    with pytest.raises(InvalidInput, match="bytes; the limit") as caught:
        runtime.submit(org.id, SELFTEST, {"transcript": "word " * 2000}, key="big")
    assert caught.value.field == "payload"
    with runtime.db.tenant(org.id) as s:
        assert s.scalar(select(func.count()).select_from(Job)) == 0
