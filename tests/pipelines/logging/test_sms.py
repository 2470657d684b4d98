"""Issue 6 acceptance 5: an SMS conversation-day is one activity listing every message."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.pipelines.logging.support import T0, make_world, sms_day


def _bodies(world) -> list[str]:
    out = []
    for record in world.activities("message"):
        props = record.get("properties") or {}
        out.append(str(props.get("hs_communication_body") or record.get("Description") or ""))
    return out


@pytest.mark.parametrize("crm", ["hubspot", "salesforce"])
def test_five_sms_in_a_day_make_one_activity_and_the_next_day_another(runtime, org, crm):
    world = make_world(runtime, org, crm)
    for n in range(1, 6):  # messages arrive one by one; ingest merges them into the day
        world.store(sms_day("conv-7", T0, [f"msg-{n}"]))
        world.settle()
    bodies = _bodies(world)
    assert len(bodies) == 1, bodies
    assert all(f"msg-{n}" in bodies[0] for n in range(1, 6))
    assert "5 message(s)" in bodies[0]

    world.store(sms_day("conv-7", T0 + timedelta(days=1), ["msg-6"]))
    world.settle()
    bodies = _bodies(world)
    assert len(bodies) == 2
    assert sum("msg-6" in b for b in bodies) == 1
    assert world.dead() == []
