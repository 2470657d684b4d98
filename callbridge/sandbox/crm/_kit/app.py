"""Build a sandbox FastAPI app: state, error rendering, request log, latency, control API."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from callbridge.sandbox.crm._kit.control import control_router
from callbridge.sandbox.crm._kit.core import Inspectable
from callbridge.sandbox.crm._kit.errors import install_error_handler
from callbridge.sandbox.crm._kit.requestlog import LoggedRequest

CONTROL_PREFIX = "/_sandbox"


def build_app(title: str, sandbox: Inspectable) -> FastAPI:
    """A FastAPI app with ``app.state.sandbox`` and the shared plumbing installed."""
    app = FastAPI(title=title, docs_url=None, redoc_url=None)
    app.state.sandbox = sandbox
    install_error_handler(app)
    app.include_router(control_router())

    @app.middleware("http")
    async def serve_and_log(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if request.url.path.startswith(CONTROL_PREFIX):
            return await call_next(request)
        core = sandbox.core
        request.state.extra_headers = {}
        request.state.injected = None
        if core.faults.latency_ms:
            await asyncio.sleep(core.faults.latency_ms / 1000)
        response = await call_next(request)
        for key, value in request.state.extra_headers.items():
            response.headers[key] = value
        injected = request.state.injected
        if core.faults.latency_ms:
            injected = f"{injected or ''} latency={core.faults.latency_ms}ms".strip()
        core.log.add(LoggedRequest(
            seq=core.log.next_seq(), at=core.clock.now().isoformat(), method=request.method,
            path=request.url.path, query=request.url.query, status=response.status_code,
            injected=injected,
        ))
        return response

    return app
