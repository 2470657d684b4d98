"""Messages through webhooks: five SMS of one conversation on one day → one conversation-day
listing all five; the next day (in the owner's time zone) → a new one; fax and voicemail."""

from __future__ import annotations

import random
from datetime import timedelta

from callbridge.db.models import InboxEvent
from callbridge.jobs.runner import run_due
from callbridge.pipelines.ingest.names import RENEW
from callbridge.sandbox.ringcentral.generator import generate, make_message, publish_message
from callbridge.sandbox.ringcentral.models import Party
from tests.pipelines.ingest.support import communications, inbox, pump


def test_sms_conversation_days_fax_and_voicemail(runtime, clock, wired):
    generate(
        wired.rc, seed=3, extensions=2, days=1, calls_per_day=0, sms_conversations_per_day=0, faxes_per_day=0
    )
    runtime.submit(wired.org.id, RENEW, {"connection": "default"}, key="subscribe")
    run_due(runtime, worker_id="w")
    state = wired.rc.state.sandbox
    owner = next(iter(state.extensions.values()))
    zone_name = owner.timezone
    rng = random.Random(1)
    conversation = state.ids.conversation_id()

    def send_sms(direction, text):  # one conversation with one customer, as RingCentral threads it
        with state.lock:
            msg = make_message(
                state,
                rng,
                owner,
                "SMS",
                direction,
                Party(phone_number="+14155550123"),
                clock.now(),
                text=text,
                conversation_id=conversation,
            )
            publish_message(state, msg)
        return msg.id

    ids = []
    for i in range(5):
        ids.append(send_sms("Outbound" if i % 2 else "Inbound", f"hello {i}"))
        clock.advance(timedelta(minutes=3))
    fax = wired.control_post("/_sandbox/messages", {"type": "Fax"})
    vm = wired.control_post("/_sandbox/messages", {"type": "VoiceMail"})
    clock.advance(timedelta(minutes=1))
    pump(wired.rc)
    assert {r.event_type for r in inbox(runtime, wired.org.id)} == {"message-store", "instant-sms"}
    report = run_due(runtime, worker_id="w", limit=1000)
    assert not [j for j in report.dead if j], report

    comms = communications(runtime, wired.org.id)
    sms = [c for c in comms.values() if c.kind.value == "sms"]
    assert len(sms) == 1 and sms[0].message_ids == tuple(sorted(str(i) for i in ids))
    assert sms[0].owner_ref and sms[0].owner_ref.startswith("ps1_")
    assert [c.source_id for c in comms.values() if c.kind.value == "fax"] == [str(fax["id"])]
    [voicemail] = [c for c in comms.values() if c.kind.value == "voicemail"]
    assert voicemail.source_id == str(vm["id"]) and voicemail.recording is not None
    assert all(r.body is None and r.status == "done" for r in inbox(runtime, wired.org.id))

    # the next day in the owner's zone: a new conversation-day
    clock.advance(timedelta(days=1))
    nxt = {"id": send_sms("Inbound", "next day")}
    clock.advance(timedelta(minutes=1))
    pump(wired.rc)
    run_due(runtime, worker_id="w", limit=1000)
    sms = [c for c in communications(runtime, wired.org.id).values() if c.kind.value == "sms"]
    assert len(sms) == 2
    assert any(c.message_ids == (str(nxt["id"]),) for c in sms)
    assert zone_name  # the day was computed in this zone (regionalSettings), cached in the vault
    with runtime.db.tenant(wired.org.id) as s:
        assert s.query(InboxEvent).count() >= 12
