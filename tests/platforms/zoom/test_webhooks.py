"""Zoom delivery verification and parsing (pure): signature, timestamp window, envelope, challenge."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from callbridge.platforms.base import Delivery
from callbridge.platforms.zoom.webhooks import (
    MalformedDelivery,
    StaleDelivery,
    VerificationFailed,
    parse_event,
    sign,
    trace_id,
    url_validation_answer,
    verify_delivery,
)
from tests.platforms.zoom.support import OTHER_SECRET, SECRET, body_of, compact, fixture, signed

NOW = datetime(2026, 3, 2, 15, 0, 0, tzinfo=UTC)
WINDOW = timedelta(seconds=300)
BODY = body_of("meeting_started.json")


def _verify(headers: dict[str, str], body: bytes = BODY, now: datetime = NOW):
    return verify_delivery(Delivery(headers, body), SECRET, now=now, window=WINDOW)


def test_signature_follows_zoom_formula_on_the_docs_example_string():
    # the doc's printed message (its printed signature is a placeholder; the HMAC is computed here)
    body = (b'{"event":"session.started","payload":{"account_id":"{ACCOUNT_ID}","object":'
            b'{"start_time":"2022-07-27T16:56:34Z","id":"{SESSION_ID}"}},"event_ts":1658940994914}')
    message = b"v0:1658940994:" + body
    expected = "v0=" + hmac.new(b"my-secret", message, hashlib.sha256).hexdigest()
    assert sign("my-secret", "1658940994", body) == expected


def test_a_signed_delivery_verifies_and_its_signature_is_its_identity():
    headers = signed(BODY, NOW)
    verified = _verify(headers)
    assert verified.signature == headers["x-zm-signature"]
    assert verified.sent_at == NOW


def test_header_names_are_case_insensitive():
    headers = {k.title(): v for k, v in signed(BODY, NOW).items()}
    assert "X-Zm-Signature" in headers
    _verify(headers)


@pytest.mark.parametrize("offset", [-300, 300, 0, 299])
def test_the_window_holds_both_ways_up_to_its_edge(offset):
    _verify(signed(BODY, NOW + timedelta(seconds=offset)))


@pytest.mark.parametrize(("offset", "word"), [(-301, "old"), (301, "ahead"), (-600, "old"), (3600, "ahead")])
def test_outside_the_window_is_a_stale_delivery(offset, word):
    with pytest.raises(StaleDelivery) as caught:
        _verify(signed(BODY, NOW + timedelta(seconds=offset)))
    assert caught.value.http_status == 401
    assert word in caught.value.message and caught.value.field == "x-zm-request-timestamp"


def test_window_is_a_parameter():
    headers = signed(BODY, NOW - timedelta(seconds=90))
    verify_delivery(Delivery(headers, BODY), SECRET, now=NOW, window=timedelta(seconds=120))
    with pytest.raises(StaleDelivery):
        verify_delivery(Delivery(headers, BODY), SECRET, now=NOW, window=timedelta(seconds=60))


def test_wrong_secret_tampered_body_and_stale_forgery_are_signature_failures():
    forged = signed(BODY, NOW, secret=OTHER_SECRET)
    tampered = BODY.replace(b"Quarterly", b"quarterly")
    for headers, body in ((forged, BODY), (signed(BODY, NOW), tampered)):
        with pytest.raises(VerificationFailed) as caught:
            _verify(headers, body)
        assert type(caught.value) is VerificationFailed and caught.value.field == "x-zm-signature"
        assert SECRET not in str(caught.value) and OTHER_SECRET not in str(caught.value)
    # a forgery that is also old is refused for its signature, before its age is looked at
    with pytest.raises(VerificationFailed) as caught:
        _verify(signed(BODY, NOW - timedelta(hours=1), secret=OTHER_SECRET))
    assert type(caught.value) is VerificationFailed


@pytest.mark.parametrize("missing", ["x-zm-signature", "x-zm-request-timestamp"])
def test_missing_headers_are_named(missing):
    headers = {k: v for k, v in signed(BODY, NOW).items() if k != missing}
    with pytest.raises(VerificationFailed) as caught:
        _verify(headers)
    assert caught.value.field == missing and missing in caught.value.message


@pytest.mark.parametrize("stamp", ["abc", "1.5", "-1", "١٢٣", str(int(NOW.timestamp()) * 1000)])
def test_a_timestamp_not_in_unix_seconds_is_refused(stamp):
    headers = signed(BODY, NOW)
    headers["x-zm-request-timestamp"] = stamp
    headers["x-zm-signature"] = sign(SECRET, stamp, BODY) if stamp.isascii() else headers["x-zm-signature"]
    with pytest.raises(VerificationFailed):  # not digits, or milliseconds: far outside the window
        _verify(headers)


def test_trace_id_is_read_from_either_header_and_is_not_the_identity():
    headers = signed(BODY, NOW, request_id=None)
    assert trace_id(Delivery(headers, BODY)) is None
    headers["x-zm-trackingid"] = "v=2.0;clid=us06;rid=abc"
    assert trace_id(Delivery(headers, BODY)) == "v=2.0;clid=us06;rid=abc"
    assert _verify(headers).signature == headers["x-zm-signature"]


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b"{not json", "body"),
        (b"\xff\xfe{}", "body"),
        (b"[1, 2]", "body"),
        (b'{"payload": {}}', "event"),
        (b'{"event": "  ", "payload": {}}', "event"),
        (b'{"event": "meeting.started"}', "payload"),
        (b'{"event": "meeting.started", "payload": [1]}', "payload"),
    ],
)
def test_malformed_envelopes_name_what_is_wrong(raw, field):
    with pytest.raises(MalformedDelivery) as caught:
        parse_event(raw)
    assert caught.value.http_status == 400 and caught.value.field == field


def test_dedupe_key_is_stable_over_key_order_and_holds_no_person_id():
    event = parse_event(BODY)
    data = fixture("meeting_started.json")
    reordered = {"payload": {"object": dict(reversed(list(data["payload"]["object"].items()))),
                             "account_id": data["payload"]["account_id"]},
                 "event_ts": data["event_ts"], "event": data["event"]}
    assert parse_event(compact(reordered)).dedupe_key == event.dedupe_key
    assert event.dedupe_key.startswith("meeting.started:1772463600123:")
    assert "hostTestId01" not in event.dedupe_key and len(event.dedupe_key) <= 200
    later = dict(data, event_ts=data["event_ts"] + 1)
    assert parse_event(compact(later)).dedupe_key != event.dedupe_key
    assert event.category == "meeting" and event.account_id == "acct-callbridge-test"


def test_the_real_deauthorization_sample_parses(shared_fixtures):
    raw = (shared_fixtures / "zoom_app_deauthorized.json").read_bytes()
    event = parse_event(raw)
    assert event.name == "app_deauthorized" and event.category == "app_deauthorized"
    assert event.event_ts == "2024-09-08 15:58:40"  # Zoom's example puts it inside the payload
    assert event.account_id == "AAAAAABBBB"
    assert "abcD3ojfdbjfg" not in event.dedupe_key  # the user id


def test_url_validation_answer_is_the_hmac_of_the_plain_token():
    event = parse_event(body_of("endpoint_url_validation.json"))
    expected = hmac.new(SECRET.encode(), b"qgg8vlvZRS6UYooatFL8Aw", hashlib.sha256).hexdigest()
    assert url_validation_answer(SECRET, event) == {
        "plainToken": "qgg8vlvZRS6UYooatFL8Aw",
        "encryptedToken": expected,
    }


@pytest.mark.parametrize("token", [None, "", 42, "x" * 513])
def test_url_validation_without_a_usable_plain_token_is_malformed(token):
    payload = {} if token is None else {"plainToken": token}
    event = parse_event(json.dumps({"event": "endpoint.url_validation", "payload": payload}).encode())
    with pytest.raises(MalformedDelivery) as caught:
        url_validation_answer(SECRET, event)
    assert caught.value.field == "payload.plainToken"
