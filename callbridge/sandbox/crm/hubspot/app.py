"""``create_app`` for the HubSpot sandbox."""

from __future__ import annotations

from fastapi import FastAPI

from callbridge.clock import Clock
from callbridge.sandbox.crm._kit.app import build_app
from callbridge.sandbox.crm._kit.core import SandboxCore
from callbridge.sandbox.crm.hubspot import api, oauth_routes
from callbridge.sandbox.crm.hubspot.config import HubSpotSandboxConfig
from callbridge.sandbox.crm.hubspot.sandbox import HubSpotSandbox
from callbridge.sandbox.crm.hubspot.seed import seed


def create_app(config: HubSpotSandboxConfig | None = None, clock: Clock | None = None) -> FastAPI:
    """A HubSpot simulator; state on ``app.state.sandbox`` (a :class:`HubSpotSandbox`)."""
    cfg = config or HubSpotSandboxConfig()
    core = SandboxCore.create("hubspot", clock, cfg.clients, "hs", cfg.rng_seed)
    box = HubSpotSandbox(cfg, core)
    if cfg.seed:
        seed(box)
    else:
        for token, (_email, scopes) in cfg.private_app_tokens.items():
            core.tokens.add_static(token, "0", set(scopes))
    app = build_app("HubSpot sandbox", box)
    app.include_router(oauth_routes.router)
    app.include_router(api.router)
    return app
