"""Salesforce OAuth: code + PKCE, no expires_in, session timeout → 401 INVALID_SESSION_ID."""

from __future__ import annotations

from fastapi.testclient import TestClient

from callbridge.clock import VirtualClock
from callbridge.sandbox.crm._kit.testing import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    authorize_code,
    client_for,
    code_grant_form,
)
from callbridge.sandbox.crm.salesforce import SalesforceSandboxConfig, create_app

from .conftest import API

TOKEN_KEYS = {"access_token", "refresh_token", "signature", "scope", "instance_url", "id",
              "token_type", "issued_at"}


def _code_tokens(client: TestClient) -> dict[str, str]:
    code = authorize_code(client, "/services/oauth2/authorize", scope="api refresh_token")
    answer = client.post("/services/oauth2/token", data=code_grant_form(code))
    assert answer.status_code == 200, answer.text
    tokens: dict[str, str] = answer.json()
    return tokens


def _status(client: TestClient, token: str) -> int:
    answer = client.get(f"{API}/limits", headers={"Authorization": f"Bearer {token}"})
    return int(answer.status_code)


def test_code_flow_answers_without_expires_in(client: TestClient) -> None:
    body = _code_tokens(client)
    assert set(body) == TOKEN_KEYS
    assert body["token_type"] == "Bearer"
    assert body["instance_url"] == "http://testserver"
    assert _status(client, body["access_token"]) == 200


def test_idle_session_times_out_then_refresh_gives_a_new_session(
    client: TestClient, clock: VirtualClock
) -> None:
    body = _code_tokens(client)
    clock.advance(7199)
    assert _status(client, body["access_token"]) == 200  # use renews the session
    clock.advance(7200)
    expired = client.get(f"{API}/limits",
                         headers={"Authorization": f"Bearer {body['access_token']}"})
    assert expired.status_code == 401
    assert expired.json() == [{"message": "Session expired or invalid",
                               "errorCode": "INVALID_SESSION_ID"}]
    refreshed = client.post("/services/oauth2/token", data={
        "grant_type": "refresh_token", "refresh_token": body["refresh_token"],
        "client_id": DEFAULT_CLIENT_ID, "client_secret": DEFAULT_CLIENT_SECRET})
    assert refreshed.status_code == 200
    assert "refresh_token" not in refreshed.json()
    assert _status(client, refreshed.json()["access_token"]) == 200


def test_session_timeout_is_configurable(clock: VirtualClock) -> None:
    client = client_for(create_app(SalesforceSandboxConfig(session_timeout_seconds=60), clock))
    body = _code_tokens(client)
    clock.advance(60)
    assert _status(client, body["access_token"]) == 401


def test_revoking_the_refresh_token_ends_its_sessions(client: TestClient) -> None:
    body = _code_tokens(client)
    assert client.post("/services/oauth2/revoke",
                       data={"token": body["refresh_token"]}).status_code == 200
    assert _status(client, body["access_token"]) == 401
    again = client.post("/services/oauth2/token", data={
        "grant_type": "refresh_token", "refresh_token": body["refresh_token"],
        "client_id": DEFAULT_CLIENT_ID, "client_secret": DEFAULT_CLIENT_SECRET})
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_wrong_verifier_and_wrong_password_are_invalid_grant(client: TestClient) -> None:
    code = authorize_code(client, "/services/oauth2/authorize")
    wrong = client.post("/services/oauth2/token", data=code_grant_form(code, "z" * 50))
    assert wrong.json()["error"] == "invalid_grant"
    login = client.post("/services/oauth2/token", data={
        "grant_type": "password", "client_id": DEFAULT_CLIENT_ID,
        "client_secret": DEFAULT_CLIENT_SECRET, "username": "alice@callbridge.test",
        "password": "nope"})
    assert login.json() == {"error": "invalid_grant", "error_description": "authentication failure"}


def test_userinfo_and_identity_name_the_user(client: TestClient) -> None:
    body = _code_tokens(client)
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    info = client.get("/services/oauth2/userinfo", headers=headers).json()
    assert info["email"] == "alice@callbridge.test"
    ident = client.get(body["id"].removeprefix("http://testserver"), headers=headers).json()
    assert ident["user_id"] == info["user_id"]
