"""Acceptance 1 (ingest half): the same telephony events delivered 3 times, out of order, with a
late recording → one communication with the final duration, result and recording; plus the
catch-up sync (acceptance 7, ingest half) and concurrent normalisation."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

from sqlalchemy import select

from callbridge.db.models import CommunicationRow, InboxEvent, Job, WebhookSubscription
from callbridge.jobs.runner import run_due
from callbridge.pipelines.ingest.names import NORMALISE, RENEW, SWEEP, SYNC
from callbridge.pipelines.ingest.store import LOGGING_KIND
from callbridge.sandbox.ringcentral.generator import generate, play_live
from tests.pipelines.ingest.support import communications, count, inbox, jobs, pump


def _run(runtime, worker="w1"):
    report = run_due(runtime, worker_id=worker, limit=10_000)
    ingest_dead = [j for j in report.dead if _kind(runtime, j).startswith("ingest.")]
    assert ingest_dead == [], ingest_dead
    return report


def _kind(runtime, job_id):
    with runtime.db.system("test") as s:
        return s.get(Job, job_id).kind


def _subscribe(runtime, wired):
    runtime.submit(wired.org.id, RENEW, {"connection": "default"}, key="subscribe-now")
    _run(runtime)
    with runtime.db.tenant(wired.org.id) as s:
        sub = s.scalars(select(WebhookSubscription)).one()
    assert sub.status == "active" and sub.subscription_id
    return sub


def _replay(recorder):
    """Deliver one more copy of each event, in reverse order."""
    unique = list({body: (url, headers, body) for url, headers, body in recorder.sent}.values())

    async def go():
        async with httpx_client(recorder.inner) as client:
            for url, headers, body in reversed(unique):
                resp = await client.post(url, headers=headers, content=body)
                assert resp.status_code == 200

    asyncio.run(go())


def httpx_client(transport):
    import httpx

    return httpx.AsyncClient(transport=transport)


def test_triple_out_of_order_delivery_and_a_late_recording_give_one_final_communication(
    runtime, clock, wired
):
    generate(
        wired.rc, seed=3, extensions=2, days=1, calls_per_day=0, sms_conversations_per_day=0, faxes_per_day=0
    )
    _subscribe(runtime, wired)
    wired.control.put("/_sandbox/webhooks", json={"duplicate_rate": 1.0, "reorder_rate": 1.0})
    call = wired.control_post(
        "/_sandbox/calls", {"duration_seconds": 120, "result": "Accepted", "start": clock.now().isoformat()}
    )
    clock.advance(timedelta(seconds=125))
    delivered = pump(wired.rc)
    assert len([d for d in delivered if d.outcome == "delivered"]) == 8  # 4 events, each twice
    _replay(wired.recorder)  # and a third time, in reverse order
    rows = inbox(runtime, wired.org.id)
    assert len(rows) == 4 and sum(r.duplicates for r in rows) == 8
    _run(runtime)

    key = f"ringcentral:call:{call['telephonySessionId']}"
    first = communications(runtime, wired.org.id)[key]
    # from events alone: the provisional duration (Disconnected − Setup), the result, final
    assert first.final and first.result == "Accepted" and abs(first.duration_seconds - 120) <= 1
    assert first.recording is None

    # the recording appears 5 minutes after the call; the catch-up sync's look-back finds it
    edit = wired.control_post(
        f"/_sandbox/calls/{call['id']}/edit", {"add_recording": True, "recording_delay_seconds": 300}
    )
    clock.advance(timedelta(minutes=10))
    runtime.submit(wired.org.id, SYNC, {"connection": "default"}, key="sync-1")
    _run(runtime)

    comms = communications(runtime, wired.org.id)
    assert list(comms) == [key]
    final = comms[key]
    exact = wired.rc.state.sandbox.calls[call["id"]].duration_ms // 1000  # the call log's figure
    assert final.final and final.result == "Accepted" and final.duration_seconds == exact
    assert final.recording is not None and final.recording.id == edit["recordingId"]
    assert final.legs and final.owner_ref and final.owner_ref.startswith("ps1_")
    assert str(call["extensionId"]) not in repr(final)  # the real extension id is not stored
    assert final.counterpart is not None and final.counterpart.phone == "+14155550123"

    # inbox bodies are gone once normalised; every normalise job carried only an id
    assert all(r.status == "done" and r.body is None for r in inbox(runtime, wired.org.id))
    assert all(set(j.payload) == {"inbox_id"} for j in jobs(runtime, wired.org.id, NORMALISE))
    with runtime.db.tenant(wired.org.id) as s:
        row = s.scalars(select(CommunicationRow)).one()
        assert row.final and row.kind == "call" and row.version >= 2
    if LOGGING_KIND in runtime.registry:  # the hand-off to logging: one job per stored version
        keys = {j.idempotency_key.split("/", 1)[1] for j in jobs(runtime, wired.org.id, LOGGING_KIND)}
        assert f"{LOGGING_KIND}:{row.id}:{row.version}" in keys
        assert all(set(j.payload) == {"communication_id"} for j in jobs(runtime, wired.org.id, LOGGING_KIND))


def test_catch_up_sync_fills_an_hour_without_webhooks(runtime, clock, wired):
    generate(
        wired.rc, seed=5, extensions=3, days=1, calls_per_day=0, sms_conversations_per_day=0, faxes_per_day=0
    )
    _subscribe(runtime, wired)
    wired.recorder.enabled = False  # callbridge unreachable: every delivery fails
    start = clock.now()
    play_live(wired.rc, seed=11, start=start, duration_seconds=3600, calls_per_hour=30, sms_per_hour=12)
    for _ in range(13):
        clock.advance(timedelta(minutes=5))
        pump(wired.rc)
    assert count(runtime, wired.org.id, InboxEvent) == 0

    wired.recorder.enabled = True
    clock.advance(timedelta(minutes=5))
    runtime.submit(wired.org.id, SYNC, {"connection": "default"}, key="after-downtime")
    _run(runtime)

    state = wired.rc.state.sandbox
    now = clock.now()
    calls = {
        c.telephony_session_id for c in state.calls.values() if c.visible_at <= now and c.deleted_at is None
    }
    sms = {str(m.id) for m in state.messages.values() if m.type == "SMS" and m.creation_time <= now}
    assert len(calls) >= 20 and len(sms) >= 5
    comms = communications(runtime, wired.org.id)
    got_calls = {c.source_id for c in comms.values() if c.kind.value == "call"}
    assert got_calls == calls
    assert all(c.final for c in comms.values() if c.kind.value == "call")
    got_sms = {m for c in comms.values() if c.kind.value == "sms" for m in c.message_ids}
    assert sms <= got_sms

    # a second sync changes nothing (idempotent), and submits no new logging work
    before = {k: c.facts() for k, c in comms.items()}
    clock.advance(timedelta(minutes=1))
    runtime.submit(wired.org.id, SYNC, {"connection": "default"}, key="again")
    _run(runtime)
    assert {k: c.facts() for k, c in communications(runtime, wired.org.id).items()} == before


def test_two_workers_normalising_one_call_keep_one_row_with_everything(runtime, clock, wired):
    generate(
        wired.rc, seed=3, extensions=2, days=1, calls_per_day=0, sms_conversations_per_day=0, faxes_per_day=0
    )
    _subscribe(runtime, wired)
    call = wired.control_post(
        "/_sandbox/calls",
        {"duration_seconds": 90, "result": "Accepted", "recorded": True, "start": clock.now().isoformat()},
    )
    clock.advance(timedelta(seconds=100))
    pump(wired.rc)
    assert count(runtime, wired.org.id, InboxEvent) == 4
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker(name):
        try:
            barrier.wait()
            for _ in range(3):
                run_due(runtime, worker_id=name, limit=1)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    _run(runtime)
    comms = communications(runtime, wired.org.id)
    assert count(runtime, wired.org.id, CommunicationRow) == 1
    c = comms[f"ringcentral:call:{call['telephonySessionId']}"]
    assert c.final and c.result == "Accepted" and abs(c.duration_seconds - 90) <= 1
    assert c.recording is not None and c.recording.id == call["recordingId"]
    assert c.started_at is not None and c.from_party is not None


def test_polling_only_without_public_url_and_the_sweep_offers_the_sync(runtime, clock, wired):
    generate(
        wired.rc, seed=3, extensions=2, days=1, calls_per_day=4, sms_conversations_per_day=1, faxes_per_day=0
    )
    start = (clock.now() - timedelta(hours=1)).isoformat()
    call = wired.control_post(
        "/_sandbox/calls", {"duration_seconds": 60, "start": start, "publish_events": False}
    )
    runtime.settings.public_url = None
    runtime.submit(wired.org.id, RENEW, {"connection": "default"}, key="enable")
    _run(runtime)
    with runtime.db.tenant(wired.org.id) as s:
        row = s.scalars(select(WebhookSubscription)).one()
    assert row.status == "polling" and row.subscription_id is None
    assert wired.rc.state.sandbox.webhooks.subscriptions == {}  # nothing subscribed
    runtime.submit(None, SWEEP, {}, key="sweep-now")
    _run(runtime)
    assert len(jobs(runtime, wired.org.id, SYNC)) == 1
    _run(runtime)  # the sync the sweep offered
    assert f"ringcentral:call:{call['telephonySessionId']}" in communications(runtime, wired.org.id)
