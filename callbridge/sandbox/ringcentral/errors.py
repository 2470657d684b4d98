"""RingCentral-shaped error bodies, raised as :class:`RCError` and rendered by one handler."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

__all__ = [
    "RCError",
    "bad_parameter",
    "forbidden_permission",
    "not_found",
    "oauth_error",
    "rc_error_handler",
    "token_error",
]


class RCError(Exception):
    """An HTTP error with the body RingCentral would send."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body
        self.headers = headers or {}


def api_error(
    status: int,
    code: str,
    message: str,
    *,
    parameter_name: str | None = None,
    outer_code: str | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> RCError:
    """Guide "Error codes": `{errorCode, message, errors:[{errorCode, message, parameterName?}]}`."""
    inner: dict[str, Any] = {"errorCode": code, "message": message}
    body: dict[str, Any] = {"errorCode": outer_code or code, "message": message}
    if parameter_name:
        inner["parameterName"] = parameter_name
        body["parameterName"] = parameter_name
    if extra:
        inner.update(extra)
    body["errors"] = [inner]
    return RCError(status, body, headers)


def not_found(parameter: str, value: str | None = None) -> RCError:
    """404 CMN-102 "Resource for parameter [<name>] is not found"."""
    return api_error(
        404, "CMN-102", f"Resource for parameter [{parameter}] is not found",
        parameter_name=parameter, extra={"value": value} if value else None,
    )


def bad_parameter(parameter: str, detail: str | None = None) -> RCError:
    """400 CMN-101 for a parameter value the API refuses (wording (unverified))."""
    message = f"Parameter [{parameter}] value is invalid"
    if detail:
        message += f" [{detail}]"
    return api_error(400, "CMN-101", message, parameter_name=parameter)


def forbidden_permission(permission: str) -> RCError:
    """403 InsufficientPermissions / CMN-401, as the guide "Call log access" shows it."""
    return api_error(
        403, "CMN-401",
        f"In order to call this API endpoint, application needs to have [{permission}] permission",
        outer_code="InsufficientPermissions", extra={"permissionName": permission},
    )


def token_error(code: str, message: str) -> RCError:
    """401 for an API call with a bad token: `errorCode` TokenInvalid, `errors[0]` OAU-xxx."""
    return api_error(401, code, message, outer_code="TokenInvalid",
                     headers={"WWW-Authenticate": "Bearer"})


def oauth_error(status: int, error: str, code: str, message: str) -> RCError:
    """`/restapi/oauth/*` errors: `{error, error_description, errors:[{errorCode, message}]}`."""
    body = {
        "error": error,
        "errors": [{"errorCode": code, "message": message}],
        "error_description": message,
    }
    return RCError(status, body)


async def rc_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RCError)
    return JSONResponse(exc.body, status_code=exc.status, headers=exc.headers)
