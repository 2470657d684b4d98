"""One JSON error shape for every error: ``{"error": {code, message, field, hint}}``."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from callbridge.errors import CallbridgeError
from callbridge.http.redaction import redact

__all__ = ["error_response", "install_error_handlers"]

log = logging.getLogger(__name__)

STATUS_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "rate_limited",
    503: "unavailable",
}


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    field: str | None = None,
    hint: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "field": field, "hint": hint}}
    return JSONResponse(body, status_code=status, headers=headers)


def _field_path(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or ".".join(str(p) for p in loc)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(CallbridgeError)
    async def _known(_request: Request, exc: CallbridgeError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.http_status == 401 else None
        return error_response(
            exc.http_status, exc.code, exc.message, field=exc.field, hint=exc.hint, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
        field = _field_path(tuple(first.get("loc", ())))
        problems = "; ".join(f"{_field_path(tuple(e.get('loc', ())))}: {e.get('msg')}" for e in errors)
        if first.get("type") == "extra_forbidden":
            hint = f"remove {field!r}; it is not a field of this request"
        elif first.get("type") == "missing":
            hint = f"add {field!r}"
        else:
            hint = "see the request schema at /docs"
        return error_response(422, "invalid_input", f"Invalid request: {problems}.", field=field, hint=hint)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = STATUS_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        hint = "see the API at /docs" if exc.status_code in (404, 405) else None
        return error_response(exc.status_code, code, message, hint=hint, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error(
            "unhandled %s on %s %s: %s",
            type(exc).__name__,
            request.method,
            request.url.path,
            redact(str(exc)),
        )
        return error_response(
            500,
            "internal",
            "callbridge failed to handle this request.",
            hint="the server log has the details; retry later",
        )
