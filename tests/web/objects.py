"""Real objects an organization owns, made through the product's own code, for route tests."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from callbridge.db.models import ApiToken, Job, Role
from callbridge.jobs.builtin import SELFTEST
from callbridge.jobs.registry import GiveUp
from callbridge.jobs.runner import run_one
from callbridge.runtime import Runtime
from tests.factories import OrgFixture, member_token


def new_member(runtime: Runtime, org: OrgFixture, role: Role = Role.member) -> str:
    membership_id, _ = member_token(runtime, org, f"{uuid.uuid4().hex[:8]}@{org.slug}.example", role)
    return membership_id


def owner_token_id(runtime: Runtime, org: OrgFixture) -> str:
    with runtime.db.tenant(org.id) as s:
        return s.scalars(select(ApiToken.id).where(ApiToken.membership_id == org.owner_membership_id)).first()


def dead_job(runtime: Runtime, org: OrgFixture) -> str:
    """A job that has died, so that a replay would be allowed if the route leaked across tenants."""
    kind = "test.always-dies"
    if kind not in runtime.registry:

        @runtime.registry.task(kind, max_attempts=1)
        def always_dies(ctx):
            raise GiveUp("dies for the test")

    job, _ = runtime.submit(org.id, kind, {}, key=uuid.uuid4().hex)
    run_one(runtime, job.id, worker_id="test")
    return job.id


def pending_job(runtime: Runtime, org: OrgFixture) -> str:
    job, _ = runtime.submit(org.id, SELFTEST, {}, key=uuid.uuid4().hex)
    return job.id


def credential(runtime: Runtime, org: OrgFixture) -> str:
    with runtime.db.tenant(org.id) as s:
        return runtime.vault.put(s, "crm:test:api-key", uuid.uuid4().hex, "value-" + org.slug).id


def job_status(runtime: Runtime, org: OrgFixture, job_id: str) -> str:
    with runtime.db.tenant(org.id) as s:
        return s.get_one(Job, job_id).status.value


def owner_principal(runtime: Runtime, org: OrgFixture):
    from callbridge.tenancy import authenticate

    return authenticate(runtime.db, runtime.clock, org.token)


def scheduled_deletion(runtime: Runtime, org: OrgFixture) -> str:
    from callbridge.privacy.lifecycle import request_deletion

    return request_deletion(runtime, owner_principal(runtime, org)).id


def support_session(runtime: Runtime, org: OrgFixture) -> str:
    from callbridge.privacy.support import CONSENT_TEXT, create_support_session

    who = owner_principal(runtime, org)
    return create_support_session(runtime, who, consent=True, consent_text=CONSENT_TEXT).id
