"""The generator: deterministic for a seed, realistic mixes, late recordings, live traffic."""

from __future__ import annotations

import json

from callbridge.sandbox.ringcentral import play_live, summarise

from .conftest import ACC, Sandbox, build


def _dump(sbx: Sandbox) -> str:
    sbx.login()
    sbx.state.config.rate_limits.enabled = False
    calls = sbx.get(f"{ACC}/call-log", params={"dateFrom": "2026-01-01T00:00:00Z",
                                               "perPage": 1000, "view": "Detailed"}).json()
    msgs = sbx.get(f"{ACC}/extension/~/message-store",
                   params={"dateFrom": "2026-01-01T00:00:00Z", "perPage": 1000}).json()
    return json.dumps([calls["records"], msgs["records"]], sort_keys=True)


def test_same_seed_same_data_other_seed_other_data() -> None:
    a, b, c = build(seed=11), build(seed=11), build(seed=12)
    assert _dump(a) == _dump(b)
    assert _dump(a) != _dump(c)
    assert summarise(a.state) == summarise(b.state)


def test_distributions_are_realistic() -> None:
    stats = summarise(build(seed=3, days=14, calls_per_day=60, extensions=6).state)
    calls = stats["calls"]
    assert stats["extensions"] == 6
    assert {"Inbound", "Outbound"} == set(calls["by_direction"])
    assert {"Missed", "Voicemail", "Accepted", "Call connected"} <= set(calls["by_result"])
    assert 0.15 < calls["recorded_share"] < 0.5
    assert calls["legs"].get(2, 0) > 0  # transfers with several legs
    assert calls["by_type"]["Fax"] > 0
    msgs = stats["messages"]
    assert {"SMS", "Fax", "VoiceMail"} <= set(msgs["by_type"])
    assert msgs["conversations_spanning_days"] > 0 and msgs["fax_pages"] > 0
    assert stats["recordings"]["delay_after_end_s"]["min"] >= 120  # minutes after the call


def test_recording_appears_minutes_after_the_call(sbx: Sandbox) -> None:
    made = sbx.client.post("/_sandbox/calls", json={"result": "Accepted", "duration_seconds": 90,
                                                   "recorded": True,
                                                   "recording_delay_seconds": 300}).json()
    sbx.clock.advance(120)  # call over and in the call log, recording not there yet
    rec = sbx.get(f"{ACC}/call-log/{made['id']}").json()
    assert "recording" not in rec
    assert sbx.get(f"{ACC}/recording/{made['recordingId']}").status_code == 404
    sbx.clock.advance(300)
    rec = sbx.get(f"{ACC}/call-log/{made['id']}", params={"view": "Detailed"}).json()
    assert rec["recording"]["id"] == made["recordingId"]
    assert rec["lastModifiedTime"] > rec["startTime"]


def test_edit_makes_late_data_visible_to_extract_sync(sbx: Sandbox) -> None:
    sbx.state.config.rate_limits.enabled = False
    head = sbx.get(f"{ACC}/call-log-extract-sync",
                   params={"dateFrom": "2026-01-12T17:59:00Z"}).json()
    token = head["syncInfo"]["syncToken"]
    target = sbx.get(f"{ACC}/call-log", params={"dateFrom": "2026-01-01T00:00:00Z",
                                                "perPage": 1}).json()["records"][0]
    sbx.clock.advance(5)
    edit = sbx.client.post(f"/_sandbox/calls/{target['id']}/edit",
                           json={"result": "Voicemail", "add_recording": True})
    assert edit.status_code == 200
    sbx.clock.advance(1)
    inc = sbx.get(f"{ACC}/call-log-extract-sync",
                  params={"syncType": "ISync", "syncToken": token}).json()
    assert [r["id"] for r in inc["records"]] == [target["id"]]
    assert inc["records"][0]["result"] == "Voicemail" and "recording" in inc["records"][0]


def test_play_live_produces_calls_as_time_passes() -> None:
    sbx = build(days=1)
    sbx.login()
    created = play_live(sbx.state, seed=5, duration_seconds=3600, calls_per_hour=20,
                        sms_per_hour=5)
    assert created["calls"] and created["messages"]
    first = sbx.state.calls[created["calls"][0]]
    assert sbx.get(f"{ACC}/call-log/{first.id}").status_code == 404  # not happened yet
    sbx.clock.set(first.visible_at)
    sbx.login()
    assert sbx.get(f"{ACC}/call-log/{first.id}").status_code == 200
    again = build(days=1)
    assert play_live(again.state, seed=5, duration_seconds=3600, calls_per_hour=20,
                     sms_per_hour=5) == created
