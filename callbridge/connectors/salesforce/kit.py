"""How the readiness kit connects Salesforce to its sandbox (HTTP only; no sandbox import)."""

from __future__ import annotations

from callbridge.connectors.base import Connector
from callbridge.connectors.conformance import KitSession, SandboxProfile
from callbridge.connectors.credentials import MemoryCredentialStore

SEED_PASSWORD = "sandbox-password"  # noqa: S105 - the sandbox's seeded, public test password
SEED_SECURITY_TOKEN = "SANDBOXTOKEN"  # noqa: S105 - likewise


async def connect(session: KitSession) -> Connector:
    """OAuth (authorization code + PKCE) as alice, an admin."""
    connector = session.build({"auth": "oauth"})
    await session.oauth_connect(connector, {"login_hint": "alice@callbridge.test"})
    return connector


async def connect_read_only(session: KitSession) -> Connector:
    """carol, read-only, with the legacy username/password (+ security token) login."""
    store = MemoryCredentialStore({"password": {"username": "carol@callbridge.test",
                                                "password": SEED_PASSWORD,
                                                "security_token": SEED_SECURITY_TOKEN}})
    return session.build({"auth": "password"}, store)


PROFILE = SandboxProfile(
    sandbox="salesforce",
    activity_objects={"call": "Task", "message": "Task"},
    body_fields={"call": "Description", "message": "Description"},
    connect=connect,
    connect_restricted=connect_read_only,
    rate_limit_fault={"force_429": 1},  # Salesforce says REQUEST_LIMIT_EXCEEDED (403): no retry
)
