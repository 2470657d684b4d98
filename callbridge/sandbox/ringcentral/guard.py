"""Per-endpoint gate: bearer token → app permission → rate limit, in that order."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import Request

from .errors import api_error, forbidden_permission, not_found
from .models import Extension
from .render import Urls
from .state import SandboxState
from .tokens import TokenPair

__all__ = ["Principal", "guard", "sandbox_of"]


@dataclass(frozen=True)
class Principal:
    pair: TokenPair

    @property
    def extension_id(self) -> int:
        return self.pair.session.extension_id

    @property
    def client_id(self) -> str:
        return self.pair.session.client_id


def sandbox_of(request: Request) -> SandboxState:
    state: SandboxState = request.app.state.sandbox
    return state


def _bearer(request: Request, media: bool) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    if media:  # guide "Media": ?access_token= accepted on the media host only
        return request.query_params.get("access_token")
    return None


def guard(
    group: str, permission: str | None = None, *, media: bool = False
) -> Callable[[Request], Awaitable[Principal]]:
    """A FastAPI dependency authenticating the caller and counting the call in `group`."""

    async def dependency(request: Request) -> Principal:
        sandbox = sandbox_of(request)
        request.state.rate_group = group
        token = _bearer(request, media)
        if not token:
            # (unverified) gateway wording for a request without credentials
            raise api_error(401, "AGW-401", "Authorization header is not specified",
                            headers={"WWW-Authenticate": "Bearer"})
        pair = sandbox.tokens.authenticate(token)
        principal = Principal(pair)
        request.state.extension_id = principal.extension_id
        if permission and permission not in sandbox.config.auth.app_permissions:
            raise forbidden_permission(permission)
        decision = sandbox.limiter.check(principal.client_id, str(principal.extension_id), group)
        if not decision.allowed:
            raise sandbox.limiter.refusal(decision)
        request.state.rate_headers = decision.headers(sandbox.config.rate_limits.group_header_style)
        return principal

    return dependency


def check_account(sandbox: SandboxState, account_id: str) -> None:
    if account_id not in ("~", sandbox.config.account_id):
        raise not_found("accountId", account_id)


def resolve_extension(sandbox: SandboxState, principal: Principal, extension_id: str) -> Extension:
    """`~` is the caller's own extension; otherwise an existing extension id."""
    ext_id = principal.extension_id if extension_id == "~" else None
    if ext_id is None:
        try:
            ext_id = int(extension_id)
        except ValueError:
            raise not_found("extensionId", extension_id) from None
    ext = sandbox.extensions.get(ext_id)
    if ext is None:
        raise not_found("extensionId", extension_id)
    return ext


def urls_for(request: Request, sandbox: SandboxState) -> Urls:
    """URIs point back at the sandbox (or at the configured base URLs)."""
    base = str(request.base_url).rstrip("/")
    return Urls(sandbox.api_base(base), sandbox.media_base(base), sandbox.config.account_id)


def list_params(request: Request) -> list[tuple[str, str]]:
    return list(request.query_params.multi_items())
