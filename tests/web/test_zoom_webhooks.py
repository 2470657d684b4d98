"""The Zoom webhook endpoint: signed deliveries recorded once; forged, replayed, stale, oversized and
malformed ones refused with their status and nothing stored; deauthorisation drops the credentials.

Signatures are computed by the tests from the reference formula (tests/platforms/zoom/support.py).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from callbridge.db.models import (
    AuditEntry,
    CommunicationRow,
    InboxEvent,
    Job,
    SealedSecret,
    WebhookSubscription,
)
from callbridge.platforms.zoom.connection import OAUTH, PURPOSE, WEBHOOK_SECRET, connect_zoom
from tests.platforms.zoom.support import OTHER_SECRET, SECRET, body_of, compact, fixture, signed

ACCOUNT = "AAAAAABBBB"  # the account of Zoom's app_deauthorized sample


def _connect(runtime, org_id, secret=SECRET, account=ACCOUNT):
    return connect_zoom(runtime.db, runtime.vault, runtime.clock, org_id, secret_token=secret,
                        public_url="https://cb.example.com", client_id="cid", client_secret="client-secret-9",
                        account_id=account, actor="test")


@pytest.fixture
def route(runtime, alpha):
    return _connect(runtime, alpha.id).route_key


def _post(client, route, body, headers):
    return client.post(f"/webhooks/zoom/{route}", content=body, headers=headers)


def _send(client, runtime, route, body, *, secret=SECRET, shift=timedelta(0), request_id="req-1"):
    return _post(client, route, body, signed(body, runtime.clock.now() + shift, secret=secret,
                                             request_id=request_id))


def _count(runtime, org_id, model, *where):
    with runtime.db.tenant(org_id) as s:
        return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def snapshot(runtime, org_id):
    """What a refused delivery must leave unchanged."""
    with runtime.db.tenant(org_id) as s:
        rows = s.scalars(select(InboxEvent).order_by(InboxEvent.id))
        inbox = [(r.id, r.status, r.duplicates) for r in rows]
        subs = [(r.id, r.status) for r in s.scalars(select(WebhookSubscription))]
        secrets = sorted((r.purpose, r.name) for r in s.scalars(select(SealedSecret)))
    return {"inbox": inbox, "jobs": _count(runtime, org_id, Job),
            "audit": _count(runtime, org_id, AuditEntry), "endpoints": subs, "secrets": secrets}


def _inbox(runtime, org_id):
    with runtime.db.tenant(org_id) as s:
        rows = list(s.scalars(select(InboxEvent).order_by(InboxEvent.received_at)))
        s.expunge_all()
        return rows


# -- accepted -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "event_type"), [("meeting_started.json", "meeting"),
                                                  ("phone_callee_ended.json", "phone")])
def test_a_signed_event_is_recorded_as_ignored_until_zoom_normalisation_exists(
        runtime, client, alpha, route, name, event_type):
    before = snapshot(runtime, alpha.id)
    body = body_of(name)
    resp = _send(client, runtime, route, body)
    assert resp.status_code == 200 and resp.json() == {"status": "ignored"}
    [row] = _inbox(runtime, alpha.id)
    assert (row.platform, row.event_type, row.event_path) == ("zoom", event_type, fixture(name)["event"])
    assert row.status == "ignored" and row.reason == "zoom normalisation not built yet"
    assert row.body is None and row.body_bytes == len(body)  # nothing will normalise it: not kept
    assert row.dedupe_key.startswith(fixture(name)["event"] + ":")
    after = snapshot(runtime, alpha.id)
    assert after["jobs"] == before["jobs"] and after["audit"] == before["audit"]


def test_every_real_zoom_sample_resigned_is_accepted(runtime, client, alpha, route, shared_fixtures):
    samples = sorted(p for p in shared_fixtures.glob("zoom_*.json")
                     if p.name not in ("zoom_phone_webhook_schemas.json", "zoom_app_deauthorized.json"))
    assert len(samples) >= 5
    for path in samples:
        body = compact(json.loads(path.read_text()))
        resp = _send(client, runtime, route, body, request_id=path.name)
        assert resp.status_code == 200 and resp.json() == {"status": "ignored"}, path.name
    assert {r.event_path for r in _inbox(runtime, alpha.id)} == {
        json.loads(p.read_text())["event"] for p in samples}


def test_url_validation_answers_the_hmac_of_the_plain_token_and_stores_nothing(runtime, client, alpha, route):
    before = snapshot(runtime, alpha.id)
    resp = _send(client, runtime, route, body_of("endpoint_url_validation.json"))
    assert resp.status_code == 200
    expected = hmac.new(SECRET.encode(), b"qgg8vlvZRS6UYooatFL8Aw", hashlib.sha256).hexdigest()
    assert resp.json() == {"plainToken": "qgg8vlvZRS6UYooatFL8Aw", "encryptedToken": expected}
    assert snapshot(runtime, alpha.id) == before


def test_unsigned_url_validation_is_refused_so_it_cannot_sign_a_forgery(runtime, client, alpha, route):
    """Answered unsigned, the challenge would HMAC any "v0:{ts}:{body}" sent as plainToken."""
    before = snapshot(runtime, alpha.id)
    stamp = str(int(runtime.clock.now().timestamp()))
    forged = body_of("meeting_started.json").decode()
    challenge = compact({"event": "endpoint.url_validation",
                         "payload": {"plainToken": f"v0:{stamp}:{forged}"}})
    for headers in ({}, signed(challenge, runtime.clock.now(), secret=OTHER_SECRET)):
        resp = _post(client, route, challenge, headers)
        assert resp.status_code == 401 and "encryptedToken" not in resp.text
    assert snapshot(runtime, alpha.id) == before


# -- refused: status and nothing stored ---------------------------------------------------------
def _forged(rt, body):
    return signed(body, rt.clock.now(), secret=OTHER_SECRET)


def _without(name):
    def headers(rt, body):
        return {k: v for k, v in signed(body, rt.clock.now()).items() if k != name}
    return headers


REFUSALS = {
    "forged (wrong secret)": (_forged, None, 401, "unauthenticated"),
    "missing signature": (_without("x-zm-signature"), None, 401, "unauthenticated"),
    "missing timestamp": (_without("x-zm-request-timestamp"), None, 401, "unauthenticated"),
    "no headers at all": (lambda rt, body: {}, None, 401, "unauthenticated"),
    "tampered body": (lambda rt, body: signed(body.replace(b"Quarterly", b"Annual"), rt.clock.now()),
                      None, 401, "unauthenticated"),
    "future timestamp (+10 min)": (lambda rt, body: signed(body, rt.clock.now() + timedelta(minutes=10)),
                                   None, 401, "stale_delivery"),
    "malformed JSON, signed": (lambda rt, body: signed(b'{"event": "meeting.started", ', rt.clock.now()),
                               b'{"event": "meeting.started", ', 400, "bad_request"),
    "JSON array, signed": (lambda rt, body: signed(b"[]", rt.clock.now()), b"[]", 400, "bad_request"),
    "no payload, signed": (lambda rt, body: signed(b'{"event":"meeting.started"}', rt.clock.now()),
                           b'{"event":"meeting.started"}', 400, "bad_request"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_refused_deliveries_get_their_status_and_store_nothing(runtime, client, alpha, bravo, route, case):
    make_headers, raw, status, code = REFUSALS[case]
    _connect(runtime, bravo.id)
    body = raw if raw is not None else body_of("meeting_started.json")
    before = snapshot(runtime, alpha.id), snapshot(runtime, bravo.id)
    resp = _post(client, route, body, make_headers(runtime, body))
    assert resp.status_code == status, resp.text
    assert resp.json()["error"]["code"] == code
    assert "encryptedToken" not in resp.text and SECRET not in resp.text
    assert (snapshot(runtime, alpha.id), snapshot(runtime, bravo.id)) == before


def test_an_old_delivery_is_refused_once_the_clock_moves_10_minutes(runtime, client, alpha, route):
    body = body_of("meeting_started.json")
    headers = signed(body, runtime.clock.now())
    before = snapshot(runtime, alpha.id)
    runtime.clock.advance(timedelta(minutes=10))
    resp = _post(client, route, body, headers)
    assert resp.status_code == 401 and resp.json()["error"]["code"] == "stale_delivery"
    assert "x-zm-request-timestamp" in resp.json()["error"]["message"]
    assert snapshot(runtime, alpha.id) == before


def test_the_window_is_the_setting(runtime, client, alpha, route):
    runtime.settings = runtime.settings.model_copy(update={"zoom_webhook_window_seconds": 60})
    body = body_of("meeting_started.json")
    assert _send(client, runtime, route, body, shift=timedelta(seconds=-90)).status_code == 401
    assert _send(client, runtime, route, body, shift=timedelta(seconds=-30)).status_code == 200


def test_unknown_route_is_404_and_stores_nothing(runtime, client, alpha, route):
    before = snapshot(runtime, alpha.id)
    body = body_of("meeting_started.json")
    resp = _post(client, "not-a-route", body, signed(body, runtime.clock.now()))
    assert resp.status_code == 404
    assert snapshot(runtime, alpha.id) == before


def test_a_ringcentral_route_is_not_a_zoom_route(runtime, client, alpha):
    from tests.pipelines.ingest.support import make_route

    rc_route = make_route(runtime, alpha.id, token=SECRET)
    before = snapshot(runtime, alpha.id)
    body = body_of("meeting_started.json")
    assert _post(client, rc_route, body, signed(body, runtime.clock.now())).status_code == 404
    assert snapshot(runtime, alpha.id) == before


def test_another_organizations_secret_does_not_open_this_route(runtime, client, alpha, bravo, route):
    _connect(runtime, bravo.id, secret=OTHER_SECRET)
    before = snapshot(runtime, alpha.id), snapshot(runtime, bravo.id)
    resp = _send(client, runtime, route, body_of("meeting_started.json"), secret=OTHER_SECRET)
    assert resp.status_code == 401
    assert (snapshot(runtime, alpha.id), snapshot(runtime, bravo.id)) == before


@pytest.mark.parametrize("declared", [True, False])
def test_oversized_body_is_413_and_stores_nothing(runtime, client, alpha, route, declared):
    limit = runtime.settings.webhook_max_body_bytes
    data = fixture("meeting_started.json")
    data["payload"]["object"]["agenda"] = "x" * (limit + 1)
    body = compact(data)
    before = snapshot(runtime, alpha.id)
    headers = signed(body, runtime.clock.now())  # correctly signed: size alone refuses it
    content = body if declared else (body[i:i + 65536] for i in range(0, len(body), 65536))
    resp = client.post(f"/webhooks/zoom/{route}", content=content, headers=headers)
    assert resp.status_code == 413 and resp.json()["error"]["code"] == "payload_too_large"
    assert snapshot(runtime, alpha.id) == before


# -- replays and duplicates -----------------------------------------------------------------------
def test_a_seen_delivery_is_refused_409_whatever_its_trace_id(runtime, client, alpha, route):
    body = body_of("phone_callee_ended.json")
    headers = signed(body, runtime.clock.now(), request_id="6009d653_d487_445d_8406_42b654974899")
    assert _post(client, route, body, headers).status_code == 200
    before = snapshot(runtime, alpha.id)
    runtime.clock.advance(timedelta(seconds=30))  # still inside the window
    replays = [headers, dict(headers, **{"x-zm-request-id": "fresh-id"}),
               {k: v for k, v in headers.items() if k != "x-zm-request-id"}]
    for replay in replays:
        resp = _post(client, route, body, replay)
        assert resp.status_code == 409, resp.text
        assert resp.json()["error"]["code"] == "replayed_delivery"
    assert snapshot(runtime, alpha.id) == before


def test_zoom_redelivering_the_same_event_is_a_duplicate(runtime, client, alpha, route):
    body = body_of("phone_callee_ended.json")
    assert _send(client, runtime, route, body, request_id="a").json() == {"status": "ignored"}
    runtime.clock.advance(timedelta(minutes=5))  # Zoom's first retry: signed anew
    resp = _send(client, runtime, route, body, request_id="b")
    assert resp.status_code == 200 and resp.json() == {"status": "duplicate"}
    [row] = _inbox(runtime, alpha.id)
    assert row.duplicates == 1
    assert _count(runtime, alpha.id, Job) == 0


# -- deauthorisation ------------------------------------------------------------------------------
def _deauth_body(shared_fixtures):
    return compact(json.loads((shared_fixtures / "zoom_app_deauthorized.json").read_text()))


def _zoom_secret_names(runtime, org_id):
    with runtime.db.tenant(org_id) as s:
        return sorted(s.scalars(select(SealedSecret.name).where(SealedSecret.purpose == PURPOSE)))


def _org_data(runtime, org_id):
    """Data of the organization that a deauthorisation must keep."""
    now = runtime.clock.now()
    with runtime.db.tenant(org_id) as s:
        s.add(CommunicationRow(key="zoom:call:1", platform="zoom", kind="call", started_at=now, final=True,
                               version=1, data={"kind": "call"}, created_at=now, updated_at=now))
        runtime.vault.put(s, "crm:hubspot", "api_key:org", "hubspot-key")
        runtime.vault.put(s, PURPOSE, "token:access", "zoom-access-token")  # a token, as OAuth would store


def test_deauthorization_deletes_the_zoom_credentials_at_once_and_keeps_the_data(
        runtime, client, alpha, bravo, route, shared_fixtures):
    _org_data(runtime, alpha.id)
    _connect(runtime, bravo.id)
    bravo_before = snapshot(runtime, bravo.id)
    assert _send(client, runtime, route, body_of("meeting_started.json")).status_code == 200
    assert _zoom_secret_names(runtime, alpha.id) == [OAUTH, "token:access", WEBHOOK_SECRET]

    resp = _send(client, runtime, route, _deauth_body(shared_fixtures), request_id="deauth-1")
    assert resp.status_code == 200 and resp.json() == {"status": "deauthorized"}

    assert _zoom_secret_names(runtime, alpha.id) == [WEBHOOK_SECRET]  # kept to verify later notices
    with runtime.db.tenant(alpha.id) as s:
        [endpoint] = s.scalars(select(WebhookSubscription))
        assert endpoint.status == "off" and "callbridge connect zoom" in (endpoint.last_error or "")
        [audit] = s.scalars(select(AuditEntry).where(AuditEntry.action == "zoom.deauthorized"))
        assert audit.actor == "platform:zoom" and audit.object_id == endpoint.id
        assert audit.details["deleted_credentials"] == [OAUTH, "token:access"]
        assert "abcD3ojfdbjfg" not in json.dumps(audit.details)  # no Zoom user id in the audit log
        # the organization's data stays
        assert s.scalar(select(func.count()).select_from(CommunicationRow)) == 1
        assert runtime.vault.get_text(s, "crm:hubspot", "api_key:org") == "hubspot-key"
    statuses = {r.event_path: (r.status, r.body) for r in _inbox(runtime, alpha.id)}
    assert statuses["app_deauthorized"] == ("done", None)
    assert statuses["meeting.started"][0] == "ignored"
    assert snapshot(runtime, bravo.id) == bravo_before  # another organization's Zoom is untouched


def test_after_deauthorization_the_endpoint_is_off(runtime, client, alpha, route, shared_fixtures):
    deauth = _deauth_body(shared_fixtures)
    headers = signed(deauth, runtime.clock.now(), request_id="deauth-1")
    assert _post(client, route, deauth, headers).status_code == 200
    before = snapshot(runtime, alpha.id)
    event = _send(client, runtime, route, body_of("meeting_started.json"))
    assert event.status_code == 410 and event.json()["error"]["code"] == "endpoint_off"
    assert _send(client, runtime, route, body_of("endpoint_url_validation.json")).status_code == 410
    assert _post(client, route, deauth, headers).status_code == 409  # the notice replayed
    assert _send(client, runtime, route, deauth, secret=OTHER_SECRET).status_code == 401  # forged
    assert snapshot(runtime, alpha.id) == before
    # reconnecting turns it on again at the same address
    assert _connect(runtime, alpha.id).route_key == route
    assert _send(client, runtime, route, body_of("meeting_started.json")).json() == {"status": "ignored"}


def test_a_deauthorization_of_another_zoom_account_keeps_the_credentials(
        runtime, client, alpha, shared_fixtures):
    route = _connect(runtime, alpha.id, account="OTHERACCOUNT").route_key
    resp = _send(client, runtime, route, _deauth_body(shared_fixtures))
    assert resp.status_code == 200 and resp.json() == {"status": "ignored"}
    assert _zoom_secret_names(runtime, alpha.id) == [OAUTH, WEBHOOK_SECRET]
    with runtime.db.tenant(alpha.id) as s:
        assert s.scalars(select(WebhookSubscription.status)).one() == "active"
    [row] = _inbox(runtime, alpha.id)
    assert row.status == "ignored" and "another Zoom account" in (row.reason or "")
    assert _count(runtime, alpha.id, AuditEntry, AuditEntry.action == "zoom.deauthorized") == 0


# -- logs -----------------------------------------------------------------------------------------
def test_refusals_are_logged_without_the_secret(runtime, client, alpha, route, caplog):
    caplog.set_level(logging.DEBUG)
    body = body_of("meeting_started.json")
    _send(client, runtime, route, body, secret=OTHER_SECRET)
    _send(client, runtime, route, body)
    _send(client, runtime, route, body_of("endpoint_url_validation.json"))
    text = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("callbridge"))
    assert "zoom webhook refused (401 unauthenticated)" in text
    assert route not in text  # the route key is a capability: only its start is logged
    for secret in (SECRET, OTHER_SECRET, "client-secret-9", "Quarterly review"):
        assert secret not in text
