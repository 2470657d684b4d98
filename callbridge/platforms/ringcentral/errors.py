"""Typed RingCentral errors, each with a message a person can act on (no token ever in it)."""

from __future__ import annotations

from typing import Any

import httpx

from callbridge.http.redaction import redact
from callbridge.platforms.base import PlatformError

__all__ = [
    "AuthExpired",
    "InvalidRequest",
    "NotFound",
    "PermissionDenied",
    "RateLimited",
    "RingCentralError",
    "Unavailable",
    "error_from_response",
]

RECONNECT = "reconnect RingCentral with 'callbridge archive connect' (or the admin page)"


class RingCentralError(PlatformError):
    code = "ringcentral_error"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_code: str | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, field=field, hint=hint)
        self.status = status
        self.error_code = error_code


class AuthExpired(RingCentralError):
    """The grant is gone (invalid_grant, revoked, 401 after a refresh): the connection pauses."""

    code = "auth_expired"


class PermissionDenied(RingCentralError):
    code = "permission_denied"


class RateLimited(RingCentralError):
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: float, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class NotFound(RingCentralError):
    code = "not_found"


class InvalidRequest(RingCentralError):
    code = "invalid_request"


class Unavailable(RingCentralError):
    code = "unavailable"


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def error_from_response(response: httpx.Response, what: str) -> RingCentralError:
    """Classify a non-2xx answer; ``what`` says what we were doing ("listing the call log")."""
    body = _body(response)
    errors = body.get("errors") or [{}]
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
    err_code = str(first.get("errorCode") or body.get("errorCode") or body.get("error") or "")
    text = redact(str(first.get("message") or body.get("message") or body.get("error_description") or ""))
    status = response.status_code
    where = f"RingCentral refused {what}: {status} {err_code} {text}".strip()
    if status == 400 and body.get("error") == "invalid_grant":
        return AuthExpired(
            f"{where}. The RingCentral authorization has expired or was revoked.",
            status=status,
            error_code=err_code,
            hint=RECONNECT,
        )
    if status == 401:
        return AuthExpired(
            f"{where}. The RingCentral token is no longer valid.",
            status=status,
            error_code=err_code,
            hint=RECONNECT,
        )
    if status == 403:
        permission = body.get("permissionName") or first.get("permissionName")
        return PermissionDenied(
            where,
            status=status,
            error_code=err_code,
            field=permission,
            hint=(
                f"give the RingCentral app the {permission} permission"
                if permission
                else "sign in as a RingCentral admin (FullCompanyCallLog) or add the app permission"
            ),
        )
    if status == 404:
        return NotFound(where, status=status, error_code=err_code, field=first.get("parameterName"))
    if status == 429:
        retry = response.headers.get("Retry-After")
        seconds = float(retry) if retry and retry.replace(".", "", 1).isdigit() else 30.0
        return RateLimited(where, retry_after=seconds, status=status, error_code=err_code)
    if status >= 500:
        return Unavailable(f"{where}; callbridge retries later.", status=status, error_code=err_code)
    return InvalidRequest(where, status=status, error_code=err_code, field=first.get("parameterName"))
