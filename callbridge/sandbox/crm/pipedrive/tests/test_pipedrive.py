"""Pipedrive sandbox: auth, phone search, activities with deals, notes, limits, faults."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from fastapi.testclient import TestClient

from callbridge.clock import VirtualClock
from callbridge.sandbox.crm._kit.testing import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    REDIRECT_URI,
    VERIFIER,
    authorize_code,
    client_for,
)
from callbridge.sandbox.crm.pipedrive import PipedriveSandboxConfig, create_app
from callbridge.sandbox.crm.pipedrive.config import API_TOKEN, READONLY_API_TOKEN

AUTH = {"x-api-token": API_TOKEN}
BASIC = "Basic " + base64.b64encode(
    f"{DEFAULT_CLIENT_ID}:{DEFAULT_CLIENT_SECRET}".encode()).decode()


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def client(clock: VirtualClock) -> TestClient:
    return client_for(create_app(None, clock))


def _search(client: TestClient, term: str, exact: bool = True) -> list[str]:
    answer = client.get("/api/v2/persons/search", headers=AUTH, params={
        "term": term, "fields": "phone", "exact_match": str(exact).lower()})
    assert answer.status_code == 200, answer.text
    return sorted(i["item"]["name"] for i in answer.json()["data"]["items"])


def test_oauth_code_with_basic_client_auth_expiry_and_refresh(
    client: TestClient, clock: VirtualClock
) -> None:
    code = authorize_code(client, "/oauth/authorize")
    answer = client.post("/oauth/token", headers={"Authorization": BASIC}, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
        "code_verifier": VERIFIER})
    body = answer.json()
    assert body["api_domain"] == "http://testserver"
    assert body["expires_in"] == 3599
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    assert client.get("/v1/users/me", headers=bearer).status_code == 200
    clock.advance(3599)
    expired = client.get("/v1/users/me", headers=bearer)
    assert expired.status_code == 401
    assert set(expired.json()) == {"success", "error", "error_info", "data", "additional_data"}
    fresh = client.post("/oauth/token", headers={"Authorization": BASIC}, data={
        "grant_type": "refresh_token", "refresh_token": body["refresh_token"]}).json()
    assert client.get("/v1/users/me", headers={
        "Authorization": f"Bearer {fresh['access_token']}"}).status_code == 200
    assert client.post("/oauth/revoke", headers={"Authorization": BASIC},
                       data={"token": body["refresh_token"]}).status_code == 200
    assert client.get("/v1/users/me", headers={
        "Authorization": f"Bearer {fresh['access_token']}"}).status_code == 401


def test_api_token_works_as_header_or_query(client: TestClient) -> None:
    assert client.get("/v1/users", headers=AUTH).status_code == 200
    assert client.get("/v1/users", params={"api_token": API_TOKEN}).status_code == 200
    assert client.get("/v1/users").status_code == 401


@pytest.mark.parametrize(("term", "expected"), [
    ("6505550100", ["Ada Lovelace", "Byron Lovelace"]),
    ("6505550101", ["Alan Turing"]),
    ("6505550199", []),
    ("16505550102", ["Grace Hopper"]),
    ("14155550198", ["Jane Doe"]),
    ("442079460958", ["Tim Berners-Lee"]),
])
def test_exact_phone_search_zero_one_many(client: TestClient, term: str,
                                          expected: list[str]) -> None:
    assert _search(client, term) == expected


def test_non_exact_search_finds_a_partial_number_and_short_terms_are_refused(
    client: TestClient,
) -> None:
    assert _search(client, "6505550102", exact=False) == ["Grace Hopper"]
    short = client.get("/api/v2/persons/search", headers=AUTH,
                       params={"term": "6", "fields": "phone"})
    assert short.status_code == 400
    assert short.json()["success"] is False


def test_activity_with_deal_get_patch_and_marker_in_note(
    client: TestClient, clock: VirtualClock
) -> None:
    deal = client.get("/api/v2/deals", headers=AUTH, params={"person_id": 1}).json()["data"][0]
    made = client.post("/api/v2/activities", headers=AUTH, json={
        "subject": "Call with Ada", "type": "call", "due_date": "2026-01-05",
        "due_time": "09:00", "duration": "00:05", "note": "<p>Renewal</p><p>[cbm-77]</p>",
        "done": True, "deal_id": deal["id"], "participants": [{"person_id": 1,
                                                                "primary": True}]})
    assert made.status_code == 200, made.text
    activity: dict[str, Any] = made.json()["data"]
    assert activity["person_id"] == 1
    assert activity["marked_as_done_time"] is not None
    clock.advance(10)
    patched = client.patch(f"/api/v2/activities/{activity['id']}", headers=AUTH,
                           json={"note": "<p>Renewal</p><p>[cbm-77]</p><p>voicemail</p>"})
    assert patched.json()["data"]["update_time"] > activity["update_time"]
    listed = client.get("/api/v2/activities", headers=AUTH, params={"person_id": 1}).json()
    assert any("cbm-77" in (a["note"] or "") for a in listed["data"])
    bad = client.post("/api/v2/activities", headers=AUTH, json={"duration": "5 min"})
    assert bad.status_code == 400
    assert client.get("/api/v2/activities/999", headers=AUTH).status_code == 404


def test_note_on_deal_and_person_edit(client: TestClient) -> None:
    note = client.post("/v1/notes", headers=AUTH, json={"content": "SMS: hi", "deal_id": 1})
    assert note.status_code == 200
    note_id = note.json()["data"]["id"]
    edited = client.post(f"/_sandbox/edit/notes/{note_id}", json={"content": "SMS: hi (edited)"})
    assert edited.status_code == 200
    got = client.get(f"/v1/notes/{note_id}", headers=AUTH).json()["data"]
    assert got["content"] == "SMS: hi (edited)"
    person = client.post("/api/v2/persons", headers=AUTH, json={
        "name": "New Caller", "phones": [{"value": "+1 650 555 0150", "primary": True,
                                          "label": "work"}]})
    assert person.json()["data"]["phones"][0]["value"] == "+1 650 555 0150"


def test_burst_limit_gives_429_with_retry_after(clock: VirtualClock) -> None:
    client = client_for(create_app(PipedriveSandboxConfig(burst_limit_api_token=2), clock))
    answers = [client.get("/v1/users", headers=AUTH) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[1].headers["x-ratelimit-remaining"] == "0"
    assert answers[2].headers["Retry-After"] == "2"
    assert answers[2].json()["success"] is False
    clock.advance(2)
    assert client.get("/v1/users", headers=AUTH).status_code == 200


def test_scope_error_and_faults(client: TestClient) -> None:
    readonly = {"x-api-token": READONLY_API_TOKEN}
    refused = client.post("/api/v2/activities", headers=readonly, json={"subject": "x"})
    assert refused.status_code == 403
    assert refused.json()["error"].startswith("Scope and URL mismatch")
    client.post("/_sandbox/faults", json={"fail_next": 1})
    assert client.get("/v1/users", headers=AUTH).status_code == 500
    client.post("/_sandbox/faults", json={"force_429": 1})
    assert client.get("/v1/users", headers=AUTH).status_code == 429
    log = client.get("/_sandbox/requests").json()["requests"]
    assert [e["status"] for e in log[-2:]] == [500, 429]
