"""A CRM-shaped HTTP error that any handler can raise, and the handler that renders it."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response


class SandboxError(Exception):
    """An HTTP answer in a CRM's own error shape (status, JSON body, extra headers)."""

    def __init__(
        self, status: int, body: Any, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


def install_error_handler(app: FastAPI) -> None:
    """Render :class:`SandboxError` as JSON with its status and headers."""

    async def _handle(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SandboxError)
        headers = dict(getattr(request.state, "extra_headers", {}) or {})
        headers.update(exc.headers)
        if exc.body is None:
            return Response(status_code=exc.status, headers=headers)
        return JSONResponse(exc.body, status_code=exc.status, headers=headers)

    app.add_exception_handler(SandboxError, _handle)
