"""Issue 6 end to end: RingCentral sandbox → webhooks/catch-up sync → callbridge → CRM sandbox.

(a) acceptance 1: one call's telephony events delivered 3 times each, out of order, and a
    recording that appears minutes after the call → exactly one CRM activity, on the contact,
    holding the final duration, result and recording link;
(b) acceptance 7: webhooks unreachable for an hour of live traffic → the catch-up sync and the
    logging jobs give every wanted communication exactly one activity; a second sync adds none.

Both CRMs, both storage backends, one virtual clock; nothing here sleeps.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from callbridge.db.models import ActivityStatus, CommunicationRow, InboxEvent
from callbridge.pipelines.logging.preferences import ORG_SCOPE, save_preferences
from callbridge.sandbox.ringcentral.generator import generate, play_live
from tests.e2e.support import EndToEnd, activity_id, duplicates, marker_of
from tests.pipelines.logging.support import ALAN

MISSED = {"missed", "no answer", "busy", "rejected"}  # what log_missed_calls=False leaves out


def _quiet_account(e2e: EndToEnd, *, extensions: int = 2) -> None:
    generate(e2e.rc, seed=3, extensions=extensions, days=1, calls_per_day=0,
             sms_conversations_per_day=0, faxes_per_day=0)


def _fields(e2e: EndToEnd, activity: dict) -> tuple[int, str, str]:
    """(duration in seconds, result, everything the activity says) as the CRM stores them."""
    if e2e.crm.crm == "hubspot":
        props = activity["properties"]
        return (int(props["hs_call_duration"]) // 1000, str(props["hs_call_status"]),
                f"{props.get('hs_call_recording_url')} {props.get('hs_call_body')}")
    return (int(activity["CallDurationInSeconds"]), str(activity["CallDisposition"]),
            str(activity["Description"]))


def test_triple_out_of_order_webhooks_and_a_late_recording_make_one_final_crm_activity(e2e: EndToEnd):
    _quiet_account(e2e)
    e2e.subscribe()
    e2e.rc_control.put("/_sandbox/webhooks", json={"duplicate_rate": 1.0, "reorder_rate": 1.0})
    call = e2e.rc_post("/_sandbox/calls", {"phone_number": ALAN, "duration_seconds": 140,
                                           "result": "Accepted", "start": e2e.clock.now().isoformat()})
    e2e.clock.advance(timedelta(seconds=145))
    delivered = [d for d in e2e.pump() if d.outcome == "delivered"]
    assert len(delivered) >= 8  # every telephony event twice, shuffled
    e2e.webhooks.replay_reversed()  # and a third time, newest first
    with e2e.runtime.db.tenant(e2e.org.id) as session:
        inbox = list(session.scalars(select(InboxEvent)))
        assert sum(r.duplicates for r in inbox) == 2 * len(inbox)
    e2e.drain()

    first = e2e.crm_activities()
    assert len(first) == 1, first
    assert first[0] is not None and "Recording" not in _fields(e2e, first[0])[2]

    # the recording shows up 5 minutes after the call; the catch-up sync's look-back finds it
    edit = e2e.rc_post(f"/_sandbox/calls/{call['id']}/edit",
                       {"add_recording": True, "recording_delay_seconds": 300})
    e2e.clock.advance(timedelta(minutes=10))
    e2e.catch_up("after-the-recording")

    activities = e2e.crm_activities()
    assert len(activities) == 1, activities
    activity = activities[0]
    assert activity_id(activity) == activity_id(first[0])  # updated in place, not logged again
    exact = e2e.rc.state.sandbox.calls[call["id"]].duration_ms // 1000  # the call log's final figure
    duration, result, text = _fields(e2e, activity)
    assert duration == exact
    assert result in ("COMPLETED", "Accepted")
    assert "/media/recordings/" in text and edit["recordingId"] in text

    rows = e2e.rows()
    assert len(rows) == 1
    row = rows[0]
    assert row.status is ActivityStatus.created and row.crm_activity_id == activity_id(activity)
    assert row.communication_key == f"ringcentral:call:{call['telephonySessionId']}"
    assert row.contact_id  # Alan Turing, the one contact with that number
    assert marker_of(activity) is not None and duplicates(activities) == 0
    with e2e.runtime.db.tenant(e2e.org.id) as session:
        assert len(list(session.scalars(select(CommunicationRow)))) == 1


def test_an_hour_without_webhooks_is_logged_by_the_catch_up_sync_exactly_once(e2e: EndToEnd):
    _quiet_account(e2e, extensions=3)
    with e2e.runtime.db.tenant(e2e.org.id) as session:  # the organization does not log missed calls
        save_preferences(session, e2e.clock, ORG_SCOPE, {"log_missed_calls": False})
    e2e.subscribe()
    e2e.webhooks.enabled = False  # callbridge unreachable: every delivery of the hour fails
    start = e2e.clock.now()
    play_live(e2e.rc, seed=11, start=start, duration_seconds=3600, calls_per_hour=24, sms_per_hour=10)
    for _ in range(13):
        e2e.clock.advance(timedelta(minutes=5))
        e2e.pump()
    with e2e.runtime.db.tenant(e2e.org.id) as session:
        assert list(session.scalars(select(InboxEvent))) == []

    e2e.webhooks.enabled = True
    e2e.clock.advance(timedelta(minutes=5))
    e2e.catch_up("after-downtime")

    state = e2e.rc.state.sandbox
    now = e2e.clock.now()
    in_log = [c for c in state.calls.values() if c.visible_at <= now and c.deleted_at is None]
    wanted_calls = {f"ringcentral:call:{c.telephony_session_id}" for c in in_log
                    if c.type == "Voice" and c.result.lower() not in MISSED}
    missed_calls = {f"ringcentral:call:{c.telephony_session_id}" for c in in_log
                    if c.type == "Voice" and c.result.lower() in MISSED}
    assert len(wanted_calls) >= 10 and missed_calls, (len(wanted_calls), len(missed_calls))

    rows = e2e.rows()
    logged = {r.communication_key: r for r in rows if r.crm_activity_id}
    assert wanted_calls <= set(logged), sorted(wanted_calls - set(logged))
    assert not missed_calls & set(logged)  # not wanted: neither sent nor stored as logged
    assert all(r.status is ActivityStatus.skipped for r in rows if r.communication_key in missed_calls)
    assert any(k.startswith("ringcentral:sms:") for k in logged)  # the hour's texts too
    assert [r for r in rows if r.status not in (ActivityStatus.created, ActivityStatus.skipped)] == []

    activities = e2e.crm_activities()
    assert duplicates(activities) == 0
    assert {activity_id(a) for a in activities} == {r.crm_activity_id for r in logged.values()}

    # the sync runs again (and once more, later): nothing is logged twice
    e2e.catch_up("again")
    e2e.clock.advance(timedelta(minutes=20))
    e2e.catch_up("and-again")
    again = e2e.crm_activities()
    assert {activity_id(a) for a in again} == {activity_id(a) for a in activities}
    assert duplicates(again) == 0
    assert {r.communication_key: r.crm_activity_id for r in e2e.rows() if r.crm_activity_id} == {
        k: r.crm_activity_id for k, r in logged.items()}
