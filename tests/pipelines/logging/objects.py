"""Logged communications of an organization, made through the product's code, for route tests."""

from __future__ import annotations

from sqlalchemy import select

from callbridge.db.models import ActivityStatus, CrmActivity
from callbridge.jobs.runner import run_one
from callbridge.runtime import Runtime
from tests.factories import OrgFixture
from tests.pipelines.logging.support import LOVELACES, call, make_world


def ambiguous_activity(runtime: Runtime, org: OrgFixture) -> str:
    """A call from a number two HubSpot contacts share: logged as 'ambiguous', waiting for a pick."""
    world = make_world(runtime, org, "hubspot", keep_clock=True)
    comm_id = world.store(call(f"amb-{len(world.rows())}-{org.slug}", number=LOVELACES))
    run_one(runtime, world.last_job, worker_id="objects")
    with runtime.db.tenant(org.id) as session:
        row = session.scalars(select(CrmActivity).where(CrmActivity.communication_id == comm_id)).one()
        assert row.status is ActivityStatus.ambiguous, (row.status, row.last_error)
        return row.id
