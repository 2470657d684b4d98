"""How the readiness kit connects HubSpot to its sandbox (HTTP only; no sandbox import)."""

from __future__ import annotations

from callbridge.connectors.base import Connector
from callbridge.connectors.conformance import KitSession, SandboxProfile
from callbridge.connectors.credentials import MemoryCredentialStore

READ_ONLY_PRIVATE_APP = "pat-na1-callbridge-sandbox-0000-read-only"


async def connect(session: KitSession) -> Connector:
    """OAuth (authorization code + PKCE) as alice, the portal's admin."""
    connector = session.build({"auth": "oauth"})
    await session.oauth_connect(connector)
    await connector.get_user_info()  # learns the portal id for record URLs
    return connector


async def connect_read_only(session: KitSession) -> Connector:
    """bob's private-app key, granted only crm.objects.contacts.read."""
    store = MemoryCredentialStore({"api_key:org": {"api_key": READ_ONLY_PRIVATE_APP}})
    return session.build({"auth": "api_key", "account_id": "0"}, store)


PROFILE = SandboxProfile(
    sandbox="hubspot",
    activity_objects={"call": "calls", "message": "communications"},
    body_fields={"call": "hs_call_body", "message": "hs_communication_body"},
    connect=connect,
    connect_restricted=connect_read_only,
)
