"""Salesforce error bodies: a JSON array of ``{message, errorCode[, fields]}``."""

from __future__ import annotations

from callbridge.sandbox.crm._kit.errors import SandboxError
from callbridge.sandbox.crm._kit.tokens import AccessGrant


def sf_error(status: int, code: str, message: str, fields: list[str] | None = None,
             headers: dict[str, str] | None = None) -> SandboxError:
    item: dict[str, object] = {"message": message, "errorCode": code}
    if fields is not None:
        item["fields"] = fields
    return SandboxError(status, [item], headers)


def not_found() -> SandboxError:
    return sf_error(404, "NOT_FOUND", "The requested resource does not exist")


def limit_exceeded(headers: dict[str, str] | None = None) -> SandboxError:
    return sf_error(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.",
                    headers=headers)


class FieldProblem(ValueError):
    """A record a create/update cannot accept; rendered as one Salesforce error."""

    def __init__(self, code: str, message: str, fields: list[str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields

    def as_error(self, status: int = 400) -> SandboxError:
        return sf_error(status, self.code, self.message, self.fields)


class SalesforceDialect:
    """Refusals shared with every sandbox, worded as Salesforce words them."""

    def __init__(self, permission_status: int, permission_code: str) -> None:
        self.permission_status = permission_status
        self.permission_code = permission_code

    def server_error(self, status: int) -> SandboxError:
        if status == 503:
            return sf_error(503, "SERVER_UNAVAILABLE", "Server temporarily unavailable")
        return sf_error(status, "UNKNOWN_EXCEPTION", "An unexpected error occurred. Please "
                        "include this ErrorId if you contact support: 1234567-89 (-1)")

    def forced_rate_limit(self) -> SandboxError:
        return limit_exceeded()

    def unauthorized(self, problem: str, grant: AccessGrant | None) -> SandboxError:
        return sf_error(401, "INVALID_SESSION_ID", "Session expired or invalid")

    def forbidden(self, scope: str) -> SandboxError:
        obj = scope.split(".")[0]
        return sf_error(self.permission_status, self.permission_code,
                        f"insufficient access rights on {obj}: the user lacks {scope}")
