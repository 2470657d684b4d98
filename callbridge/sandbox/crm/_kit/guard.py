"""The first steps of serving any API request: injected faults, then the credential check."""

from __future__ import annotations

from typing import Protocol

from fastapi import Request

from callbridge.sandbox.crm._kit.core import SandboxCore
from callbridge.sandbox.crm._kit.errors import SandboxError
from callbridge.sandbox.crm._kit.tokens import AccessGrant


class Dialect(Protocol):
    """How one CRM words the refusals every sandbox can give."""

    def server_error(self, status: int) -> SandboxError: ...

    def forced_rate_limit(self) -> SandboxError: ...

    def unauthorized(self, problem: str, grant: AccessGrant | None) -> SandboxError: ...

    def forbidden(self, scope: str) -> SandboxError: ...


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer …`` header."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() in ("bearer", "oauth") and value.strip():
        return value.strip()
    return None


WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Signing out and OAuth housekeeping must work for any credential, whatever it may write.
ALWAYS_ALLOWED_PATHS = ("/authentication", "/oauth/")


def write_scope(request: Request) -> str | None:
    """The permission a write needs on CRMs that grant per-user read/write rather than scopes."""
    if request.method in WRITE_METHODS and not request.url.path.startswith(ALWAYS_ALLOWED_PATHS):
        return "write"
    return None


def admit(
    request: Request, core: SandboxCore, dialect: Dialect, token: str | None,
    scope: str | None,
) -> AccessGrant:
    """Apply a pending fault, then check the token and its scope; raise the CRM's refusal."""
    injection = core.faults.take(core.rng)
    if injection is not None:
        request.state.injected = f"{injection.kind}:{injection.status}"
        if injection.kind == "rate_limited":
            raise dialect.forced_rate_limit()
        raise dialect.server_error(injection.status)
    found = core.tokens.lookup(token)
    if found.problem is not None or found.grant is None:
        raise dialect.unauthorized(found.problem or "unknown", found.grant)
    if not found.grant.has_scope(scope):
        raise dialect.forbidden(scope or "")
    return found.grant
