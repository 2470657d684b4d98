"""Normalising real RingCentral samples: E.164 parties, pseudonymous extensions, merge order."""

from __future__ import annotations

import json
from functools import reduce

from callbridge.domain.communication import CommunicationKind, Direction, merge
from callbridge.platforms.ringcentral.normalise import (
    call_log_piece,
    message_piece,
    parse_time,
    telephony_piece,
    zone,
)


def fake_pseudonym(extension_id: str) -> str:
    return f"ps1_{abs(hash(('k', extension_id))) % 10**12:012d}"


def load(shared, name):
    return json.loads((shared / name).read_text())


def test_telephony_setup_event(shared_fixtures):
    env = load(shared_fixtures, "rc_event_telephony_session_setup.json")
    piece = telephony_piece(env["body"], fake_pseudonym, owner_id=env["ownerId"])
    assert piece.key == "ringcentral:call:s-a6abd24ca6774373a8120a3390d3cbe8"
    assert piece.direction is Direction.inbound and not piece.final
    assert piece.from_party.phone == "+14083388064"
    assert piece.to_party.phone == "+19043014558"
    assert piece.owner_ref == fake_pseudonym("809646016")
    assert piece.started_at == parse_time("2020-06-14T19:27:18.340Z")
    assert "809646016" not in repr(piece)


def test_telephony_answered_internal_call_keeps_no_short_numbers(shared_fixtures):
    env = load(shared_fixtures, "rc_event_telephony_session_answered.json")
    piece = telephony_piece(env["body"], fake_pseudonym, owner_id=env["ownerId"])
    assert piece.direction is Direction.internal
    assert piece.result == "Accepted"
    assert piece.from_party.phone is None and piece.from_party.name == "Craig Chan"
    assert piece.version.sequence == 6


def test_call_log_record_outranks_events(shared_fixtures):
    record = load(shared_fixtures, "rc_call_log_list_sample.json")["records"][0]
    piece = call_log_piece(record, fake_pseudonym)
    assert piece is not None and piece.kind is CommunicationKind.call
    event = telephony_piece(
        {
            "sequence": 99,
            "telephonySessionId": piece.source_id,
            "eventTime": "2030-01-01T00:00:00Z",
            "parties": [{"extensionId": "1", "status": {"code": "Answered"}, "direction": "Inbound"}],
        },
        fake_pseudonym,
    )
    for order in ([piece, event], [event, piece]):
        merged = reduce(merge, order)
        assert merged.result == piece.result and merged.duration_seconds == piece.duration_seconds


def test_fax_voicemail_and_instant_sms(shared_fixtures):
    fax_env = load(shared_fixtures, "rc_event_fax_message.json")
    fax = message_piece(fax_env["body"], fake_pseudonym, owner_id=fax_env["ownerId"], owner_zone=zone(None))
    assert fax.kind is CommunicationKind.fax and fax.source_id == "404068973008" and fax.final
    assert fax.from_party.phone == "+14029997777"

    vm_env = load(shared_fixtures, "rc_event_voicemail_message.json")
    vm = message_piece(vm_env["body"], fake_pseudonym, owner_id=vm_env["ownerId"], owner_zone=zone(None))
    assert vm.kind is CommunicationKind.voicemail and vm.duration_seconds == 3
    assert vm.recording.id == "82063400004" and vm.recording.content_type == "audio/x-wav"

    sms_env = load(shared_fixtures, "rc_event_instant_sms.json")
    la = zone("America/Los_Angeles")
    sms = message_piece(sms_env["body"], fake_pseudonym, owner_id=sms_env["ownerId"], owner_zone=la)
    assert sms.kind is CommunicationKind.sms and sms.message_ids == ("606090030016",)
    assert sms.source_id.endswith(":7876416245344257449:2016-02-22")
    assert "Hi there" not in repr(sms)  # message text is not kept


def test_sms_conversation_day_in_the_owner_zone_and_first_message_wins():
    def sms(mid, when, direction="Inbound"):
        record = {
            "id": mid,
            "type": "SMS",
            "direction": direction,
            "creationTime": when,
            "conversation": {"id": "77"},
            "from": {"phoneNumber": "+14155550123"},
            "to": [{"phoneNumber": "+16505550100"}],
        }
        return message_piece(record, fake_pseudonym, owner_id="5", owner_zone=zone("America/New_York"))

    # 23:30 and 00:30 New York time are two days; 01:00 UTC is still the first New York day
    day1 = [
        sms(1, "2026-03-03T04:30:00Z"),
        sms(2, "2026-03-03T01:00:00Z", "Outbound"),
        sms(3, "2026-03-02T20:00:00Z"),
    ]
    day2 = sms(4, "2026-03-03T05:30:00Z")
    assert len({p.key for p in day1}) == 1 and day2.key != day1[0].key
    for order in (day1, list(reversed(day1))):
        merged = reduce(merge, order)
        assert merged.message_ids == ("1", "2", "3")
        assert merged.started_at == parse_time("2026-03-02T20:00:00Z")
        assert merged.direction is Direction.inbound


def test_times_with_offsets_without_colon():
    assert parse_time("2018-10-07T12:05:00.408+0000") == parse_time("2018-10-07T12:05:00.408Z")
    assert parse_time("garbage") is None
