"""`create_app()`: the RingCentral sandbox as a FastAPI app (in-process or under uvicorn)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from callbridge.clock import Clock, SystemClock

from . import auth, call_log, control, extensions, messages, recordings, subscriptions
from .config import RingCentralSandboxConfig
from .errors import RCError, rc_error_handler
from .middleware import SandboxMiddleware
from .state import SandboxState

__all__ = ["create_app"]


async def _validation_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    if request.url.path.startswith("/_sandbox"):
        return JSONResponse({"detail": exc.errors()}, status_code=422)
    first = exc.errors()[0] if exc.errors() else {}
    name = str(first.get("loc", ["", "request"])[-1])
    message = f"Parameter [{name}] value is invalid"
    return JSONResponse({"errorCode": "CMN-101", "message": message, "parameterName": name,
                         "errors": [{"errorCode": "CMN-101", "message": message,
                                     "parameterName": name}]}, status_code=400)


def create_app(
    config: RingCentralSandboxConfig | None = None,
    clock: Clock | None = None,
    *,
    webhook_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """Build a sandbox; its state is `app.state.sandbox` (a :class:`SandboxState`)."""
    cfg = config or RingCentralSandboxConfig()
    state = SandboxState(cfg, clock or SystemClock())
    state.webhooks.transport = webhook_transport

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        task = None
        interval = cfg.webhooks.auto_deliver_interval_seconds
        if interval is None and not state.virtual:
            interval = 1.0  # a real-time server delivers due webhooks by itself
        if interval:
            task = asyncio.create_task(_pump_forever(state, interval))
        try:
            yield {}
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app = FastAPI(title="callbridge RingCentral sandbox", version="1.0", lifespan=lifespan,
                  docs_url="/_sandbox/docs", openapi_url="/_sandbox/openapi.json",
                  redoc_url=None)
    app.state.sandbox = state
    app.add_exception_handler(RCError, rc_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)
    for module in (auth, call_log, recordings, extensions, messages, subscriptions, control):
        app.include_router(module.router)
    app.add_middleware(SandboxMiddleware, state=state)
    return app


async def _pump_forever(state: SandboxState, interval: float) -> None:
    """Real-server mode: deliver due webhooks every `interval` seconds of real time."""
    while True:
        await asyncio.sleep(interval)
        with contextlib.suppress(Exception):
            await state.webhooks.pump()
