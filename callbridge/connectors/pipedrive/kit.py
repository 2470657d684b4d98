"""How the readiness kit connects Pipedrive to its sandbox (HTTP only; no sandbox import)."""

from __future__ import annotations

from callbridge.connectors.base import Connector
from callbridge.connectors.conformance import KitSession, SandboxProfile
from callbridge.connectors.credentials import MemoryCredentialStore

ADMIN_TOKEN = "pd-callbridge-sandbox-api-token-alice"  # noqa: S105 - a sandbox seed
READ_ONLY_TOKEN = "pd-callbridge-sandbox-api-token-carol"  # noqa: S105 - a sandbox seed


async def connect(session: KitSession) -> Connector:
    """OAuth (authorization code + PKCE) as alice; the token names the company's api_domain."""
    connector = session.build({"auth": "oauth", "oauth_base": session.base_url})
    await session.oauth_connect(connector)
    await connector.get_user_info()  # learns the company domain for record URLs
    return connector


async def connect_read_only(session: KitSession) -> Connector:
    """carol's API token: read scopes only."""
    store = MemoryCredentialStore({"api_key:org": {"api_key": READ_ONLY_TOKEN}})
    return session.build({"auth": "api_key"}, store)


PROFILE = SandboxProfile(
    sandbox="pipedrive",
    activity_objects={"call": "activities", "message": "notes"},
    body_fields={"call": "note", "message": "content"},
    connect=connect,
    connect_restricted=connect_read_only,
)
