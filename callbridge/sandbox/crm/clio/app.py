"""``create_app`` for the Clio sandbox."""

from __future__ import annotations

from fastapi import FastAPI

from callbridge.clock import Clock
from callbridge.sandbox.crm._kit.app import build_app
from callbridge.sandbox.crm._kit.core import SandboxCore
from callbridge.sandbox.crm.clio import routes
from callbridge.sandbox.crm.clio.config import ClioSandboxConfig
from callbridge.sandbox.crm.clio.sandbox import ClioSandbox, seed


def create_app(config: ClioSandboxConfig | None = None, clock: Clock | None = None) -> FastAPI:
    """A Clio Manage simulator; state on ``app.state.sandbox`` (a :class:`ClioSandbox`)."""
    cfg = config or ClioSandboxConfig()
    core = SandboxCore.create("clio", clock, cfg.clients, f"clio-{cfg.region}", cfg.rng_seed)
    box = ClioSandbox(cfg, core)
    if cfg.seed:
        seed(box)
    app = build_app("Clio sandbox", box)
    app.include_router(routes.router)
    return app
