"""Clio sandbox: OAuth (30-day tokens, deauthorize), contact query, communications with matters."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from callbridge.clock import VirtualClock
from callbridge.sandbox.crm._kit.testing import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    authorize_code,
    client_for,
    code_grant_form,
)
from callbridge.sandbox.crm.clio import ClioSandboxConfig, create_app


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


def _login(client: TestClient) -> dict[str, Any]:
    code = authorize_code(client, "/oauth/authorize")
    answer = client.post("/oauth/token", data=code_grant_form(code))
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


@pytest.fixture
def client(clock: VirtualClock) -> TestClient:
    return client_for(create_app(None, clock))


@pytest.fixture
def auth(client: TestClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {_login(client)['access_token']}"}


def test_tokens_last_30_days_refresh_is_reusable_and_deauthorize_revokes(
    client: TestClient, clock: VirtualClock
) -> None:
    body = _login(client)
    assert body["expires_in"] == 2592000
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    clock.advance(2592000)
    assert client.get("/api/v4/users/who_am_i.json", headers=bearer).status_code == 401
    form = {"grant_type": "refresh_token", "refresh_token": body["refresh_token"],
            "client_id": DEFAULT_CLIENT_ID, "client_secret": DEFAULT_CLIENT_SECRET}
    first = client.post("/oauth/token", data=form).json()
    second = client.post("/oauth/token", data=form).json()
    fresh = {"Authorization": f"Bearer {second['access_token']}"}
    me = client.get("/api/v4/users/who_am_i.json", headers=fresh, params={"fields": "id,email"})
    assert me.json()["data"]["email"] == "alice@callbridge.test"
    assert client.post("/oauth/deauthorize", headers=fresh).status_code == 200
    assert client.get("/api/v4/users/who_am_i.json", headers={
        "Authorization": f"Bearer {first['access_token']}"}).status_code == 401


def test_only_id_and_etag_unless_fields_are_named(client: TestClient,
                                                  auth: dict[str, str]) -> None:
    bare = client.get("/api/v4/contacts.json", headers=auth, params={"query": "6505550101"})
    assert [set(c) for c in bare.json()["data"]] == [{"id", "etag"}]
    rich = client.get("/api/v4/contacts.json", headers=auth, params={
        "query": "6505550100", "fields": "id,name,type,phone_numbers{name,number}"}).json()
    assert sorted(c["name"] for c in rich["data"]) == ["Ada Lovelace", "Byron Lovelace"]
    assert set(rich["data"][0]["phone_numbers"][0]) == {"name", "number"}
    none = client.get("/api/v4/contacts.json", headers=auth, params={"query": "6505550199"})
    assert none.json()["data"] == []


def test_paging_follows_meta_paging_next(client: TestClient, auth: dict[str, str]) -> None:
    page = client.get("/api/v4/contacts.json", headers=auth, params={"limit": 4}).json()
    seen = len(page["data"])
    while "next" in page["meta"]["paging"]:
        page = client.get(page["meta"]["paging"]["next"], headers=auth).json()
        seen += len(page["data"])
    assert seen == 9


def test_phone_communication_with_matter_get_patch_and_person_edit(
    client: TestClient, auth: dict[str, str], clock: VirtualClock
) -> None:
    matter = client.get("/api/v4/matters.json", headers=auth,
                        params={"fields": "id,display_number,client{id}"}).json()["data"][0]
    made = client.post("/api/v4/communications.json", headers=auth, json={"data": {
        "type": "PhoneCommunication", "subject": "Call with Ada", "body": "Notes [cbm-9]",
        "received_at": "2026-01-05T09:00:00Z",
        "senders": [{"id": matter["client"]["id"], "type": "Contact"}],
        "receivers": [{"id": 1, "type": "User"}], "matter": {"id": matter["id"]}}},
        params={"fields": "id,etag,subject,matter{id,display_number},updated_at"})
    assert made.status_code == 201, made.text
    comm = made.json()["data"]
    assert comm["matter"]["display_number"] == "00001-Lovelace"
    found = client.get("/api/v4/communications.json", headers=auth,
                       params={"query": "cbm-9", "fields": "id"}).json()["data"]
    assert found == [{"id": comm["id"]}]
    clock.advance(5)
    stale = client.patch(f"/api/v4/communications/{comm['id']}.json", headers={
        **auth, "If-Match": '"stale"'}, json={"data": {"body": "x"}})
    assert stale.status_code == 412
    patched = client.patch(f"/api/v4/communications/{comm['id']}.json", headers={
        **auth, "If-Match": comm["etag"]}, json={"data": {"body": "Notes [cbm-9] + recording"}},
        params={"fields": "body,updated_at,etag"}).json()["data"]
    assert patched["updated_at"] > comm["updated_at"]
    edited = client.post(f"/_sandbox/edit/communications/{comm['id']}",
                         json={"body": "Typed by a person"})
    assert edited.json()["etag"] != patched["etag"]
    bad = client.post("/api/v4/communications.json", headers=auth,
                      json={"data": {"type": "Fax"}})
    assert bad.status_code == 422


def test_rate_limit_headers_429_and_api_version(clock: VirtualClock) -> None:
    client = client_for(create_app(ClioSandboxConfig(rate_limit_per_minute=2), clock))
    auth = {"Authorization": f"Bearer {_login(client)['access_token']}"}
    answers = [client.get("/api/v4/users.json", headers=auth) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[1].headers["X-RateLimit-Remaining"] == "0"
    assert int(answers[1].headers["X-RateLimit-Reset"]) == int(clock.now().timestamp()) + 60
    assert answers[2].headers["Retry-After"] == "60"
    clock.advance(60)
    gone = client.get("/api/v4/users.json", headers={**auth, "X-API-VERSION": "4.0.0"})
    assert gone.status_code == 410
    assert client.get("/api/v4/users.json", headers={
        **auth, "X-API-VERSION": "4.0.10"}).status_code == 200


def test_faults_and_unknown_records(client: TestClient, auth: dict[str, str]) -> None:
    assert client.get("/api/v4/contacts/999.json", headers=auth).status_code == 404
    client.post("/_sandbox/faults", json={"fail_next": 1, "fail_status": 503})
    assert client.get("/api/v4/users.json", headers=auth).status_code == 503
    client.post("/_sandbox/faults", json={"expire_all_tokens": True})
    assert client.get("/api/v4/users.json", headers=auth).status_code == 401
