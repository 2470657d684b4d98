"""The built-in declarative connectors (``manifests/``) as registry entries, with kit profiles.

``manifests/<name>.yaml`` is a manifest in callbridge's format; ``manifests/<name>.json`` is an
App Connect proxy config, imported with ``manifests/<name>.overlay.yaml`` merged over it.
"""

from __future__ import annotations

from pathlib import Path

from callbridge.connectors.auth import ApiKeyAuth, Auth, OAuth2, OAuthEndpoints
from callbridge.connectors.base import Connector
from callbridge.connectors.conformance import KitSession, PhoneProfile, SandboxProfile
from callbridge.connectors.credentials import MemoryCredentialStore
from callbridge.connectors.proxy.appconnect import import_appconnect_file
from callbridge.connectors.proxy.connector import connector_class
from callbridge.connectors.proxy.loader import CompiledManifest, load_manifest
from callbridge.connectors.proxy.model import OAuthAuth
from callbridge.connectors.registry import ConnectorContext, ConnectorFactory, RegisteredConnector

__all__ = ["MANIFESTS", "builtin_connectors", "factory_for", "registered"]

MANIFESTS = Path(__file__).with_name("manifests")
GENERIC_KEY = "generic-callbridge-sandbox-key-alice"  # a sandbox seed, not a secret
GENERIC_READ_ONLY_KEY = "generic-callbridge-sandbox-key-carol-read-only"  # a sandbox seed


def factory_for(manifest: CompiledManifest) -> ConnectorFactory:
    """Build a connector from ``ctx``: ``options`` are the manifest's settings."""
    cls = connector_class(manifest)
    model = manifest.model

    def build(ctx: ConnectorContext) -> Connector:
        http = ctx.http(model.display_name, guarded=True)  # a tenant admin wrote this base URL
        auth: Auth
        if isinstance(model.auth, OAuthAuth):
            endpoints = OAuthEndpoints(model.auth.authorize_url, model.auth.token_url,
                                       tuple(model.auth.scopes), model.auth.revoke_url)
            auth = OAuth2(model.display_name, endpoints, ctx.credentials, http, ctx.clock,
                          client=ctx.oauth_client if ctx.options.get("auth") == "oauth" else None)
        else:
            auth = ApiKeyAuth(model.display_name, ctx.credentials,
                              user_id=ctx.options.get("user_id"), header=None, scheme=None)
        return cls(auth=auth, http=http, settings=ctx.options, default_region=ctx.default_region,
                   clock=ctx.clock)

    return build


async def _connect_with_key(session: KitSession) -> Connector:
    store = MemoryCredentialStore({"api_key:org": {"api_key": GENERIC_KEY}})
    return session.build({}, store)


async def _connect_read_only(session: KitSession) -> Connector:
    store = MemoryCredentialStore({"api_key:org": {"api_key": GENERIC_READ_ONLY_KEY}})
    return session.build({}, store)


GENERIC_PROFILE = SandboxProfile(
    sandbox="generic",
    activity_objects={"call": "activities", "message": "activities"},
    body_fields={"call": "description", "message": "description"},
    connect=_connect_with_key,
    connect_restricted=_connect_read_only,
    # the generic CRM keeps one number per contact (no mobiles): national spellings it stores
    phones=PhoneProfile(national=("+442079460959", "+16505550103", "+493012345678")),
)


def registered(manifest: CompiledManifest, source: Path) -> RegisteredConnector:
    profile = GENERIC_PROFILE if manifest.name.startswith("generic_") else None
    return RegisteredConnector(connector_class(manifest).info, factory_for(manifest),
                               f"manifest:{source}", profile)


def builtin_connectors() -> list[RegisteredConnector]:
    found = []
    for path in sorted(MANIFESTS.glob("*.yaml")):
        if not path.name.endswith(".overlay.yaml"):
            found.append(registered(load_manifest(path), path))
    for path in sorted(MANIFESTS.glob("*.json")):
        overlay = path.with_suffix(".overlay.yaml")
        manifest = import_appconnect_file(path, overlay if overlay.exists() else None)
        found.append(registered(manifest, path))
    return found
