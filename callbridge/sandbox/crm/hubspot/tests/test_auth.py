"""HubSpot OAuth: code + PKCE, expires_in 1800 on the virtual clock, refresh, revocation."""

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
from callbridge.sandbox.crm.hubspot import HubSpotSandboxConfig, create_app
from callbridge.sandbox.crm.hubspot.config import PRIVATE_APP_TOKEN

CONTACT_SCOPES = "crm.objects.contacts.read crm.objects.contacts.write oauth"


def _tokens(client: TestClient) -> dict[str, object]:
    code = authorize_code(client, "/oauth/authorize", scope=CONTACT_SCOPES)
    answer = client.post("/oauth/v1/token", data=code_grant_form(code))
    assert answer.status_code == 200, answer.text
    tokens: dict[str, object] = answer.json()
    return tokens


def _me(client: TestClient, token: object) -> int:
    answer = client.get("/crm/v3/objects/contacts", headers={"Authorization": f"Bearer {token}"})
    return int(answer.status_code)


def test_code_with_pkce_gives_bearer_token_lasting_1800_seconds(client: TestClient) -> None:
    body = _tokens(client)
    assert set(body) == {"access_token", "refresh_token", "expires_in", "token_type"}
    assert body["expires_in"] == 1800
    assert body["token_type"] == "bearer"
    assert _me(client, body["access_token"]) == 200


def test_code_is_single_use_and_needs_the_right_verifier(client: TestClient) -> None:
    code = authorize_code(client, "/oauth/authorize")
    wrong = client.post("/oauth/v1/token", data=code_grant_form(code, verifier="y" * 50))
    assert wrong.status_code == 400
    assert wrong.json()["status"] == "BAD_AUTH_CODE"
    code = authorize_code(client, "/oauth/authorize")
    assert client.post("/oauth/v1/token", data=code_grant_form(code)).status_code == 200
    again = client.post("/oauth/v1/token", data=code_grant_form(code))
    assert again.json()["status"] == "BAD_AUTH_CODE"


def test_token_expires_on_the_virtual_clock_and_refresh_keeps_refresh_token(
    client: TestClient, clock: VirtualClock
) -> None:
    body = _tokens(client)
    clock.advance(1799)
    assert _me(client, body["access_token"]) == 200
    clock.advance(1)
    expired = client.get("/crm/v3/objects/contacts",
                         headers={"Authorization": f"Bearer {body['access_token']}"})
    assert expired.status_code == 401
    assert expired.json()["category"] == "EXPIRED_AUTHENTICATION"
    refreshed = client.post("/oauth/v1/token", data={
        "grant_type": "refresh_token", "refresh_token": body["refresh_token"],
        "client_id": DEFAULT_CLIENT_ID, "client_secret": DEFAULT_CLIENT_SECRET})
    assert refreshed.status_code == 200
    assert refreshed.json()["refresh_token"] == body["refresh_token"]
    assert _me(client, refreshed.json()["access_token"]) == 200


def test_deleting_the_refresh_token_revokes_it_and_its_access_tokens(
    client: TestClient,
) -> None:
    body = _tokens(client)
    info = client.get(f"/oauth/v1/refresh-tokens/{body['refresh_token']}")
    assert info.json()["hub_id"] == HubSpotSandboxConfig().portal_id
    assert client.delete(f"/oauth/v1/refresh-tokens/{body['refresh_token']}").status_code == 204
    assert _me(client, body["access_token"]) == 401
    again = client.post("/oauth/v1/token", data={
        "grant_type": "refresh_token", "refresh_token": body["refresh_token"],
        "client_id": DEFAULT_CLIENT_ID, "client_secret": DEFAULT_CLIENT_SECRET})
    assert again.json()["status"] == "BAD_REFRESH_TOKEN"


def test_access_token_info_names_user_hub_and_scopes(client: TestClient) -> None:
    body = _tokens(client)
    info = client.get(f"/oauth/v1/access-tokens/{body['access_token']}").json()
    assert info["user"] == "alice@callbridge.test"
    assert "crm.objects.contacts.write" in info["scopes"]
    assert info["expires_in"] == 1800


def test_private_app_token_does_not_expire(client: TestClient, clock: VirtualClock) -> None:
    clock.advance(86400 * 30)
    assert _me(client, PRIVATE_APP_TOKEN) == 200


def test_missing_and_unknown_tokens_are_401_invalid_authentication(client: TestClient) -> None:
    missing = client.get("/crm/v3/objects/contacts")
    assert missing.status_code == 401
    assert missing.json()["category"] == "INVALID_AUTHENTICATION"
    assert _me(client, "nope") == 401


def test_bad_client_secret_is_refused(client: TestClient) -> None:
    code = authorize_code(client, "/oauth/authorize")
    form = {**code_grant_form(code), "client_secret": "wrong"}
    assert client.post("/oauth/v1/token", data=form).json()["status"] == "BAD_CLIENT_ID"


def test_consent_page_when_not_auto_approving(clock: VirtualClock) -> None:
    client = client_for(create_app(HubSpotSandboxConfig(auto_approve=False), clock))
    params = {"client_id": DEFAULT_CLIENT_ID, "redirect_uri": "https://x.test/cb",
              "state": "s"}
    page = client.get("/oauth/authorize", params=params)
    assert page.status_code == 200
    assert "Allow access?" in page.text
    approved = client.post("/oauth/authorize", data={**params, "decision": "allow"})
    assert approved.status_code == 302
    assert "code=" in approved.headers["location"]
    denied = client.post("/oauth/authorize", data={**params, "decision": "deny"})
    assert "error=access_denied" in denied.headers["location"]


def test_pkce_can_be_required(clock: VirtualClock) -> None:
    client = client_for(create_app(HubSpotSandboxConfig(require_pkce=True), clock))
    answer = client.get("/oauth/authorize", params={
        "client_id": DEFAULT_CLIENT_ID, "redirect_uri": "https://x.test/cb"})
    assert "error=invalid_request" in answer.headers["location"]
