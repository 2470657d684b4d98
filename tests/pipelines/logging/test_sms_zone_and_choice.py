"""Logging SMS conversation-days: the day shown is the owner's (directory zone, the preferences'
default, UTC), and a conversation not chosen is never sent to the CRM, even when it was stored
before the preference changed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from callbridge.db.models import ActivityStatus
from callbridge.errors import InvalidInput
from callbridge.pipelines.logging.preferences import (
    ORG_SCOPE,
    choose_conversation,
    effective_preferences,
    save_preferences,
)
from callbridge.platforms.ringcentral.directory import Extension, store_extension
from tests.pipelines.logging.support import ALAN, LOVELACES, make_world, sms_day

LATE_EVENING_LA = datetime(2026, 3, 3, 7, 30, tzinfo=UTC)  # 23:30 on Monday 2 March in Los Angeles


def _owner_zone(runtime, org_id: str, zone_name: str | None) -> str:
    with runtime.db.tenant(org_id) as session:
        ext = Extension("8001", None, None, "User", "Enabled", zone_name)
        row = store_extension(session, runtime.vault,
                              lambda i: runtime.pseudonyms.pseudonym(session, "extension", i), "default",
                              ext, runtime.clock.now())
        return row.ref


def _subject(world) -> str:
    [activity] = world.activities("message")
    return str((activity.get("properties") or {}).get("hs_communication_body") or activity.get("Subject"))


@pytest.mark.parametrize(("zone_name", "default", "day"), [
    ("America/Los_Angeles", None, "2026-03-02"),
    (None, "America/Los_Angeles", "2026-03-02"),  # the directory has no zone: the organization's default
    (None, None, "2026-03-03"),  # nothing known: UTC
])
def test_the_day_in_the_subject_is_the_owners(runtime, org, zone_name, default, day):
    world = make_world(runtime, org, "salesforce")
    ref = _owner_zone(runtime, org.id, zone_name)
    if default:
        with runtime.db.tenant(org.id) as session:
            save_preferences(session, runtime.clock, ORG_SCOPE, {"default_time_zone": default})
    world.clock.set(LATE_EVENING_LA)
    world.store(replace(sms_day("conv-9", LATE_EVENING_LA, ["m-1"]), owner_ref=ref))
    world.settle()
    assert day in _subject(world)
    assert world.dead() == []


def test_a_stored_conversation_not_chosen_is_skipped_and_never_sent(runtime, org):
    world = make_world(runtime, org, "hubspot")
    world.store(sms_day("conv-a", world.clock.now(), ["m-1"], number=ALAN))  # stored while "all"
    world.store(sms_day("conv-l", world.clock.now(), ["m-2"], number=LOVELACES))
    with runtime.db.tenant(org.id) as session:
        save_preferences(session, runtime.clock, ORG_SCOPE, {"sms_conversations": "chosen"})
    choose_conversation(runtime, org.id, ALAN, actor="test")
    world.control("DELETE", "/requests")
    world.settle()
    rows = {r.communication_key.split(":")[2]: r for r in world.rows()}
    assert rows["conv-l"].status is ActivityStatus.skipped and "chosen" in (rows["conv-l"].last_error or "")
    assert rows["conv-l"].contact_id is None and rows["conv-l"].last_written == {}
    assert rows["conv-a"].status is ActivityStatus.created
    searches = [r for r in world.requests() if r["path"].endswith("/contacts/search")]
    assert len(searches) == 1, "only the chosen conversation's number may reach the CRM"
    [activity] = world.activities("message")
    assert "m-1" in str(activity) and "m-2" not in str(activity)


def test_preferences_refuse_an_unknown_zone_and_an_unknown_sms_choice(runtime, org):
    for changes, field in (({"default_time_zone": "Mars/Olympus"}, "default_time_zone"),
                           ({"sms_conversations": "some"}, "sms_conversations")):
        with runtime.db.tenant(org.id) as session, pytest.raises(InvalidInput) as refused:
            save_preferences(session, runtime.clock, ORG_SCOPE, changes)
        assert field in str(refused.value)
    with runtime.db.tenant(org.id) as session:
        prefs = effective_preferences(session, None)
    assert prefs.default_time_zone is None and prefs.sms_conversations == "all"
