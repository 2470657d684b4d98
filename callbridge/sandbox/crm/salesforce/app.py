"""``create_app`` for the Salesforce sandbox."""

from __future__ import annotations

from fastapi import FastAPI

from callbridge.clock import Clock
from callbridge.sandbox.crm._kit.app import build_app
from callbridge.sandbox.crm._kit.core import SandboxCore
from callbridge.sandbox.crm.salesforce import api, oauth_routes
from callbridge.sandbox.crm.salesforce.config import SalesforceSandboxConfig
from callbridge.sandbox.crm.salesforce.sandbox import SalesforceSandbox
from callbridge.sandbox.crm.salesforce.seed import seed


def create_app(config: SalesforceSandboxConfig | None = None, clock: Clock | None = None
               ) -> FastAPI:
    """A Salesforce simulator; state on ``app.state.sandbox`` (a :class:`SalesforceSandbox`)."""
    cfg = config or SalesforceSandboxConfig()
    core = SandboxCore.create("salesforce", clock, cfg.clients, "00D5e!AQ", cfg.rng_seed)
    box = SalesforceSandbox(cfg, core)
    if cfg.seed:
        seed(box)
    app = build_app("Salesforce sandbox", box)
    app.include_router(oauth_routes.router)
    app.include_router(api.router)
    return app
