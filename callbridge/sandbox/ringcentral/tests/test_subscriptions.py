"""Subscriptions and webhooks delivered to a real local HTTP receiver."""

from __future__ import annotations

from typing import Any

from .conftest import Receiver, Sandbox, assert_valid
from .schema_check import SchemaValidator

SUB = "/restapi/v1.0/subscription"
TELEPHONY = "/restapi/v1.0/account/~/extension/~/telephony/sessions"
MESSAGES = "/restapi/v1.0/account/~/extension/~/message-store"
INSTANT = "/restapi/v1.0/account/~/extension/~/message-store/instant?type=SMS"


def _subscribe(sbx: Sandbox, receiver: Receiver, filters: list[str], **extra: Any) -> Any:
    body = {"eventFilters": filters,
            "deliveryMode": {"transportType": "WebHook", "address": receiver.url,
                             "verificationToken": "s3cret-token"}, **extra}
    return sbx.client.post(SUB, json=body, headers=sbx.headers)


def _call(sbx: Sandbox, **kw: Any) -> dict[str, Any]:
    body = {"direction": "Inbound", "result": "Accepted", "duration_seconds": 40, **kw}
    resp = sbx.client.post("/_sandbox/calls", json=body)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def _deliver(sbx: Sandbox) -> list[dict[str, Any]]:
    return list(sbx.client.post("/_sandbox/deliver").json()["deliveries"])


def test_handshake_and_subscription_info(sbx: Sandbox, receiver: Receiver,
                                         validator: SchemaValidator) -> None:
    resp = _subscribe(sbx, receiver, [TELEPHONY, INSTANT])
    assert resp.status_code == 200, resp.text
    info = resp.json()
    assert_valid(validator, info, "SubscriptionInfo")
    assert "verificationToken" not in info["deliveryMode"]
    assert info["deliveryMode"]["encryption"] is False and info["status"] == "Active"
    owner = sbx.state.admin_extension().id
    acc = sbx.state.config.account_id
    assert info["eventFilters"][0] == (
        f"/restapi/v1.0/account/{acc}/extension/{owner}/telephony/sessions")
    assert info["expiresIn"] == 604800
    handshake = receiver.requests[0]
    assert handshake["body"] is None and handshake["headers"]["Validation-Token"]
    assert handshake["headers"]["Verification-Token"] == "s3cret-token"
    listed = sbx.get(SUB).json()
    assert [r["id"] for r in listed["records"]] == [info["id"]]
    assert_valid(validator, sbx.get(f"{SUB}/{info['id']}").json(), "SubscriptionInfo")


def test_handshake_failure_is_sub_525(sbx: Sandbox, receiver: Receiver) -> None:
    receiver.echo_validation = False
    resp = _subscribe(sbx, receiver, [TELEPHONY])
    assert resp.status_code == 400
    assert resp.json()["errors"][0] == {"errorCode": "SUB-525",
                                        "message": "WebHook server response is invalid"}
    assert sbx.get(SUB).json()["records"] == []


def test_telephony_events_carry_the_verification_token(sbx: Sandbox, receiver: Receiver,
                                                       validator: SchemaValidator) -> None:
    info = _subscribe(sbx, receiver, [TELEPHONY]).json()
    call = _call(sbx)
    assert _deliver(sbx) and len(receiver.deliveries()) == 1  # Setup happened at "now"
    sbx.clock.advance(45)
    _deliver(sbx)
    got = receiver.deliveries()
    assert [d["body"]["body"]["sequence"] for d in got] == [1, 2, 3, 4]
    assert [d["body"]["body"]["parties"][0]["status"]["code"] for d in got] == [
        "Setup", "Proceeding", "Answered", "Disconnected"]
    for d in got:
        assert d["headers"]["Verification-Token"] == "s3cret-token"
        assert d["headers"]["Content-Type"] == "application/json; charset=UTF-8"
        assert d["body"]["subscriptionId"] == info["id"]
        assert d["body"]["body"]["telephonySessionId"] == call["telephonySessionId"]
        assert_valid(validator, d["body"], "ExtensionTelephonySessionsEvent")


