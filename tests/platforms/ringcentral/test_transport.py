"""The transport takes a budget slot first and only then the token (a wait longer than a token's
life sends a fresh one, not a dead one); the slot is counted from the real send; a pool of
credentials sends through the one that frees first, and loses a revoked one without failing."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from callbridge.errors import InvalidInput
from callbridge.platforms.ringcentral.connection import VaultTokenStore
from callbridge.platforms.ringcentral.errors import AuthExpired
from callbridge.platforms.ringcentral.factory import Identity
from callbridge.sandbox.ringcentral.config import RateGroupLimit
from tests.factories import make_organization
from tests.platforms.ringcentral.support import connect, connect_user, open_rc, sandbox, seed, served


def _when(entry) -> datetime:
    return datetime.fromisoformat(entry["time"].replace("Z", "+00:00"))


def _account(runtime, clock, **limits):
    app = sandbox(clock)
    for group, limit in limits.items():
        app.state.sandbox.config.rate_limits.groups[group] = limit
    seed(app, clock, days=4)  # (the clock starts on a Monday: the weekend is quiet)
    org = make_organization(runtime, "acme")
    connect(runtime, org.id, app)
    return app, org


def test_a_wait_longer_than_the_token_lifetime_sends_a_refreshed_token(runtime, clock):
    # a two-hour penalty: longer than the one-hour access token
    app, org = _account(runtime, clock, Heavy=RateGroupLimit(limit=10, penalty_seconds=7200))
    state = app.state.sandbox
    rc = open_rc(runtime, org.id, app, clock)

    async def go():
        try:
            await rc.client.auth.login_jwt()
            first = VaultTokenStore(runtime.db, runtime.vault, org.id, "default").load()
            admin = state.admin_extension()
            for _ in range(10):  # another client of the same user has used the Heavy budget up
                state.limiter.check(state.config.auth.client_id, str(admin.id), "Heavy")
            start = clock.now()
            total = await rc.client.count_call_log(start - timedelta(days=5), start)
            return first, start, total
        finally:
            await rc.aclose()

    first, start, total = asyncio.run(go())
    assert total > 0
    calls = served(app, "/call-log")
    assert [c["status"] for c in calls] == [429, 200]  # no 401: the dead token was never sent
    assert _when(calls[1]) >= start + timedelta(seconds=7200)  # the penalty was waited out
    grants = served(app, "/oauth/token")
    assert len(grants) == 2 and _when(grants[1]) >= start + timedelta(
        seconds=7200
    )  # refreshed after the wait
    last = VaultTokenStore(runtime.db, runtime.vault, org.id, "default").load()
    assert last.access_token != first.access_token and last.access_expires_at > clock.now()
    assert first.access_expires_at < _when(calls[1])  # the first token had died meanwhile


def test_the_slot_is_counted_from_the_real_send_when_the_refresh_had_to_wait(runtime, clock):
    app, org = _account(runtime, clock)
    rc = open_rc(runtime, org.id, app, clock)

    async def go():
        try:
            await rc.client.auth.login_jwt()
            clock.advance(timedelta(hours=1))  # the token is due for a refresh
            for _ in range(5):  # ... and this credential's Auth budget is used up for a minute
                rc.budget.acquire("auth")
            asked = clock.now()
            await rc.client.count_call_log(asked - timedelta(days=1), asked)
            return asked
        finally:
            await rc.aclose()

    asked = asyncio.run(go())
    sent = served(app, "/call-log")[-1]
    assert _when(sent) == asked + timedelta(seconds=61)  # it left after the refresh could go
    heavy = rc.budget.store.read(rc.budget.key("heavy"))
    assert heavy.sent == [(asked + timedelta(seconds=61)).timestamp()]  # counted then, not when asked


def test_a_pool_sends_through_the_credential_whose_budget_frees_first(runtime, clock):
    app, org = _account(runtime, clock)
    admin = str(app.state.sandbox.admin_extension().id)
    other = connect_user(runtime, org.id, app, clock, name="admin2")
    rc = open_rc(runtime, org.id, app, clock, pool=["admin2"])
    a, _b = rc.credentials

    async def go():
        try:
            await a.auth.login_jwt()
            for _ in range(10):  # 'default' has just spent its Heavy window
                a.budget.acquire("heavy")
            start = clock.now()
            await rc.client.count_call_log(start - timedelta(days=1), start)
            first = (clock.now(), served(app, "/call-log")[-1]["extension_id"])
            for _ in range(29):
                await rc.client.count_call_log(start - timedelta(days=1), start)
            return start, first
        finally:
            await rc.aclose()

    start, (at, via) = asyncio.run(go())
    assert at == start and via == int(other)  # no wait: the free credential took it
    calls = served(app, "/call-log")
    assert [c["status"] for c in calls] == [200] * 30
    users = [str(c["extension_id"]) for c in calls]
    # 'admin2' had 10 at once; then both windows reopened after 61 s and shared the rest
    assert users.count(other) == 20 and users.count(admin) == 10
    assert clock.now() - start == timedelta(seconds=61)
    assert (
        rc.throttled_total() == 0 and [r for r in app.state.sandbox.request_log if r["status"] == 429] == []
    )


def test_a_revoked_credential_leaves_the_pool_and_the_others_finish(runtime, clock):
    app, org = _account(runtime, clock)
    other = connect_user(runtime, org.id, app, clock, name="admin2")
    rc = open_rc(runtime, org.id, app, clock, pool=["admin2"])
    app.state.sandbox.tokens.revoke_all(int(other))  # the second admin's session ends (password change)

    async def go():
        try:
            for _ in range(6):
                await rc.client.count_call_log(clock.now() - timedelta(days=1), clock.now())
            with pytest.raises(AuthExpired):  # a request for that credential alone cannot go
                await rc.client.whoami("admin2")
        finally:
            await rc.aclose()

    asyncio.run(go())
    a, b = rc.credentials
    assert a.out is None and b.out and "expired or was revoked" in b.out
    statuses = [(c["extension_id"], c["status"]) for c in served(app, "/call-log")]
    assert statuses.count((None, 401)) == 1  # tried once (the revoked token names no one), dropped
    assert [s for s in statuses if s[1] == 200] == [(app.state.sandbox.admin_extension().id, 200)] * 6


def test_the_last_credential_of_a_pool_raises_auth_expired(runtime, clock):
    app, org = _account(runtime, clock)
    other = connect_user(runtime, org.id, app, clock, name="admin2")
    rc = open_rc(runtime, org.id, app, clock, connection="admin2")
    app.state.sandbox.tokens.revoke_all(int(other))

    async def go():
        try:
            with pytest.raises(AuthExpired) as info:
                await rc.client.count_call_log(clock.now() - timedelta(days=1), clock.now())
            return info.value
        finally:
            await rc.aclose()

    err = asyncio.run(go())
    assert "reconnect" in (err.hint or "")


def test_identify_refuses_a_pool_of_one_user_or_of_two_accounts(runtime, clock):
    app, org = _account(runtime, clock)
    connect(runtime, org.id, app, name="same-admin")  # the same JWT: the same user
    rc = open_rc(runtime, org.id, app, clock, pool=["same-admin"])

    async def go():
        try:
            identity = await rc.identify(check=False)
            with pytest.raises(InvalidInput) as info:
                identity.check()
            return identity, info.value
        finally:
            await rc.aclose()

    identity, err = asyncio.run(go())
    assert identity.account_id == app.state.sandbox.config.account_id
    assert "'default' and 'same-admin' sign in as the same user" in err.message
    assert err.field == "connection" and "different admin" in (err.hint or "")
    with pytest.raises(InvalidInput) as two:
        Identity({"a": "111", "b": "222"}, {"a": "1", "b": "2"}).check()
    assert "different RingCentral accounts" in two.value.message
    Identity({"a": "111", "b": "111"}, {"a": "1", "b": "2"}).check()  # one account, two users: fine
