"""How the readiness kit connects Clio to its sandbox (HTTP only; no sandbox import)."""

from __future__ import annotations

from callbridge.connectors.auth import TOKEN
from callbridge.connectors.base import Connector
from callbridge.connectors.conformance import KitSession, SandboxProfile
from callbridge.connectors.credentials import MemoryCredentialStore


async def connect(session: KitSession) -> Connector:
    """OAuth (authorization code + PKCE) as alice."""
    connector = session.build({"auth": "oauth"})
    await session.oauth_connect(connector)
    return connector


async def connect_read_only(session: KitSession) -> Connector:
    """A second OAuth connection whose user the sandbox then lets read but not write."""
    store = MemoryCredentialStore()
    connector = session.build({"auth": "oauth"}, store)
    await session.oauth_connect(connector)
    token = (await store.get(TOKEN) or {}).get("access_token", "")
    await session.control("POST", "/faults", {"set_scopes": {"token": token, "scopes": ["read"]}})
    return connector


PROFILE = SandboxProfile(
    sandbox="clio",
    activity_objects={"call": "communications", "message": "communications"},
    body_fields={"call": "body", "message": "body"},
    connect=connect,
    connect_restricted=connect_read_only,
)
