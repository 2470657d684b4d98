"""Disconnecting a CRM: the token is revoked at the CRM sandbox (which then refuses it), the vault
holds nothing of the connection, the data stays, and a CRM that cannot revoke changes none of that
but is reported; the API and the CLI both do it, audited."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from callbridge.clock import SystemClock
from callbridge.connectors.base import AuthExpired
from callbridge.connectors.conformance import KitSession
from callbridge.connectors.credentials import MemoryCredentialStore, VaultCredentialStore
from callbridge.connectors.matching import MatchCache
from callbridge.connectors.proxy.builtin import GENERIC_KEY
from callbridge.db.models import (
    ActivityStatus,
    AuditEntry,
    CommunicationRow,
    ConnectionStatus,
    CrmConnection,
    DeadLetter,
    Job,
    JobStatus,
    Role,
    SealedSecret,
)
from callbridge.pipelines.logging.connections import (
    SYNC,
    Wiring,
    create_connection,
    registered_connector,
    set_wiring,
)
from callbridge.runtime import Runtime
from callbridge.sandbox.crm import SANDBOXES
from callbridge.sandbox.ringcentral.server import running_server
from tests.factories import OrgFixture, make_organization, member_token
from tests.pipelines.logging.support import (
    ALAN,
    BASE_URL,
    CONNECT,
    SANDBOX_CLIENT,
    T0,
    _hubspot_config,
    call,
    make_world,
)

# How each CRM is connected with OAuth (the connector's options, the authorize step's extras).
OAUTH: dict[str, tuple[dict[str, str], dict[str, str] | None]] = {
    "hubspot": ({"auth": "oauth"}, None),
    "salesforce": ({"auth": "oauth"}, {"login_hint": "alice@callbridge.test"}),
    "pipedrive": ({"auth": "oauth", "oauth_base": BASE_URL}, None),
    "clio": ({"auth": "oauth"}, None),
}
HUBSPOT_KEY = CONNECT["hubspot"][1]["api_key:org"]["api_key"]


def crm_connection(runtime: Runtime, org: OrgFixture) -> str:
    """An API-key HubSpot connection of ``org`` (a credential in the vault), for the route tests."""
    return create_connection(runtime, org.id, "hubspot", options={"auth": "api_key", "base_url": BASE_URL},
                             credentials={"api_key:org": {"api_key": f"pat-{org.slug}-{uuid.uuid4().hex}"}},
                             name=f"hubspot-{uuid.uuid4().hex[:8]}", actor="test")


# -- a sandbox per CRM, reached in-process ---------------------------------------------------------
class Crm:
    """One CRM sandbox app with a transport to it, and the product wired to it."""

    def __init__(self, runtime: Runtime, crm: str, *, clock: Any = None, sandbox: str | None = None,
                 breaker: Callable[[httpx.Request], httpx.Response | None] | None = None) -> None:
        self.crm = crm  # the connector
        self.clock = clock or runtime.clock
        sandbox = sandbox or crm
        self.app = (SANDBOXES[sandbox](_hubspot_config(), clock=self.clock) if sandbox == "hubspot"
                    else SANDBOXES[sandbox](clock=self.clock))
        self.transport = _Breakable(httpx.ASGITransport(app=self.app), breaker)

    def wire(self, runtime: Runtime) -> None:
        async def sleep(seconds: float) -> None:
            runtime.clock.advance(max(0.0, seconds))  # type: ignore[attr-defined]

        set_wiring(runtime, Wiring(transport=self.transport, sleep=sleep, max_retries=0,
                                   match_cache=MatchCache(runtime.clock),
                                   oauth_clients={self.crm: SANDBOX_CLIENT}))

    @asynccontextmanager
    async def kit(self) -> AsyncIterator[KitSession]:
        registered = registered_connector(self.crm)
        session = KitSession(registered, self.transport.inner, BASE_URL, self.clock, registered.kit_profile)
        try:
            yield session
        finally:
            await session.aclose()

    def oauth_connect(self, runtime: Runtime, org: OrgFixture, name: str | None = None,
                      login: str | None = None) -> str:
        """A product connection whose OAuth tokens the sandbox issued, sealed in the vault."""
        options, extra = OAUTH[self.crm]
        if login:
            extra = {**(extra or {}), "login_hint": login}
        connection_id = create_connection(runtime, org.id, self.crm,
                                          options={**options, "base_url": BASE_URL},
                                          credentials={}, name=name, actor="test")
        with runtime.db.tenant(org.id) as s:
            purpose = s.get_one(CrmConnection, connection_id).credential_purpose
        store = VaultCredentialStore(runtime, org.id, purpose)

        async def dance() -> None:
            async with self.kit() as kit:
                connector = kit.build(options, store)
                await kit.oauth_connect(connector, extra)
                await connector.aclose()

        asyncio.run(dance())
        return connection_id

    def accepts(self, token: dict[str, str], *, entry: str = "token") -> bool:
        """Whether the sandbox still honours these tokens (access, then a refresh on a 401)."""
        options = OAUTH[self.crm][0] if self.crm in OAUTH else {}

        async def ask() -> bool:
            async with self.kit() as kit:
                connector = kit.build(options, MemoryCredentialStore({entry: token}))
                try:
                    await connector.find_contact(ALAN)  # an API call with the token (then a refresh on 401)
                    return True
                except AuthExpired:
                    return False
                finally:
                    await connector.aclose()

        return asyncio.run(ask())


class _Breakable(httpx.AsyncBaseTransport):
    """The transport to a sandbox; ``breaker`` may answer (or raise) instead of the sandbox."""

    def __init__(self, inner: httpx.AsyncBaseTransport,
                 breaker: Callable[[httpx.Request], httpx.Response | None] | None) -> None:
        self.inner = inner
        self.breaker = breaker

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.breaker is not None:
            answer = self.breaker(request)
            if answer is not None:
                return answer
        return await self.inner.handle_async_request(request)


def _token(runtime: Runtime, org: OrgFixture, connection_id: str) -> dict[str, str]:
    with runtime.db.tenant(org.id) as s:
        purpose = s.get_one(CrmConnection, connection_id).credential_purpose
        return json.loads(runtime.vault.get_text(s, purpose, "token"))


def _secrets_of(runtime: Runtime, org: OrgFixture, connection_id: str) -> list[str]:
    with runtime.db.tenant(org.id) as s:
        purpose = s.get_one(CrmConnection, connection_id).credential_purpose
        return list(s.scalars(select(SealedSecret.name).where(SealedSecret.purpose == purpose)))


def _audit(runtime: Runtime, org: OrgFixture) -> list[AuditEntry]:
    with runtime.db.tenant(org.id) as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == "crm.disconnected")))


@pytest.fixture
def alpha(runtime):
    runtime.clock.set(T0)
    return make_organization(runtime, "alpha")


# -- the API ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("crm", sorted(OAUTH))
def test_disconnect_revokes_at_the_crm_deletes_every_secret_and_touches_nothing_else(
        runtime, client, alpha, bravo, crm):
    sandbox = Crm(runtime, crm)
    sandbox.wire(runtime)
    doomed = sandbox.oauth_connect(runtime, alpha)
    # Clio's deauthorize revokes every token of that user for the app: the others sign in as Bob
    other = "bob@callbridge.test" if crm == "clio" else None
    kept_here = sandbox.oauth_connect(runtime, alpha, name=f"{crm}-second", login=other)
    kept_there = sandbox.oauth_connect(runtime, bravo, login=other)
    old = _token(runtime, alpha, doomed)
    assert sandbox.accepts(old), "the control: the token works before the disconnect"
    assert _secrets_of(runtime, alpha, doomed)
    _, admin_token = member_token(runtime, alpha, "admin@alpha.example", Role.admin)

    answer = client.delete(f"/api/v1/logging/connections/{doomed}",
                           headers={"Authorization": f"Bearer {admin_token}"})

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["revocation"], body["revoked_at_crm"], body["status"]) == ("confirmed", True, "paused")
    assert body["credentials_deleted"] >= 1
    assert _secrets_of(runtime, alpha, doomed) == []
    assert not sandbox.accepts(old), "the CRM must refuse the revoked token (and its refresh)"
    for org, other in ((alpha, kept_here), (bravo, kept_there)):
        assert sandbox.accepts(_token(runtime, org, other)), "another connection's token was revoked"
    with runtime.db.tenant(alpha.id) as s:
        row = s.get_one(CrmConnection, doomed)
        assert row.status is ConnectionStatus.paused and "Disconnected by" in (row.paused_reason or "")
        assert s.get_one(CrmConnection, kept_here).status is ConnectionStatus.active
    [entry] = _audit(runtime, alpha)
    assert entry.object_id == doomed and entry.actor.startswith("user:")
    assert entry.details["revocation"] == "confirmed" and entry.details["revoked_at_crm"] is True
    assert _audit(runtime, bravo) == []
    assert old["access_token"] not in json.dumps(entry.details) + answer.text


def _refuse_revocation(kind: str) -> Callable[[httpx.Request], httpx.Response | None]:
    revoke_paths = ("/oauth/v1/refresh-tokens/", "/services/oauth2/revoke", "/oauth/revoke",
                    "/oauth/deauthorize")

    def breaker(request: httpx.Request) -> httpx.Response | None:
        if request.method in ("POST", "DELETE") and request.url.path.startswith(revoke_paths):
            if kind == "network":
                raise httpx.ConnectError("connection refused", request=request)
            return httpx.Response(503, json={"status": "error", "message": "down for maintenance"})
        return None

    return breaker


@pytest.mark.parametrize(("crm", "failure"), [("hubspot", "5xx"), ("clio", "5xx"), ("salesforce", "5xx"),
                                              ("pipedrive", "5xx"), ("hubspot", "network"),
                                              ("salesforce", "network"), ("pipedrive", "network")])
def test_when_the_crm_cannot_revoke_the_secret_is_deleted_all_the_same_and_the_answer_says_so(
        runtime, client, alpha, crm, failure):
    sandbox = Crm(runtime, crm)
    sandbox.wire(runtime)
    connection_id = sandbox.oauth_connect(runtime, alpha)
    old = _token(runtime, alpha, connection_id)
    sandbox.transport.breaker = _refuse_revocation(failure)

    answer = client.delete(f"/api/v1/logging/connections/{connection_id}", headers=alpha.auth)

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["revocation"], body["revoked_at_crm"]) == ("unconfirmed", False)
    assert "could not be confirmed" in body["message"] and "remove callbridge's access" in body["message"]
    assert _secrets_of(runtime, alpha, connection_id) == []
    sandbox.transport.breaker = None
    assert sandbox.accepts(old), "the test's premise: the CRM really did not revoke"
    [entry] = _audit(runtime, alpha)
    assert entry.details["revocation"] == "unconfirmed" and entry.details["revoked_at_crm"] is False
    assert "could not be confirmed" in entry.details["revocation_error"]


def test_an_api_key_is_deleted_and_reported_as_not_revocable_and_a_second_disconnect_is_harmless(
        runtime, client, alpha):
    connection_id = crm_connection(runtime, alpha)
    first = client.delete(f"/api/v1/logging/connections/{connection_id}", headers=alpha.auth)
    assert first.status_code == 200, first.text
    assert first.json()["revocation"] == "not_revocable" and "regenerate it" in first.json()["message"]
    assert _secrets_of(runtime, alpha, connection_id) == []
    again = client.delete(f"/api/v1/logging/connections/{connection_id}", headers=alpha.auth)
    assert again.status_code == 200, again.text
    assert (again.json()["revocation"], again.json()["credentials_deleted"]) == ("nothing_stored", 0)
    revocations = sorted(e.details["revocation"] for e in _audit(runtime, alpha))
    assert revocations == ["not_revocable", "nothing_stored"]


def test_a_declarative_connector_that_signs_out_revokes_even_its_api_key(runtime, client, alpha):
    sandbox = Crm(runtime, "generic_rest", sandbox="generic")
    sandbox.wire(runtime)
    key = {"api_key": GENERIC_KEY}
    connection_id = create_connection(runtime, alpha.id, "generic_rest", options={"base_url": BASE_URL},
                                      credentials={"api_key:org": key}, actor="test")
    assert sandbox.accepts(key, entry="api_key:org")
    answer = client.delete(f"/api/v1/logging/connections/{connection_id}", headers=alpha.auth)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["revocation"], answer.json()["revoked_at_crm"]) == ("confirmed", True)
    assert _secrets_of(runtime, alpha, connection_id) == []
    assert not sandbox.accepts(key, entry="api_key:org")


@pytest.mark.parametrize("role", [Role.member, Role.auditor])
def test_only_owners_and_admins_disconnect(runtime, client, alpha, role):
    connection_id = crm_connection(runtime, alpha)
    _, token = member_token(runtime, alpha, f"{role.value}@alpha.example", role)
    answer = client.delete(f"/api/v1/logging/connections/{connection_id}",
                           headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 403
    assert len(_secrets_of(runtime, alpha, connection_id)) == 1
    assert _audit(runtime, alpha) == []


def test_logged_data_is_kept_and_later_communications_wait_instead_of_dying(runtime, client, alpha):
    world = make_world(runtime, alpha, "hubspot", keep_clock=True)
    world.store(call("kept-1"))
    world.settle()
    [logged] = world.rows()
    assert logged.status is ActivityStatus.created
    in_crm = len(world.activities())

    answer = client.delete(f"/api/v1/logging/connections/{world.connection_id}", headers=alpha.auth)
    assert answer.status_code == 200, answer.text

    world.store(call("after-1", number="+16505550102"))
    world.settle()
    rows = {r.communication_key: r for r in world.rows()}
    assert rows[logged.communication_key].status is ActivityStatus.created  # kept, with its CRM id
    assert rows[logged.communication_key].crm_activity_id == logged.crm_activity_id
    waiting = next(r for k, r in rows.items() if k != logged.communication_key)
    assert waiting.status is ActivityStatus.waiting and waiting.crm_activity_id is None
    assert world.dead() == []
    with runtime.db.tenant(alpha.id) as s:
        assert len(list(s.scalars(select(CommunicationRow)))) == 2
        assert {j.status for j in s.scalars(select(Job).where(Job.kind == SYNC))} == {JobStatus.done}
        assert list(s.scalars(select(DeadLetter))) == []
    assert len(world.activities()) == in_crm  # nothing logged through a disconnected CRM

    # connecting again logs what waited
    create_connection(runtime, alpha.id, "hubspot", options={},
                      credentials={"api_key:org": {"api_key": HUBSPOT_KEY}}, actor="test")
    world.settle()
    assert world.row(waiting.communication_key).status is ActivityStatus.created
    assert len(world.activities()) == in_crm + 1


# -- the CLI ---------------------------------------------------------------------------------------
@pytest.fixture
def cli_env(cli_env, monkeypatch):
    """The shared CLI environment (tests/conftest.py), plus what these tests need."""
    monkeypatch.setenv("CALLBRIDGE_HTTP_MAX_RETRIES", "0")
    monkeypatch.setenv("CALLBRIDGE_ALLOW_PRIVATE_DESTINATIONS", "true")  # the sandbox listens on loopback


def _cli(*args: str) -> Any:
    from callbridge.cli.main import app

    return CliRunner().invoke(app, ["disconnect", *args])


def test_cli_disconnect_revokes_at_a_live_sandbox(runtime, cli_env):
    """The CLI builds its own runtime: it reaches the sandbox over real HTTP on loopback."""
    org = make_organization(runtime, "alpha")
    sandbox = Crm(runtime, "hubspot", clock=SystemClock())
    with running_server(sandbox.app) as base:
        options, _ = OAUTH["hubspot"]
        connection_id = create_connection(runtime, org.id, "hubspot", options={**options, "base_url": base},
                                          credentials={}, name="crm-main", actor="test")
        with runtime.db.tenant(org.id) as s:
            purpose = s.get_one(CrmConnection, connection_id).credential_purpose

        async def dance() -> None:
            async with sandbox.kit() as kit:
                connector = kit.build(options, VaultCredentialStore(runtime, org.id, purpose))
                await kit.oauth_connect(connector)
                await connector.aclose()

        asyncio.run(dance())
        old = _token(runtime, org, connection_id)
        assert sandbox.accepts(old)

        wrong = _cli("salesforce", "--org", "alpha", "--connection", "crm-main")
        assert wrong.exit_code == 2 and "is a hubspot connection" in wrong.output
        unknown = _cli("hubspot", "--org", "alpha")
        assert unknown.exit_code == 2 and "crm-main" in unknown.output  # names the connections it has
        assert _secrets_of(runtime, org, connection_id)

        done = _cli("hubspot", "--org", "alpha", "--connection", "crm-main")
    assert done.exit_code == 0, done.output
    assert "Disconnected crm-main" in done.output and "revoked the token" in done.output
    assert _secrets_of(runtime, org, connection_id) == []
    assert not sandbox.accepts(old)
    [entry] = _audit(runtime, org)
    assert entry.actor == "cli:disconnect" and entry.details["revocation"] == "confirmed"


def test_cli_exits_3_when_the_crm_cannot_be_reached_but_deletes_the_secret(runtime, cli_env):
    org = make_organization(runtime, "alpha")
    connection_id = create_connection(runtime, org.id, "hubspot",
                                      options={"auth": "oauth", "base_url": "http://127.0.0.1:9"},
                                      credentials={"token": {"access_token": "at-1",
                                                             "refresh_token": "rt-1"}},
                                      actor="test")
    done = _cli("hubspot", "--org", "alpha")
    assert done.exit_code == 3, done.output
    assert "could not be confirmed" in done.output and "rt-1" not in done.output
    assert _secrets_of(runtime, org, connection_id) == []
    [entry] = _audit(runtime, org)
    assert entry.details["revocation"] == "unconfirmed"
