"""Issue 6 acceptance 4: a person's edits in the CRM survive our later updates."""

from __future__ import annotations

import pytest

from callbridge.pipelines.logging.service import edit_activity
from tests.pipelines.logging.support import call, make_world

FIELDS = {  # subject, body, recording field (or None), disposition field
    "hubspot": ("hs_call_title", "hs_call_body", "hs_call_recording_url", "hs_call_disposition"),
    "salesforce": ("Subject", "Description", None, "CallDisposition"),
}


def _one(world):
    activities = world.activities()
    assert len(activities) == 1, activities
    record = activities[0]
    return {**record, **(record.get("properties") or {})}


@pytest.mark.parametrize("crm", sorted(FIELDS))
def test_a_persons_subject_and_notes_survive_the_recording_and_a_disposition(runtime, org, crm):
    subject, body, recording, disposition = FIELDS[crm]
    world = make_world(runtime, org, crm)
    world.store(call("m-1"))
    world.settle()
    row = world.row("ringcentral:call:m-1")
    before = _one(world)
    note = "Customer prefers email. (typed by a person)"
    world.person_edit(
        row.crm_activity_id, {subject: "Renewal call (edited)", body: f"{before[body]}\n\n{note}"}
    )

    world.store(call("m-1", sequence=3, recording="rec-42"))  # the recording arrives
    edit_activity(
        runtime, org.id, row.id, notes="Wants a quote by Friday.", disposition="Connected", actor="user:test"
    )  # the rep picks a disposition and adds notes in callbridge
    world.settle()

    after = _one(world)
    assert after[subject] == "Renewal call (edited)"  # theirs
    assert note in after[body]  # theirs
    assert "rec-42" in after[body] and "Wants a quote by Friday." in after[body]  # ours
    if recording:
        assert "rec-42" in after[recording]
    assert after[disposition] not in (None, "")
    assert world.dead() == []

    # a later change of ours still leaves their subject alone
    world.store(call("m-1", sequence=4, duration=300))
    world.settle()
    final = _one(world)
    assert final[subject] == "Renewal call (edited)"
    assert note in final[body] and "5 min 0 s" in final[body]


def test_no_recording_link_without_an_https_public_url(backend, clock):
    """A CRM cannot open a private or plain-http callbridge address (HubSpot refuses http outright)."""
    from callbridge.pipelines.logging.links import recording_link
    from callbridge.runtime import Runtime
    from tests.conftest import empty_all_tables
    from tests.factories import make_organization

    for public_url, expected in [
        (None, None),
        ("http://10.0.0.5:8000", None),
        ("https://cb.example.com", "https"),
    ]:
        rt = Runtime(backend.settings(public_url=public_url), clock=clock)
        try:
            org = make_organization(rt, "alpha")
            with rt.db.tenant(org.id) as session:
                link = recording_link(rt, session, "comm-1", "rec-1")
            assert (link.split(":")[0] if link else None) == expected
        finally:
            empty_all_tables(rt)
            rt.close()
