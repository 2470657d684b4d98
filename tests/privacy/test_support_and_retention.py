"""Support sessions need consent and vanish after 30 days; the hourly purge enforces retention."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from callbridge.db.models import AuditEntry, Job, JobStatus, SupportSession
from callbridge.errors import InvalidInput
from callbridge.jobs.builtin import SELFTEST
from callbridge.jobs.runner import run_due
from callbridge.jobs.worker import Worker
from callbridge.privacy.retention import PURGE
from callbridge.privacy.support import CONSENT_TEXT, create_support_session, read_support_session
from callbridge.tenancy import authenticate
from tests.factories import make_organization


@pytest.fixture
def owner(runtime):
    org = make_organization(runtime, "alpha")
    return authenticate(runtime.db, runtime.clock, org.token)


def _count(runtime, org_id, model) -> int:
    with runtime.db.tenant(org_id) as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.parametrize(("consent", "text"), [(False, CONSENT_TEXT), (True, "I agree"), (True, "")])
def test_without_consent_nothing_is_stored(runtime, owner, consent, text):
    with pytest.raises(InvalidInput, match="consent") as caught:
        create_support_session(runtime, owner, consent=consent, consent_text=text)
    assert caught.value.field == "consent"
    assert _count(runtime, owner.organization_id, SupportSession) == 0


def test_a_bundle_holds_diagnostics_without_secrets_and_reading_it_is_audited(runtime, owner):
    @runtime.registry.task("test.leaks", max_attempts=1)
    def leaks(ctx):
        raise RuntimeError("HubSpot said 401 for Authorization: Bearer pat-na1-live-secret")

    runtime.submit(owner.organization_id, "test.leaks", {}, key="x")
    run_due(runtime, worker_id="w")
    support = create_support_session(runtime, owner, consent=True, consent_text=CONSENT_TEXT)
    bundle = read_support_session(runtime, owner, support.id).bundle
    assert bundle["dead_letters"][0]["kind"] == "test.leaks"
    assert "pat-na1-live-secret" not in str(bundle)
    assert runtime.settings.keys.get_secret_value() not in str(bundle)
    assert bundle["configuration"]["CALLBRIDGE_KEYS"] == "***"
    with runtime.db.tenant(owner.organization_id) as s:
        actions = list(
            s.scalars(select(AuditEntry.action).where(AuditEntry.action.like("support_session.%")))
        )
    assert sorted(actions) == ["support_session.accessed", "support_session.created"]


def test_support_sessions_are_gone_after_30_days(runtime, owner):
    create_support_session(runtime, owner, consent=True, consent_text=CONSENT_TEXT)
    runtime.clock.advance(timedelta(days=29))
    Worker(runtime).tick()
    assert _count(runtime, owner.organization_id, SupportSession) == 1
    runtime.clock.advance(timedelta(days=1, hours=1))
    Worker(runtime).tick()
    assert _count(runtime, owner.organization_id, SupportSession) == 0


def test_finished_jobs_and_old_audit_entries_are_purged_on_schedule(runtime, owner):
    job, _ = runtime.submit(owner.organization_id, SELFTEST, {}, key="old")
    run_due(runtime, worker_id="w")
    runtime.clock.advance(timedelta(days=31))
    Worker(runtime).tick()
    with runtime.db.system("test: jobs left") as s:
        assert s.get(Job, job.id) is None
        assert s.scalar(select(func.count()).select_from(AuditEntry)) > 0  # audit kept two years
    runtime.clock.advance(timedelta(days=731))
    Worker(runtime).tick()
    with runtime.db.system("test: audit left") as s:
        assert (
            s.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.organization_id.is_not(None))
            )
            == 0
        )


def test_one_purge_job_per_hour_however_many_workers_tick(runtime):
    for _ in range(3):
        Worker(runtime, worker_id="a").tick()
        Worker(runtime, worker_id="b").tick()
    runtime.clock.advance(timedelta(hours=1))
    Worker(runtime).tick()
    with runtime.db.system("test: purge jobs") as s:
        purges = s.scalars(select(Job).where(Job.kind == PURGE)).all()
    assert len(purges) == 2
    assert all(j.status == JobStatus.done for j in purges)
