"""Salesforce daily API limit (403 REQUEST_LIMIT_EXCEEDED, Sforce-Limit-Info), permissions, faults."""

from __future__ import annotations

from fastapi.testclient import TestClient

from callbridge.clock import VirtualClock
from callbridge.sandbox.crm._kit.testing import client_for
from callbridge.sandbox.crm.salesforce import SalesforceSandboxConfig, create_app

from .conftest import API, password_login


def test_every_answer_carries_api_usage_and_the_limit_is_a_403(clock: VirtualClock) -> None:
    client = client_for(create_app(SalesforceSandboxConfig(daily_api_limit=2), clock))
    auth = password_login(client)
    first = client.get(f"{API}/limits", headers=auth)
    assert first.headers["Sforce-Limit-Info"] == "api-usage=1/2"
    assert first.json()["DailyApiRequests"] == {"Max": 2, "Remaining": 1}
    client.get(f"{API}/limits", headers=auth)
    refused = client.get(f"{API}/limits", headers=auth)
    assert refused.status_code == 403
    assert refused.json() == [{"message": "TotalRequests Limit exceeded.",
                               "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
    assert refused.headers["Sforce-Limit-Info"] == "api-usage=2/2"
    clock.advance(86400)
    assert client.get(f"{API}/limits", headers=password_login(client)).status_code == 200


def test_user_without_create_permission_gets_a_permission_error(client: TestClient) -> None:
    carol = password_login(client, "carol@callbridge.test")
    assert client.get(f"{API}/query", params={"q": "SELECT Id FROM Contact"},
                      headers=carol).status_code == 200
    refused = client.post(f"{API}/sobjects/Task", json={"Subject": "x"}, headers=carol)
    assert refused.status_code == 403
    assert refused.json()[0]["errorCode"] == "INSUFFICIENT_ACCESS_OR_READONLY"


def test_faults_use_salesforce_shapes(client: TestClient, auth: dict[str, str]) -> None:
    client.post("/_sandbox/faults", json={"fail_next": 1, "fail_status": 503})
    down = client.get(f"{API}/limits", headers=auth)
    assert down.status_code == 503
    assert down.json()[0]["errorCode"] == "SERVER_UNAVAILABLE"
    client.post("/_sandbox/faults", json={"force_429": 1})
    limited = client.get(f"{API}/limits", headers=auth)
    assert limited.status_code == 403
    assert limited.json()[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
    client.post("/_sandbox/faults", json={"expire_all_tokens": True})
    assert client.get(f"{API}/limits", headers=auth).status_code == 401


def test_request_log_and_object_dump(client: TestClient, auth: dict[str, str]) -> None:
    client.post(f"{API}/sobjects/Task", json={"Subject": "Logged"}, headers=auth)
    served = client.get("/_sandbox/requests").json()["requests"]
    assert [(r["method"], r["path"], r["status"]) for r in served][-1] == (
        "POST", f"{API}/sobjects/Task", 201)
    tasks = client.get("/_sandbox/objects/Task").json()["objects"]
    assert [t["Subject"] for t in tasks] == ["Logged"]
