"""Request dependencies: the runtime, the caller, and a session scoped to the caller's tenant."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from callbridge.db.models import Role
from callbridge.errors import Forbidden
from callbridge.runtime import Runtime
from callbridge.tenancy import Principal, authenticate

__all__ = ["get_runtime", "principal", "require", "tenant_session"]

_bearer = HTTPBearer(auto_error=False)


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def principal(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)
) -> Principal:
    runtime = get_runtime(request)
    return authenticate(runtime.db, runtime.clock, credentials.credentials if credentials else None)


def require(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency admitting only members with one of ``roles``."""
    allowed = frozenset(roles)

    def check(who: Principal = Depends(principal)) -> Principal:
        if who.role not in allowed:
            raise Forbidden(
                f"Your role {who.role.value!r} cannot do this.",
                hint=f"ask an organization {' or '.join(sorted(r.value for r in allowed))} to do it",
            )
        return who

    check.allowed_roles = allowed  # type: ignore[attr-defined]  # read by the permission docs
    return check


def tenant_session(request: Request, who: Principal = Depends(principal)) -> Iterator[Session]:
    """A transaction that can only see the caller's organization."""
    with get_runtime(request).db.tenant(who.organization_id) as session:
        yield session
