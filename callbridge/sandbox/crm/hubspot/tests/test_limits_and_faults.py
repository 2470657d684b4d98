"""HubSpot rate limits (10 s rolling, daily, search), scopes, faults, control API, ASGI use."""

from __future__ import annotations

import anyio
import httpx
from fastapi.testclient import TestClient

from callbridge.clock import SystemClock, VirtualClock
from callbridge.sandbox.crm._kit.testing import client_for
from callbridge.sandbox.crm.hubspot import HubSpotSandboxConfig, create_app
from callbridge.sandbox.crm.hubspot.config import PRIVATE_APP_TOKEN, READONLY_PRIVATE_APP_TOKEN

AUTH = {"Authorization": f"Bearer {PRIVATE_APP_TOKEN}"}
RATE_BODY_KEYS = {"status", "message", "errorType", "correlationId", "policyName", "requestId"}
SEARCH = {"filterGroups": [{"filters": [{"propertyName": "phone", "operator": "HAS_PROPERTY"}]}]}


def _limited(clock: VirtualClock, **knobs: object) -> TestClient:
    return client_for(create_app(HubSpotSandboxConfig(**knobs), clock))  # type: ignore[arg-type]


def test_ten_second_window_gives_hubspots_429_and_headers(clock: VirtualClock) -> None:
    client = _limited(clock, burst_limit_private=3)
    answers = [client.get("/crm/v3/objects/contacts", headers=AUTH) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    ok, refused = answers[2], answers[3]
    assert ok.headers["X-HubSpot-RateLimit-Max"] == "3"
    assert ok.headers["X-HubSpot-RateLimit-Remaining"] == "0"
    assert ok.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    assert ok.headers["X-HubSpot-RateLimit-Daily"] == "250000"
    assert set(refused.json()) == RATE_BODY_KEYS
    assert refused.json()["policyName"] == "TEN_SECONDLY_ROLLING"
    assert refused.json()["errorType"] == "RATE_LIMIT"
    assert refused.headers["Retry-After"] == "10"
    clock.advance(10)
    assert client.get("/crm/v3/objects/contacts", headers=AUTH).status_code == 200


def test_daily_limit_gives_daily_policy_until_local_midnight(clock: VirtualClock) -> None:
    client = _limited(clock, daily_limit=2)
    for _ in range(2):
        assert client.get("/crm/v3/objects/contacts", headers=AUTH).status_code == 200
    refused = client.get("/crm/v3/objects/contacts", headers=AUTH)
    assert refused.status_code == 429
    assert refused.json()["policyName"] == "DAILY"
    assert refused.json()["message"] == "You have reached your daily limit."
    clock.advance(86400)
    assert client.get("/crm/v3/objects/contacts", headers=AUTH).status_code == 200


def test_search_has_its_own_per_second_limit_without_burst_headers(clock: VirtualClock) -> None:
    client = _limited(clock, search_per_second=2, burst_limit_private=1)
    answers = [client.post("/crm/v3/objects/contacts/search", json=SEARCH, headers=AUTH)
               for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert "X-HubSpot-RateLimit-Max" not in answers[0].headers
    assert answers[2].json()["policyName"] == "SECONDLY"
    assert client.get("/crm/v3/objects/contacts", headers=AUTH).status_code == 200
    clock.advance(1)
    assert client.post("/crm/v3/objects/contacts/search", json=SEARCH,
                       headers=AUTH).status_code == 200


def test_token_lacking_a_scope_gets_403_missing_scopes(client: TestClient) -> None:
    readonly = {"Authorization": f"Bearer {READONLY_PRIVATE_APP_TOKEN}"}
    assert client.get("/crm/v3/objects/contacts", headers=readonly).status_code == 200
    refused = client.post("/crm/v3/objects/contacts", headers=readonly,
                          json={"properties": {"lastname": "X"}})
    assert refused.status_code == 403
    body = refused.json()
    assert body["category"] == "MISSING_SCOPES"
    assert body["context"]["requiredGranularScopes"] == ["crm.objects.contacts.write"]


def test_scopes_can_be_changed_per_token(client: TestClient) -> None:
    client.post("/_sandbox/faults", json={"set_scopes": {
        "token": PRIVATE_APP_TOKEN, "scopes": ["crm.objects.contacts.read"]}})
    assert client.get("/crm/v3/owners", headers=AUTH).status_code == 403


def test_fail_next_and_error_rate_give_server_errors(client: TestClient) -> None:
    client.post("/_sandbox/faults", json={"fail_next": 1, "fail_status": 502})
    failed = client.get("/crm/v3/objects/contacts", headers=AUTH)
    assert failed.status_code == 502
    assert failed.json()["status"] == "error"
    assert client.get("/crm/v3/objects/contacts", headers=AUTH).status_code == 200
    client.post("/_sandbox/faults", json={"error_rate": 1.0})
    assert client.get("/crm/v3/objects/contacts", headers=AUTH).status_code == 503
    client.delete("/_sandbox/faults")
    assert client.get("/crm/v3/objects/contacts", headers=AUTH).status_code == 200


def test_forced_429_latency_and_the_request_log(client: TestClient) -> None:
    client.post("/_sandbox/faults", json={"force_429": 1, "latency_ms": 1})
    forced = client.get("/crm/v3/objects/contacts", headers=AUTH)
    assert forced.status_code == 429
    assert forced.json()["policyName"] == "TEN_SECONDLY_ROLLING"
    assert forced.headers["Retry-After"] == "2"
    log = client.get("/_sandbox/requests").json()["requests"]
    assert log[-1]["method"] == "GET"
    assert log[-1]["path"] == "/crm/v3/objects/contacts"
    assert log[-1]["status"] == 429
    assert "latency=1ms" in log[-1]["injected"]
    assert not any(e["path"].startswith("/_sandbox") for e in log)


def test_revoke_token_and_expire_all_faults(client: TestClient) -> None:
    assert client.post("/_sandbox/faults",
                       json={"revoke_token": PRIVATE_APP_TOKEN}).json()["actions"]["revoked"]
    assert client.get("/crm/v3/objects/contacts", headers=AUTH).status_code == 401
    assert client.post("/_sandbox/faults",
                       json={"expire_all_tokens": True}).json()["actions"]["expired"] == 0


def test_bad_fault_settings_are_named(client: TestClient) -> None:
    answer = client.post("/_sandbox/faults", json={"eror_rate": 1})
    assert answer.status_code == 400
    assert "eror_rate" in answer.json()["error"]


def test_objects_dump_and_clock_control(client: TestClient, clock: VirtualClock) -> None:
    contacts = client.get("/_sandbox/objects/contacts").json()["objects"]
    assert len(contacts) == 9
    assert client.get("/_sandbox/objects/widgets").status_code == 404
    before = clock.now()
    moved = client.post("/_sandbox/clock", json={"advance_seconds": 90})
    assert moved.status_code == 200
    assert (clock.now() - before).total_seconds() == 90


def test_clock_control_refuses_a_real_clock() -> None:
    client = client_for(create_app(HubSpotSandboxConfig(seed=False), SystemClock()))
    assert client.post("/_sandbox/clock", json={"advance_seconds": 1}).status_code == 409


def test_app_serves_in_process_through_httpx_asgi_transport(clock: VirtualClock) -> None:
    app = create_app(None, clock)

    async def run() -> int:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hubspot") as http:
            answer = await http.post("/crm/v3/objects/contacts/search", json=SEARCH, headers=AUTH)
            return int(answer.json()["total"])

    assert anyio.run(run) == 9
