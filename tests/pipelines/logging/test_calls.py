"""Calls to HubSpot and Salesforce: exactly one activity, updated in place, a person's edits kept."""

from __future__ import annotations

import pytest

from callbridge.db.models import ActivityStatus
from tests.pipelines.logging.support import ALAN, call, make_world

CRMS = ["hubspot", "salesforce"]


@pytest.mark.parametrize("crm", CRMS)
def test_a_call_becomes_one_activity_on_the_contact(runtime, org, crm):
    world = make_world(runtime, org, crm)
    world.store(call("s-1", final=False, result=None, duration=None))
    world.settle()
    world.store(call("s-1", sequence=2))
    world.settle()
    activities = world.activities()
    assert len(activities) == 1, activities
    row = world.row("ringcentral:call:s-1")
    assert row.status is ActivityStatus.created
    assert row.crm_activity_id == str(activities[0].get("id") or activities[0].get("Id"))
    assert row.contact_id
    assert world.dead() == []
    assert ALAN
