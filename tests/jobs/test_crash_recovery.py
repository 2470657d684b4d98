"""A worker process killed with SIGKILL mid-job: after a restart the job runs again and its effect
is applied exactly once. Real processes, a shared virtual clock in the database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import pytest
from sqlalchemy import func, select

from callbridge.db.models import AppliedEffect, AuditEntry, Job, JobStatus
from callbridge.jobs.builtin import SELFTEST
from callbridge.runtime import Runtime
from tests.conftest import empty_all_tables
from tests.factories import make_organization

pytestmark = pytest.mark.slow
WAIT = 60.0


@pytest.fixture
def shared_runtime(backend):
    """A runtime on the database clock, as the worker processes see it."""
    settings = backend.settings(clock="virtual", job_lease_seconds=30)
    rt = Runtime(settings)
    yield rt
    empty_all_tables(rt)
    rt.broker.flush()
    rt.close()


def _env(rt: Runtime) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLBRIDGE_")}
    env.update(
        CALLBRIDGE_DATA_DIR=str(rt.settings.data_dir),
        CALLBRIDGE_DATABASE_URL=rt.settings.db_url,
        CALLBRIDGE_JOBS_URL=rt.settings.broker_url,
        CALLBRIDGE_JOBS_NAME=rt.settings.jobs_name,
        CALLBRIDGE_KEYS=rt.settings.keys.get_secret_value(),
        CALLBRIDGE_CLOCK="virtual",
        CALLBRIDGE_JOB_LEASE_SECONDS="30",
        CALLBRIDGE_LOG_LEVEL="WARNING",
    )
    return env


def _start_worker(rt: Runtime) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "callbridge", "worker", "--poll-seconds", "0.05"],
        env=_env(rt),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _wait_for(condition, what: str) -> None:
    pause = threading.Event()
    for _ in range(int(WAIT / 0.05)):
        if condition():
            return
        pause.wait(0.05)
    pytest.fail(f"timed out waiting for {what}")


def _job(rt, job_id) -> Job:
    with rt.db.system("test: read job") as s:
        return s.get_one(Job, job_id)


def _effects(rt, org_id, job_id) -> int:
    with rt.db.tenant(org_id) as s:
        return (
            s.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "selftest.completed", AuditEntry.object_id == job_id)
            )
            or 0
        )


def _marker_written(rt, job_id) -> bool:
    with rt.db.system("test: read markers") as s:
        return s.scalars(select(AppliedEffect.key).where(AppliedEffect.job_id == job_id)).first() is not None


@pytest.mark.parametrize(
    ("payload", "effects_when_killed"),
    [
        pytest.param({"hold_seconds_before": 60}, 0, id="killed-before-the-effect-committed"),
        pytest.param({"hold_seconds_after": 60}, 1, id="killed-after-the-effect-committed"),
    ],
)
def test_sigkill_mid_job_then_restart_applies_the_effect_exactly_once(
    shared_runtime, payload, effects_when_killed
):
    rt = shared_runtime
    org = make_organization(rt, "alpha")
    job, _ = rt.submit(org.id, SELFTEST, payload, key="crash")

    first = _start_worker(rt)
    try:
        _wait_for(lambda: _job(rt, job.id).status == JobStatus.running, "the first worker to claim the job")
        if effects_when_killed:
            _wait_for(lambda: _marker_written(rt, job.id), "the effect to commit")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=WAIT)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == -signal.SIGKILL
    assert _job(rt, job.id).status == JobStatus.running  # the dead worker's lease is still on it
    assert _effects(rt, org.id, job.id) == effects_when_killed

    rt.clock.advance(31)  # past the 30 s lease, on the clock every process shares
    second = _start_worker(rt)
    try:
        _wait_for(lambda: _job(rt, job.id).status == JobStatus.done, "the restarted worker to finish the job")
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=WAIT)
    assert second.returncode == 0, second.stderr.read().decode() if second.stderr else ""
    assert _job(rt, job.id).attempts == 2
    assert _effects(rt, org.id, job.id) == 1
