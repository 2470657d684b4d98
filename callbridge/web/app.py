"""The FastAPI application: health probes, the JSON API under /api/v1, OpenAPI at /docs."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

import callbridge
from callbridge.runtime import Runtime
from callbridge.web.api import audit, credentials, jobs, members, organization, tokens
from callbridge.web.errors import install_error_handlers
from callbridge.web.health import router as health_router

__all__ = ["API_PREFIX", "create_app"]

API_PREFIX = "/api/v1"


def create_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(
        title="callbridge",
        version=callbridge.__version__,
        description="Self-hosted bridge between phone/meeting platforms and CRMs.",
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    app.state.runtime = runtime
    install_error_handlers(app)
    app.include_router(health_router)
    api = APIRouter(prefix=API_PREFIX)
    for module in (organization, members, tokens, jobs, audit, credentials):
        api.include_router(module.router)
    app.include_router(api)
    return app
