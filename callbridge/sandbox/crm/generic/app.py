"""``create_app`` for the generic REST CRM sandbox."""

from __future__ import annotations

from fastapi import FastAPI

from callbridge.clock import Clock
from callbridge.sandbox.crm._kit.app import build_app
from callbridge.sandbox.crm._kit.core import SandboxCore
from callbridge.sandbox.crm.generic import routes
from callbridge.sandbox.crm.generic.config import GenericSandboxConfig
from callbridge.sandbox.crm.generic.sandbox import GenericSandbox, seed


def create_app(config: GenericSandboxConfig | None = None, clock: Clock | None = None
               ) -> FastAPI:
    """A generic REST CRM; state on ``app.state.sandbox`` (a :class:`GenericSandbox`)."""
    cfg = config or GenericSandboxConfig()
    core = SandboxCore.create("generic", clock, cfg.clients, "gen", cfg.rng_seed)
    box = GenericSandbox(cfg, core)
    if cfg.seed:
        seed(box)
    app = build_app("Generic CRM sandbox", box)
    app.include_router(routes.router)
    return app
