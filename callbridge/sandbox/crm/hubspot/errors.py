"""HubSpot's error bodies: ``{status, message, correlationId, category, …}`` and the 429 body."""

from __future__ import annotations

import json
import uuid
from typing import Any

from callbridge.sandbox.crm._kit.errors import SandboxError
from callbridge.sandbox.crm._kit.limiter import Decision
from callbridge.sandbox.crm._kit.tokens import AccessGrant

POLICY_MESSAGES = {
    "DAILY": "You have reached your daily limit.",
    "TEN_SECONDLY_ROLLING": "You have reached your ten_secondly_rolling limit.",
    "SECONDLY": "You have reached your secondly limit.",
}


def _cid() -> str:
    return str(uuid.uuid4())


def error(status: int, category: str, message: str, **extra: Any) -> SandboxError:
    """A HubSpot error answer."""
    body: dict[str, Any] = {"status": "error", "message": message, "correlationId": _cid(),
                            "category": category}
    body.update(extra)
    return SandboxError(status, body)


def validation(message: str, errors: list[dict[str, Any]] | None = None) -> SandboxError:
    extra: dict[str, Any] = {"errors": errors} if errors else {}
    return error(400, "VALIDATION_ERROR", message, **extra)


def invalid_properties(problems: list[dict[str, Any]]) -> SandboxError:
    """400 for unknown, read-only or ill-valued properties, in HubSpot's wording."""
    errors = [{"message": p["message"], "code": p["error"],
               "context": {"propertyName": [p["name"]]}} for p in problems]
    return validation(f"Property values were not valid: {json.dumps(problems)}", errors)


def not_found(object_type: str, object_id: str) -> SandboxError:
    return error(404, "OBJECT_NOT_FOUND", "resource not found",
                 context={"id": [object_id], "type": [object_type]})


def rate_limited(policy: str, decision: Decision | None, send_retry_after: bool,
                 headers: dict[str, str]) -> SandboxError:
    """HubSpot's 429: ``errorType: RATE_LIMIT`` with the policy that was hit."""
    body = {"status": "error", "message": POLICY_MESSAGES.get(policy, "Rate limit exceeded."),
            "errorType": "RATE_LIMIT", "correlationId": _cid(), "policyName": policy,
            "requestId": _cid()}
    out = dict(headers)
    if send_retry_after and decision is not None:
        out["Retry-After"] = str(decision.retry_after_seconds)
    return SandboxError(429, body, out)


class HubSpotDialect:
    """Refusals shared with every sandbox, worded as HubSpot words them."""

    def __init__(self, expired_category: str, forced_retry_after: int) -> None:
        self.expired_category = expired_category
        self.forced_retry_after = forced_retry_after

    def server_error(self, status: int) -> SandboxError:
        return error(status, "INTERNAL_ERROR" if status < 503 else "SERVICE_UNAVAILABLE",
                     "Internal error; please retry.")

    def forced_rate_limit(self) -> SandboxError:
        body = {"status": "error", "message": POLICY_MESSAGES["TEN_SECONDLY_ROLLING"],
                "errorType": "RATE_LIMIT", "correlationId": _cid(),
                "policyName": "TEN_SECONDLY_ROLLING", "requestId": _cid()}
        return SandboxError(429, body, {"Retry-After": str(self.forced_retry_after),
                                        "X-HubSpot-RateLimit-Remaining": "0"})

    def unauthorized(self, problem: str, grant: AccessGrant | None) -> SandboxError:
        if problem == "missing":
            return error(401, "INVALID_AUTHENTICATION",
                         "Authentication credentials not found. This API supports OAuth 2.0 "
                         "authentication and you can find more details at "
                         "https://developers.hubspot.com/docs/methods/auth/oauth-overview")
        if problem == "expired":
            return error(401, self.expired_category,
                         "The OAuth token used to make this call expired.")
        return error(401, "INVALID_AUTHENTICATION",
                     "Authentication credentials are invalid or have been revoked.")

    def forbidden(self, scope: str) -> SandboxError:
        context = {"requiredGranularScopes": [scope]}
        return error(
            403, "MISSING_SCOPES",
            "This app hasn't been granted all required scopes to make this call. Read more "
            "about required scopes here: https://developers.hubspot.com/scopes.",
            errors=[{"message": "One or more of the following scopes are required.",
                     "context": context}],
            context=context, links={"scopes": "https://developers.hubspot.com/scopes"},
        )
