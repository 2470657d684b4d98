"""Issue 6 acceptance 6: a 429 storm, a 30-minute outage, an expired token — nothing lost or doubled."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from callbridge.db.models import ActivityStatus, AuditEntry, ConnectionStatus
from callbridge.pipelines.logging.connections import create_connection
from tests.pipelines.logging.support import CONNECT, HUBSPOT_SPARE_TOKEN, HUBSPOT_TOKEN, call, make_world


def _logged_once(world, n: int) -> None:
    activities = world.activities()
    assert len(activities) == n, activities
    rows = world.rows()
    assert len(rows) == n
    assert {r.status for r in rows} == {ActivityStatus.created}
    assert len({r.crm_activity_id for r in rows}) == n
    assert world.dead() == []


@pytest.mark.parametrize("crm", ["hubspot", "salesforce"])
def test_a_429_storm_then_a_30_minute_outage_lose_and_double_nothing(runtime, org, crm):
    world = make_world(runtime, org, crm)
    world.control("POST", "/faults", {"force_429": 25})
    for n in range(4):
        world.store(call(f"storm-{n}"))
    world.settle()
    _logged_once(world, 4)

    world.control("POST", "/faults", {"error_rate": 1.0, "error_status": 503})
    for n in range(4):
        world.store(call(f"outage-{n}"))
        world.store(call(f"storm-{n}", sequence=2, recording=f"rec-{n}"))  # updates during the outage
    for _ in range(30):  # thirty minutes of refusals on the virtual clock
        world.run(advance=60)
    world.control("DELETE", "/faults")
    world.settle(step=600)
    _logged_once(world, 8)
    assert all(f"rec-{n}" in str(world.activities()) for n in range(4))


def test_an_expired_token_pauses_the_connection_and_reconnecting_resumes_without_loss(runtime, org):
    world = make_world(runtime, org, "hubspot")
    world.store(call("before"))
    world.settle()
    world.control("POST", "/faults", {"revoke_token": HUBSPOT_TOKEN})
    world.store(call("during-1"))
    world.store(call("before", sequence=2, recording="rec-late"))
    world.settle()
    connection = world.connection()
    assert connection.status is ConnectionStatus.paused
    assert "reconnect" in (connection.paused_reason or "")
    with runtime.db.tenant(org.id) as session:
        actions = [a.action for a in session.scalars(select(AuditEntry))]
    assert "crm.connection_paused" in actions  # the admin is told (and the health API shows it)
    world.store(call("during-2"))  # arrives while paused: waits
    world.settle()
    assert world.row("ringcentral:call:during-2").status is ActivityStatus.waiting
    assert len(world.activities()) == 1

    options, _ = CONNECT["hubspot"]
    create_connection(runtime, org.id, "hubspot", options=options,
                      credentials={"api_key:org": {"api_key": HUBSPOT_SPARE_TOKEN}}, actor="user:admin")
    world.settle()
    assert world.connection().status is ConnectionStatus.active
    _logged_once(world, 3)
    assert "rec-late" in str(world.activities())
