"""Issue 6 acceptance 2 and 3: a crash after the CRM created the activity, two workers at once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from callbridge.db.models import ActivityStatus
from tests.pipelines.logging.support import call, make_world

CRMS = ["hubspot", "salesforce"]


class WorkerKilled(BaseException):
    """Stands for SIGKILL: nothing after it runs, no handler catches it."""


def crash_once_after_create():
    state = {"crashed": False}

    def wrap(connector):
        real = connector.create_call_log

        async def create(draft):
            activity = await real(draft)  # the CRM created it ...
            if not state["crashed"]:
                state["crashed"] = True
                raise WorkerKilled  # ... and the worker died before storing the id
            return activity

        connector.create_call_log = create
        return connector

    return wrap, state


@pytest.mark.parametrize("crm", CRMS)
def test_a_worker_killed_after_the_crm_created_the_activity_leaves_one_activity(runtime, org, crm):
    wrap, state = crash_once_after_create()
    world = make_world(runtime, org, crm, wrap=wrap)
    world.store(call("crash-1"))
    with pytest.raises(WorkerKilled):
        world.run()
    assert state["crashed"]
    assert len(world.activities()) == 1
    row = world.row("ringcentral:call:crash-1")
    assert row.status is ActivityStatus.creating and row.crm_activity_id is None
    # the job's lease runs out (a restarted worker takes it over), past HubSpot's search lag
    world.run(advance=runtime.settings.job_lease_seconds + 1)
    world.settle()
    activities = world.activities()
    assert len(activities) == 1, activities
    row = world.row("ringcentral:call:crash-1")
    assert row.status is ActivityStatus.created
    assert row.crm_activity_id == str(activities[0].get("id") or activities[0].get("Id"))
    assert world.dead() == []


def test_hubspot_waits_out_its_search_lag_before_creating_again(runtime, org):
    """Right after the crash HubSpot's search does not show the activity yet: no create then."""
    wrap, _ = crash_once_after_create()
    world = make_world(runtime, org, "hubspot", wrap=wrap)
    world.store(call("lag-1"))
    with pytest.raises(WorkerKilled):
        world.run()
    with runtime.db.tenant(org.id) as session:  # a second job arrives at once (a new event)
        from callbridge.db.models import CrmActivity

        row = session.get_one(CrmActivity, world.row("ringcentral:call:lag-1").id)
        row.lease_until = runtime.clock.now()  # even with the row's lease gone ...
    world.store(call("lag-1", sequence=2, recording="rec-1"))
    world.run(advance=1)
    assert len(world.activities()) == 1  # ... it waits for the consistency window, no second create
    world.run(advance=runtime.settings.job_lease_seconds + 1)
    world.settle()
    assert len(world.activities()) == 1
    assert world.row("ringcentral:call:lag-1").status is ActivityStatus.created


@pytest.mark.parametrize("crm", CRMS)
def test_two_workers_on_the_same_communication_make_one_activity(runtime, org, crm):
    world = make_world(runtime, org, crm)
    for n in range(3):
        world.store(call(f"race-{n}"))
        world.store(call(f"race-{n}", sequence=2, duration=70))  # a second job, same communication
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            start.wait(timeout=10)
            from callbridge.jobs.runner import run_due

            run_due(runtime, worker_id=name)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    world.clock.advance(timedelta(seconds=1))
    world.settle()
    assert len(world.activities()) == 3
    assert {r.status for r in world.rows()} == {ActivityStatus.created}
    assert world.dead() == []
