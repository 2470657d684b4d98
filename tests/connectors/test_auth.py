"""Auth strategies against the sandboxes: PKCE, refresh once then AuthExpired, keys, passwords."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from callbridge.connectors.auth import ApiKeyAuth, OAuth2, OAuthEndpoints, pkce_challenge
from callbridge.connectors.base import AuthExpired
from callbridge.connectors.credentials import MemoryCredentialStore
from tests.connectors.conftest import harness_for

pytestmark = pytest.mark.asyncio


async def sandbox_tokens(harness) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    return (await harness.session.control("GET", "/tokens"))["tokens"]


async def test_authorize_url_carries_pkce_and_state() -> None:
    store = MemoryCredentialStore({"oauth_client": {"client_id": "org-app", "client_secret": "s"}})
    auth = OAuth2.admin_managed(
        "HubSpot",
        OAuthEndpoints("https://crm.test/oauth/authorize", "https://crm.test/t", ("a", "b")),
        store,
        None,
        None,
    )  # type: ignore[arg-type]
    pending = await auth.begin("https://cb.test/cb")
    query = parse_qs(urlsplit(pending.url).query)
    assert query["client_id"] == ["org-app"] and query["scope"] == ["a b"]
    assert query["code_challenge"] == [pkce_challenge(pending.code_verifier)]
    assert query["code_challenge_method"] == ["S256"] and query["state"] == [pending.state]
    assert pending.code_verifier not in repr(pending)


async def test_admin_managed_oauth_without_a_client_app_says_what_to_do() -> None:
    auth = OAuth2.admin_managed(
        "HubSpot", OAuthEndpoints("https://a", "https://t"), MemoryCredentialStore(), None, None
    )  # type: ignore[arg-type]
    with pytest.raises(AuthExpired, match="client id and secret"):
        await auth.begin("https://cb.test/cb")


async def test_expired_token_is_refreshed_once_then_auth_expired() -> None:
    async with harness_for("hubspot") as h:
        connector = h.connector
        first = (await connector.ctx.credentials.get("token"))["access_token"]  # type: ignore[attr-defined]
        # the CRM expires every token early: one 401, one refresh, success
        await h.session.faults(expire_all_tokens=True)
        assert await connector.find_contact("+16505550101")
        token = await connector.ctx.credentials.get("token")  # type: ignore[attr-defined]
        assert token["access_token"] != first
        assert connector.auth.refreshes == 1
        # now the refresh token is revoked too: one refresh attempt, then AuthExpired
        await h.session.control("POST", "/faults", {"revoke_token": token["refresh_token"]})
        await h.session.faults(expire_all_tokens=True)
        with pytest.raises(AuthExpired) as caught:
            await connector.find_contact("+16505550199")
        assert "HubSpot" in str(caught.value) and "reconnect HubSpot" in str(caught.value)
        assert token["refresh_token"] not in str(caught.value)
        served = (await h.session.control("GET", "/requests"))["requests"]
        assert [(r["path"], r["status"]) for r in served[-2:]] == [
            ("/crm/v3/objects/contacts/search", 401),
            ("/oauth/v1/token", 400),
        ]  # one refresh, no loop


async def test_token_is_refreshed_before_expires_in_without_a_401() -> None:
    async with harness_for("hubspot") as h:
        h.clock.advance(timedelta(seconds=1800 - 30))  # inside the refresh margin of expires_in
        await h.connector.find_contact("+16505550101")
        assert h.connector.auth.refreshes == 1
        served = (await h.session.control("GET", "/requests"))["requests"]
        assert not [r for r in served if r["status"] == 401]


async def test_salesforce_session_timeout_refreshes_on_401() -> None:
    async with harness_for("salesforce") as h:
        h.clock.advance(timedelta(hours=3))  # past the org's session timeout; no expires_in given
        identity = await h.connector.get_user_info()
        assert identity.email == "alice@callbridge.test"
        assert h.connector.auth.refreshes == 1


async def test_api_key_per_user_before_the_shared_key() -> None:
    store = MemoryCredentialStore(
        {"api_key:org": {"api_key": "shared"}, "api_key:user:7": {"api_key": "mine"}}
    )
    mine = ApiKeyAuth("Pipedrive", store, user_id="7", header="x-api-token", scheme=None)
    assert (await mine.authorize()).headers == {"x-api-token": "mine"}
    other = ApiKeyAuth("Pipedrive", store, user_id="8", header=None, query_param="api_token")
    assert (await other.authorize()).params == {"api_token": "shared"}
    assert not await other.refresh(await other.authorize())
    await mine.forget()  # a user's disconnect keeps the organization's shared key
    assert store.names() == ["api_key:org"]
    with pytest.raises(AuthExpired, match="API key"):
        await ApiKeyAuth("X", MemoryCredentialStore()).authorize()


async def test_hubspot_private_app_key_and_salesforce_password_login() -> None:
    async with harness_for("hubspot") as h:
        assert (await h.restricted.get_user_info()).email == "bob@callbridge.test"
    async with harness_for("salesforce") as h:
        assert (await h.restricted.get_user_info()).email == "carol@callbridge.test"
        h.clock.advance(timedelta(hours=3))  # session over: log in again once
        assert (await h.restricted.get_user_info()).email == "carol@callbridge.test"
        store = h.restricted.ctx.credentials  # type: ignore[attr-defined]
        await store.put("password", {"username": "carol@callbridge.test", "password": "wrong"})
        h.clock.advance(timedelta(hours=3))
        with pytest.raises(AuthExpired, match="invalid_grant"):
            await h.restricted.get_user_info()
