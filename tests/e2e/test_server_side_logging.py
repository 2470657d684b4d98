"""Server-side logging end to end: RingCentral's directory → users mapped to CRM users by email →
a rep's call is logged as that rep's CRM user; their late-evening SMS on the day they saw it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from callbridge.web.app import create_app
from tests.e2e.support import EndToEnd
from tests.pipelines.logging.support import ALAN

LATE_EVENING_LA = datetime(2026, 3, 3, 7, 30, tzinfo=UTC)  # Monday 2 March, 23:30 in Los Angeles


def _crm_user(e2e: EndToEnd, email: str) -> str:
    if e2e.crm.crm == "hubspot":
        return next(o["id"] for o in e2e.crm.objects("owners") if o["email"] == email)
    return next(u["Id"] for u in e2e.crm.objects("User") if u["Email"] == email)


def _owner(e2e: EndToEnd, activity: dict) -> str | None:
    if e2e.crm.crm == "hubspot":
        return activity["properties"].get("hubspot_owner_id")
    return activity.get("OwnerId")


def test_a_reps_call_and_sms_are_logged_as_their_crm_user_on_their_day(e2e: EndToEnd):
    from callbridge.sandbox.ringcentral.generator import generate

    generate(e2e.rc, seed=3, extensions=2, days=1, calls_per_day=0, sms_conversations_per_day=0,
             faxes_per_day=0)
    rep = list(e2e.rc.state.sandbox.extensions.values())[1]
    rep.email, rep.timezone = "Bob@CallBridge.test", "America/Los_Angeles"
    e2e.subscribe()  # turning ingest on reads the directory, then maps users by email
    e2e.drain()

    with TestClient(create_app(e2e.runtime)) as client:
        [health] = client.get("/api/v1/logging/connections", headers=e2e.org.auth).json()
    assert (health["mapped_users"], health["unmapped_users"]) == (1, 1)  # the admin has no CRM twin

    e2e.rc_post("/_sandbox/calls", {"extension_number": rep.number, "phone_number": ALAN,
                                    "duration_seconds": 60, "result": "Accepted",
                                    "start": e2e.clock.now().isoformat()})
    e2e.clock.advance(timedelta(seconds=90))
    e2e.pump()
    e2e.drain()
    [call] = e2e.crm_activities()
    bob = _crm_user(e2e, "bob@callbridge.test")
    assert _owner(e2e, call) == bob

    e2e.clock.set(LATE_EVENING_LA)
    e2e.rc_post("/_sandbox/messages", {"extension_number": rep.number, "phone_number": ALAN, "text": "late"})
    e2e.clock.advance(timedelta(minutes=5))
    e2e.catch_up("after-the-sms")  # webhooks carry the admin's message store only; the sync, everyone's
    [sms] = [a for a in e2e.crm_activities() if a != call]
    assert _owner(e2e, sms) == bob
    [day] = [r.communication_key.rsplit(":", 1)[1] for r in e2e.rows() if ":sms:" in r.communication_key]
    assert day == "2026-03-02"  # the rep's Monday, though it was already Tuesday in UTC
    if e2e.crm.crm == "salesforce":  # HubSpot's communications have no subject to show it in
        assert sms["Subject"].endswith("on 2026-03-02")
