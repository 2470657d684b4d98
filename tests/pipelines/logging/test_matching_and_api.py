"""Several matches (ask / type order / last used), unknown numbers, preferences, and the API."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from callbridge.db.models import ActivityStatus, CrmActivity
from callbridge.pipelines.logging.preferences import ORG_SCOPE, save_preferences
from callbridge.web.app import create_app
from tests.pipelines.logging.support import ALAN, LOVELACES, NOBODY, call, make_world


def _prefs(runtime, org, **changes) -> None:
    with runtime.db.tenant(org.id) as session:
        save_preferences(session, runtime.clock, ORG_SCOPE, changes)


def test_several_matches_wait_for_a_pick_through_the_api_then_log_once(runtime, org):
    world = make_world(runtime, org, "hubspot")
    world.store(call("amb-1", number=LOVELACES))
    world.settle()
    assert world.activities() == []
    client = TestClient(create_app(runtime), raise_server_exceptions=False)
    listed = client.get("/api/v1/logging/communications", headers=org.auth).json()
    assert [x["status"] for x in listed] == ["ambiguous"]
    assert len(listed[0]["candidates"]) == 2
    chosen = listed[0]["candidates"][1]["id"]
    answer = client.post(f"/api/v1/logging/communications/{listed[0]['id']}/resolve", headers=org.auth,
                         json={"contact_id": chosen})
    assert answer.status_code == 200, answer.text
    world.settle()
    assert len(world.activities()) == 1
    row = world.row("ringcentral:call:amb-1")
    assert row.status is ActivityStatus.created and row.contact_id == chosen
    health = client.get("/api/v1/logging/connections", headers=org.auth).json()
    assert health[0]["status"] == "active" and health[0]["last_success_at"] and health[0]["backlog"] == 0

    # last used: the next call from that number goes to the contact picked before
    _prefs(runtime, org, several_matches="last_used")
    world.store(call("amb-2", number=LOVELACES))
    world.settle()
    assert world.row("ringcentral:call:amb-2").contact_id == chosen


def test_type_order_picks_without_asking(runtime, org):
    world = make_world(runtime, org, "salesforce")
    _prefs(runtime, org, several_matches="type_order", type_order=["Lead", "Contact"])
    world.store(call("t-1", number=LOVELACES))
    world.settle()
    row = world.row("ringcentral:call:t-1")
    assert row.status is ActivityStatus.created and row.contact_id


def test_unknown_numbers_get_a_placeholder_only_when_allowed(runtime, org):
    world = make_world(runtime, org, "hubspot")
    world.store(call("u-1", number=NOBODY))
    world.settle()
    assert world.row("ringcentral:call:u-1").contact_id is None  # logged, on no contact
    contacts = len(world.objects("contacts"))
    _prefs(runtime, org, placeholder_contacts="create")
    world.store(call("u-2", number="+16505550198"))
    world.settle()
    assert len(world.objects("contacts")) == contacts + 1
    assert world.row("ringcentral:call:u-2").contact_id


def test_what_is_not_wanted_is_neither_sent_nor_stored(runtime, org):
    world = make_world(runtime, org, "hubspot")
    _prefs(runtime, org, log_outbound_calls=False, include_recording_link=False)
    from callbridge.domain.communication import Direction

    world.store(call("o-1", number=ALAN, direction=Direction.outbound))
    world.store(call("i-1", number=ALAN, recording="rec-9"))
    world.settle()
    assert len(world.activities()) == 1
    assert "rec-9" not in str(world.activities())
    skipped = world.row("ringcentral:call:o-1")
    assert skipped.status is ActivityStatus.skipped and skipped.contact_id is None
    assert skipped.last_written == {} and skipped.last_written_body is None


def test_a_bad_preference_changes_nothing(runtime, org):
    import pytest

    from callbridge.errors import InvalidInput

    with pytest.raises(InvalidInput, match="several_matches"):
        _prefs(runtime, org, several_matches="coin_toss")
    with runtime.db.tenant(org.id) as session:
        assert session.scalars(select(CrmActivity)).all() == []


def test_two_calls_from_one_unknown_number_make_one_placeholder_despite_the_search_lag(runtime, org):
    """HubSpot's search does not show a new contact for a while; the reservation bridges that."""
    world = make_world(runtime, org, "hubspot")
    _prefs(runtime, org, placeholder_contacts="create")
    contacts = len(world.objects("contacts"))
    world.store(call("p-1", number="+16505550177"))
    world.store(call("p-2", number="+16505550177"))
    world.run()  # both in the same round, well inside the search lag
    world.settle()
    assert len(world.objects("contacts")) == contacts + 1
    first, second = world.row("ringcentral:call:p-1"), world.row("ringcentral:call:p-2")
    assert first.contact_id and first.contact_id == second.contact_id
    assert first.status is ActivityStatus.created and second.status is ActivityStatus.created
