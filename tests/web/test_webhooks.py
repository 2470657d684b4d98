"""The RingCentral webhook endpoint: handshake, bad deliveries change nothing, duplicates collapse."""

from __future__ import annotations

import json

from callbridge.db.models import InboxEvent, Job
from callbridge.pipelines.ingest.names import NORMALISE
from tests.pipelines.ingest.support import TELEPHONY, count, envelope, inbox, make_route

BODY = {
    "sequence": 2,
    "sessionId": "42",
    "telephonySessionId": "s-abc",
    "eventTime": "2026-03-02T15:00:01.000Z",
    "parties": [
        {
            "extensionId": "1001",
            "direction": "Inbound",
            "from": {"phoneNumber": "+14155550123"},
            "to": {"phoneNumber": "+16505550100", "extensionId": "1001"},
            "status": {"code": "Proceeding"},
        }
    ],
}
TOKEN = {"Verification-Token": "verify-me", "Content-Type": "application/json"}


def _nothing_stored(runtime, org_id):
    assert count(runtime, org_id, InboxEvent) == 0
    assert count(runtime, org_id, Job) == 0


def test_handshake_echoes_the_validation_token(runtime, client, alpha):
    route = make_route(runtime, alpha.id)
    resp = client.post(f"/webhooks/ringcentral/{route}", headers={"Validation-Token": "abc123"}, content=b"")
    assert resp.status_code == 200
    assert resp.headers["Validation-Token"] == "abc123"
    assert resp.content == b""
    assert len(resp.content) + sum(len(k) + len(v) + 4 for k, v in resp.headers.items()) <= 1024
    _nothing_stored(runtime, alpha.id)


def test_handshake_with_a_wrong_verification_token_is_refused(runtime, client, alpha):
    route = make_route(runtime, alpha.id)
    headers = {"Validation-Token": "abc123", "Verification-Token": "nope"}
    resp = client.post(f"/webhooks/ringcentral/{route}", headers=headers, content=b"")
    assert resp.status_code == 403 and "Validation-Token" not in resp.headers


def test_unknown_route_is_404_and_stores_nothing(runtime, client, alpha):
    make_route(runtime, alpha.id)
    resp = client.post(
        "/webhooks/ringcentral/not-a-route", headers=TOKEN, content=envelope(BODY, event=TELEPHONY)
    )
    assert resp.status_code == 404
    _nothing_stored(runtime, alpha.id)


def test_wrong_or_missing_token_is_refused_and_stores_nothing(runtime, client, alpha):
    route = make_route(runtime, alpha.id)
    body = envelope(BODY, event=TELEPHONY)
    wrong = client.post(
        f"/webhooks/ringcentral/{route}", headers={"Verification-Token": "verify-mE"}, content=body
    )
    assert wrong.status_code == 403
    assert "Verification-Token" in wrong.json()["error"]["message"]
    missing = client.post(f"/webhooks/ringcentral/{route}", content=body)
    assert missing.status_code == 401
    _nothing_stored(runtime, alpha.id)


def test_the_guide_header_name_is_accepted_too(runtime, client, alpha):
    route = make_route(runtime, alpha.id)
    resp = client.post(
        f"/webhooks/ringcentral/{route}",
        headers={"Validation-Token": "verify-me"},
        content=envelope(BODY, event=TELEPHONY),
    )
    assert resp.status_code == 200 and resp.json() == {"status": "stored"}


def test_malformed_json_is_400_and_stores_nothing(runtime, client, alpha):
    route = make_route(runtime, alpha.id)
    for bad in (b"{not json", b"[1, 2]", json.dumps({"uuid": "x", "body": {}}).encode(), b"\xff\xfe"):
        resp = client.post(f"/webhooks/ringcentral/{route}", headers=TOKEN, content=bad)
        assert resp.status_code == 400, bad
        assert resp.json()["error"]["code"] == "bad_request"
    _nothing_stored(runtime, alpha.id)


def test_oversized_body_is_413_and_stores_nothing(runtime, client, alpha):
    route = make_route(runtime, alpha.id)
    limit = runtime.settings.webhook_max_body_bytes
    big = dict(BODY, padding="x" * (limit + 1))
    resp = client.post(
        f"/webhooks/ringcentral/{route}", headers=TOKEN, content=envelope(big, event=TELEPHONY)
    )
    assert resp.status_code == 413
    assert resp.json()["error"]["code"] == "payload_too_large"
    _nothing_stored(runtime, alpha.id)


def test_unknown_event_is_stored_as_ignored_with_a_reason(runtime, client, alpha):
    route = make_route(runtime, alpha.id)
    presence = "/restapi/v1.0/account/111/extension/1001/presence"
    resp = client.post(
        f"/webhooks/ringcentral/{route}", headers=TOKEN, content=envelope({"x": 1}, event=presence)
    )
    assert resp.status_code == 200 and resp.json() == {"status": "ignored"}
    [row] = inbox(runtime, alpha.id)
    assert row.status == "ignored" and "presence" in (row.reason or "")
    assert row.event_path == "/restapi/v1.0/account/~/extension/~/presence"  # no real ids kept
    assert row.body is None
    assert count(runtime, alpha.id, Job) == 0


def test_duplicates_are_acknowledged_and_deduplicated(runtime, client, alpha):
    route = make_route(runtime, alpha.id)
    # the same event three times, the third from another subscription (another uuid)
    first = envelope(BODY, event=TELEPHONY, uuid="u-1")
    for body in (first, first, envelope(BODY, event=TELEPHONY, uuid="u-2")):
        resp = client.post(f"/webhooks/ringcentral/{route}", headers=TOKEN, content=body)
        assert resp.status_code == 200
    [row] = inbox(runtime, alpha.id)
    assert row.status == "pending" and row.duplicates == 2
    assert row.dedupe_key == "ts:s-abc:2"
    jobs = [j for j in _jobs(runtime, alpha.id) if j.kind == NORMALISE]
    assert len(jobs) == 1 and jobs[0].payload == {"inbox_id": row.id}


def _jobs(runtime, org_id):
    from sqlalchemy import select

    with runtime.db.tenant(org_id) as s:
        rows = list(s.scalars(select(Job)))
        s.expunge_all()
        return rows


def test_routes_are_per_organization(runtime, client, alpha, bravo):
    route_a = make_route(runtime, alpha.id, token="alpha-token")
    make_route(runtime, bravo.id, token="bravo-token")
    resp = client.post(
        f"/webhooks/ringcentral/{route_a}",
        headers={"Verification-Token": "bravo-token"},
        content=envelope(BODY, event=TELEPHONY),
    )
    assert resp.status_code == 403
    _nothing_stored(runtime, alpha.id)
    _nothing_stored(runtime, bravo.id)
