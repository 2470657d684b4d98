"""The RingCentral client: JWT and PKCE sign-in, tokens sealed, refresh with rotation, typed
errors, rate groups, no token sent to foreign hosts, and no 429 when the budget plans."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select

from callbridge.db.models import SealedSecret
from callbridge.platforms.ringcentral.connection import VaultTokenStore
from callbridge.platforms.ringcentral.errors import AuthExpired, InvalidRequest, NotFound
from callbridge.platforms.ringcentral.groups import group_of
from tests.factories import make_organization
from tests.platforms.ringcentral.support import connect, open_rc, sandbox, seed, served


def _run(coro):
    return asyncio.run(coro)


@pytest.mark.parametrize(
    ("method", "path", "group"),
    [
        ("GET", "/restapi/v1.0/account/~/call-log", "heavy"),
        ("GET", "/restapi/v1.0/account/~/recording/1/content", "heavy"),
        ("GET", "/restapi/v1.0/account/~/extension/1/message-store", "light"),
        ("GET", "/restapi/v1.0/account/~/extension/1/message-store/2/content/3", "medium"),
        ("GET", "/restapi/v1.0/account/~/extension", "medium"),
        ("GET", "/restapi/v1.0/account/~/extension/1", "light"),
        ("POST", "/restapi/v1.0/subscription", "medium"),
        ("POST", "/restapi/oauth/token", "auth"),
    ],
)
def test_rate_groups_follow_the_reference(method, path, group):
    assert group_of(method, path) == group


def test_jwt_sign_in_seals_tokens_and_refreshes_before_expiry(runtime, clock):
    app = sandbox(clock)
    seed(app, clock, days=1)
    org = make_organization(runtime, "acme")
    connect(runtime, org.id, app)
    rc = open_rc(runtime, org.id, app, clock)

    async def go():
        first = await rc.client.auth.access_token()
        again = await rc.client.auth.access_token()
        clock.advance(timedelta(minutes=56))  # inside the 5-minute margin of a 60-minute token
        refreshed = await rc.client.auth.access_token()
        exts = await rc.client.list_extensions()
        await rc.aclose()
        return first, again, refreshed, exts

    first, again, refreshed, exts = _run(go())
    assert first == again != refreshed
    assert len(exts) == 3
    grants = [r for r in served(app, "/oauth/token")]
    assert len(grants) == 2
    with runtime.db.tenant(org.id) as session:
        blobs = [row.ciphertext for row in session.scalars(select(SealedSecret))]
    assert blobs and not any(refreshed.encode() in b or first.encode() in b for b in blobs)
    tokens = VaultTokenStore(runtime.db, runtime.vault, org.id, "default").load()
    assert tokens is not None and tokens.access_token == refreshed
    assert "refreshed" not in repr(tokens) and refreshed not in repr(tokens)


def test_revoked_session_without_jwt_is_auth_expired(runtime, clock):
    app = sandbox(clock)
    seed(app, clock, days=1)
    org = make_organization(runtime, "acme")
    connect(runtime, org.id, app)
    rc = open_rc(runtime, org.id, app, clock)

    async def go():
        await rc.client.auth.login_jwt()
        app.state.sandbox.tokens.revoke_all(None)
        rc.client.auth.app = type(rc.client.auth.app)(
            rc.client.auth.app.client_id, rc.client.auth.app.client_secret
        )
        with pytest.raises(AuthExpired) as info:
            await rc.client.list_extensions()
        await rc.aclose()
        return info.value

    err = _run(go())
    assert "reconnect" in (err.hint or "")
    assert "Bearer" not in str(err)


def test_expired_access_token_is_refreshed_once_on_401(runtime, clock):
    app = sandbox(clock)
    seed(app, clock, days=1)
    org = make_organization(runtime, "acme")
    connect(runtime, org.id, app)
    rc = open_rc(runtime, org.id, app, clock)

    async def go():
        await rc.client.auth.login_jwt()
        app.state.sandbox.tokens.expire_access_tokens()
        exts = await rc.client.list_extensions()
        await rc.aclose()
        return exts

    assert len(_run(go())) == 3
    statuses = [r["status"] for r in served(app, "/extension")]
    assert statuses == [401, 200]


def test_authorization_code_with_pkce(runtime, clock):
    app = sandbox(clock)
    seed(app, clock, days=1)
    org = make_organization(runtime, "acme")
    connect(runtime, org.id, app)
    rc = open_rc(runtime, org.id, app, clock)

    async def go():
        url, pkce = rc.client.auth.authorization_url("https://cb.example/oauth/callback/ringcentral", "st4te")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as raw:
            answer = await raw.get(url)
        query = parse_qs(urlsplit(answer.headers["location"]).query)
        assert query["state"] == ["st4te"]
        with pytest.raises(AuthExpired):
            await rc.client.auth.exchange_code(
                query["code"][0], "wrong-verifier", "https://cb.example/oauth/callback/ringcentral"
            )
        answer = await httpx.AsyncClient(transport=httpx.ASGITransport(app=app)).get(url)
        code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
        tokens = await rc.client.auth.exchange_code(
            code, pkce.verifier, "https://cb.example/oauth/callback/ringcentral"
        )
        await rc.aclose()
        return tokens

    assert _run(go()).refresh_token


def test_listing_pages_without_429_and_typed_not_found(runtime, clock):
    app = sandbox(clock)
    seed(app, clock, days=5, calls_per_day=20)
    org = make_organization(runtime, "acme")
    connect(runtime, org.id, app)
    rc = open_rc(runtime, org.id, app, clock)

    async def go():
        records = []
        async for page in rc.client.list_call_log(clock.now() - timedelta(days=6), clock.now(), per_page=2):
            records.extend(page.records)
        with pytest.raises(NotFound):
            await rc.client.get_recording("999999")
        with pytest.raises(InvalidRequest):
            async with rc.client.stream_media("https://evil.example/steal", "downloading"):
                pass
        await rc.aclose()
        return records

    records = _run(go())
    heavy = served(app, "/call-log")
    assert len(records) > 20 and len(heavy) > 10
    assert [r for r in app.state.sandbox.request_log if r["status"] == 429] == []
    assert rc.budget.throttled_total() == 0
