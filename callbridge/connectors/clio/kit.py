"""How the readiness kit connects Clio to its sandbox (HTTP only; no sandbox import)."""

from __future__ import annotations

from callbridge.connectors.base import Connector
from callbridge.connectors.conformance import KitSession, SandboxProfile


async def connect(session: KitSession) -> Connector:
    """OAuth (authorization code + PKCE) as alice."""
    connector = session.build({"auth": "oauth"})
    await session.oauth_connect(connector)
    return connector


PROFILE = SandboxProfile(
    sandbox="clio",
    activity_objects={"call": "communications", "message": "communications"},
    body_fields={"call": "body", "message": "body"},
    connect=connect,
)