def test_message_events(sbx: Sandbox, receiver: Receiver, validator: SchemaValidator) -> None:
    _subscribe(sbx, receiver, [MESSAGES, INSTANT])
    made = sbx.client.post("/_sandbox/messages", json={"text": "hello"}).json()
    _deliver(sbx)
    bodies = [d["body"] for d in receiver.deliveries()]
    change = next(b for b in bodies if b["event"].endswith("/message-store"))
    instant = next(b for b in bodies if "instant" in b["event"])
    assert_valid(validator, change, "MessageEvent")
    assert change["body"]["changes"] == [{"type": "SMS", "newCount": 1,
                                          "newMessageIds": [made["id"]]}]
    assert_valid(validator, instant, "InstantMessageEvent")
    assert instant["body"]["id"] == str(made["id"]) and instant["body"]["subject"] == "hello"


def test_delayed_duplicated_reordered_and_dropped(sbx: Sandbox, receiver: Receiver) -> None:
    _subscribe(sbx, receiver, [TELEPHONY])
    sbx.client.put("/_sandbox/webhooks", json={"delay_seconds": 30, "duplicate_rate": 1.0,
                                               "duplicate_delay_seconds": 0, "reorder_rate": 1.0})
    _call(sbx)
    sbx.clock.advance(45)  # call is over; its first events are due, the last is not yet
    _deliver(sbx)
    first_batch = len(receiver.deliveries())
    assert 0 < first_batch < 8
    sbx.clock.advance(60)
    _deliver(sbx)
    got = [d["body"] for d in receiver.deliveries()]
    assert len(got) == 8  # every event twice
    seqs = [g["body"]["sequence"] for g in got]
    assert sorted(seqs) == [1, 1, 2, 2, 3, 3, 4, 4]
    assert seqs != sorted(seqs)  # out of order by sequence
    uuids = [g["uuid"] for g in got]
    assert len(set(uuids)) == 4  # duplicates keep their uuid
    sbx.client.put("/_sandbox/webhooks", json={"drop_rate": 1.0, "duplicate_rate": 0.0,
                                               "delay_seconds": 0})
    _call(sbx)
    sbx.clock.advance(60)
    outcomes = {d["outcome"] for d in _deliver(sbx)}
    assert outcomes == {"dropped"} and len(receiver.deliveries()) == 8


def test_renewal_and_expiry(sbx: Sandbox, receiver: Receiver) -> None:
    info = _subscribe(sbx, receiver, [TELEPHONY], expiresIn=3600).json()
    assert info["expiresIn"] == 3600
    sbx.clock.advance(1800)
    sbx.login()
    renewed = sbx.client.post(f"{SUB}/{info['id']}/renew", headers=sbx.headers)
    assert renewed.status_code == 200
    assert renewed.json()["expirationTime"] > info["expirationTime"]
    sbx.clock.advance(3000)  # 80 min after creation, 50 min after renewal: still alive
    _call(sbx)
    sbx.clock.advance(60)
    assert {d["outcome"] for d in _deliver(sbx)} == {"delivered"}
    delivered = len(receiver.deliveries())
    sbx.clock.advance(3600)  # not renewed again: expired
    sbx.login()
    assert sbx.get(f"{SUB}/{info['id']}").status_code == 404
    _call(sbx)
    sbx.clock.advance(60)
    _deliver(sbx)
    assert len(receiver.deliveries()) == delivered


def test_update_and_delete(sbx: Sandbox, receiver: Receiver, validator: SchemaValidator) -> None:
    info = _subscribe(sbx, receiver, [TELEPHONY]).json()
    upd = sbx.client.put(f"{SUB}/{info['id']}", json={"eventFilters": [MESSAGES]},
                         headers=sbx.headers)
    assert upd.status_code == 200 and upd.json()["eventFilters"][0].endswith("/message-store")
    assert_valid(validator, upd.json(), "SubscriptionInfo")
    assert sbx.client.delete(f"{SUB}/{info['id']}", headers=sbx.headers).status_code == 204
    assert sbx.get(f"{SUB}/{info['id']}").status_code == 404


def test_failing_receiver_gets_blacklisted(sbx: Sandbox, receiver: Receiver) -> None:
    info = _subscribe(sbx, receiver, [TELEPHONY]).json()
    receiver.status = 500
    for _ in range(3):
        _call(sbx)
        sbx.clock.advance(330)
        assert "failed" in {d["outcome"] for d in _deliver(sbx)}
    sbx.login()
    status = sbx.get(f"{SUB}/{info['id']}").json()
    assert status["status"] == "Blacklisted" and "blacklistedData" in status
