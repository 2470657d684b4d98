"""The FastAPI application: health probes, the JSON API under /api/v1, OpenAPI at /docs."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

import callbridge
from callbridge.runtime import Runtime
from callbridge.web.api import (
    audit,
    credentials,
    jobs,
    logging,
    members,
    organization,
    preferences,
    privacy,
    tokens,
)
from callbridge.web.errors import install_error_handlers
from callbridge.web.health import router as health_router
from callbridge.web.media import router as media_router
from callbridge.web.webhooks.ringcentral import router as ringcentral_webhooks
from callbridge.web.webhooks.zoom import router as zoom_webhooks

__all__ = ["API_PREFIX", "API_ROUTERS", "create_app"]

API_PREFIX = "/api/v1"
API_ROUTERS = tuple(
    m.router
    for m in (organization, privacy, members, tokens, jobs, audit, credentials, logging, preferences)
)


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
    app.include_router(ringcentral_webhooks)
    app.include_router(zoom_webhooks)
    app.include_router(media_router)
    api = APIRouter(prefix=API_PREFIX)
    for router in API_ROUTERS:
        api.include_router(router)
    app.include_router(api)
    return app
