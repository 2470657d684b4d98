"""``create_app`` for the Pipedrive sandbox."""

from __future__ import annotations

from fastapi import FastAPI

from callbridge.clock import Clock
from callbridge.sandbox.crm._kit.app import build_app
from callbridge.sandbox.crm._kit.core import SandboxCore
from callbridge.sandbox.crm.pipedrive import routes
from callbridge.sandbox.crm.pipedrive.config import PipedriveSandboxConfig
from callbridge.sandbox.crm.pipedrive.sandbox import PipedriveSandbox, seed


def create_app(config: PipedriveSandboxConfig | None = None, clock: Clock | None = None
               ) -> FastAPI:
    """A Pipedrive simulator; state on ``app.state.sandbox`` (a :class:`PipedriveSandbox`)."""
    cfg = config or PipedriveSandboxConfig()
    core = SandboxCore.create("pipedrive", clock, cfg.clients, "pd", cfg.rng_seed)
    box = PipedriveSandbox(cfg, core)
    if cfg.seed:
        seed(box)
    app = build_app("Pipedrive sandbox", box)
    app.include_router(routes.router)
    return app
