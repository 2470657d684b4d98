"""OAuth 2 endpoints: authorize (+PKCE, auto-approving consent), token, revoke (§5)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from .errors import oauth_error
from .guard import sandbox_of
from .state import AuthCode, SandboxState
from .tokens import TokenPair

__all__ = ["router", "token_response"]

router = APIRouter()
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def _limit(request: Request, client_id: str, user: str) -> None:
    sandbox = sandbox_of(request)
    request.state.rate_group = "Auth"
    decision = sandbox.limiter.check(client_id or "-", user, "Auth")
    if not decision.allowed:
        raise sandbox.limiter.refusal(decision)
    request.state.rate_headers = decision.headers(sandbox.config.rate_limits.group_header_style)


def _client(request: Request, form: dict[str, str]) -> tuple[str, bool]:
    """(client_id, authenticated with the secret); 401 invalid_client on a wrong secret."""
    cfg = sandbox_of(request).config.auth
    header = request.headers.get("authorization", "")
    client_id, secret = form.get("client_id", ""), form.get("client_secret")
    if header.lower().startswith("basic "):
        try:
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            client_id, secret = "", None
    # (unverified) code and wording of RingCentral's invalid_client error
    invalid = oauth_error(401, "invalid_client", "OAU-123", "Invalid client credentials")
    if not hmac.compare_digest(client_id.encode(), cfg.client_id.encode()):
        raise invalid
    if secret is None:
        return client_id, False
    if not hmac.compare_digest(secret.encode(), cfg.client_secret.encode()):
        raise invalid
    return client_id, True


def token_response(pair: TokenPair, sandbox: SandboxState) -> dict[str, Any]:
    now = sandbox.now()
    return {
        "access_token": pair.access_token,
        "token_type": "bearer",
        "expires_in": max(0, int((pair.access_expires_at - now).total_seconds())),
        "refresh_token": pair.refresh_token,
        "refresh_token_expires_in": max(0, int((pair.refresh_expires_at - now).total_seconds())),
        "scope": pair.session.scope,
        "owner_id": str(pair.session.extension_id),
        "endpoint_id": pair.session.endpoint_id,
        "session_id": pair.session.id,
    }


def _ttl(form: dict[str, str], name: str, low: int, high: int) -> int | None:
    raw = form.get(name)
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise oauth_error(400, "invalid_request", "OAU-101",
                          f"Parameter [{name}] value is invalid") from None
    return max(low, min(high, value))


def _pkce_ok(code: AuthCode, verifier: str | None) -> bool:
    if code.code_challenge is None:
        return True
    if not verifier:
        return False
    if (code.code_challenge_method or "plain") == "S256":
        digest = hashlib.sha256(verifier.encode()).digest()
        computed = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    else:
        computed = verifier
    return hmac.compare_digest(computed, code.code_challenge)


@router.post("/restapi/oauth/token")
async def token(request: Request) -> JSONResponse:
    sandbox = sandbox_of(request)
    form = {k: str(v) for k, v in (await request.form()).items()}
    client_id, confidential = _client(request, form)
    grant = form.get("grant_type", "")
    access_ttl = _ttl(form, "access_token_ttl", 600, 3600)
    refresh_ttl = _ttl(form, "refresh_token_ttl", 60, 2_592_000)
    cfg = sandbox.config.auth
    bad_grant = oauth_error(400, "invalid_grant", "OAU-140", "Invalid resource owner credentials")
    if grant == JWT_GRANT:
        if not confidential:
            raise oauth_error(401, "invalid_client", "OAU-123", "Invalid client credentials")
        owner = (sandbox.extension_by_number(cfg.jwt_extension_number)
                 if cfg.jwt_extension_number else sandbox.admin_extension())
        _limit(request, client_id, str(owner.id) if owner else "-")
        assertion = form.get("assertion", "")
        if owner is None or not hmac.compare_digest(assertion.encode(), cfg.jwt.encode()):
            # (unverified) wording; the sandbox compares the JWT string, not its signature
            raise oauth_error(400, "invalid_grant", "OAU-144", "Invalid JWT")
        pair = sandbox.tokens.open_session(client_id, owner.id, access_ttl=access_ttl,
                                           refresh_ttl=refresh_ttl)
    elif grant == "authorization_code":
        code = sandbox.auth_codes.pop(form.get("code", ""), None)
        _limit(request, client_id, str(code.extension_id) if code else "-")
        if (code is None or code.expires_at <= sandbox.now() or code.client_id != client_id
                or code.redirect_uri != form.get("redirect_uri", code.redirect_uri)):
            raise bad_grant
        if not _pkce_ok(code, form.get("code_verifier")):
            raise oauth_error(400, "invalid_grant", "OAU-140", "Invalid code_verifier")
        if not confidential and code.code_challenge is None:
            raise oauth_error(401, "invalid_client", "OAU-123", "Invalid client credentials")
        pair = sandbox.tokens.open_session(client_id, code.extension_id,
                                           public_client=not confidential,
                                           access_ttl=access_ttl, refresh_ttl=refresh_ttl)
    elif grant == "refresh_token":
        refresh = form.get("refresh_token", "")
        session = sandbox.tokens.refresh_owner(refresh)
        _limit(request, client_id, str(session.extension_id) if session else "-")
        if session is not None and not confidential and not session.public_client:
            raise oauth_error(401, "invalid_client", "OAU-123", "Invalid client credentials")
        pair = sandbox.tokens.refresh(refresh, client_id)
    else:
        raise oauth_error(400, "unsupported_grant_type", "OAU-250",
                          f"Unsupported grant type: {grant or '(none)'}")
    return JSONResponse(token_response(pair, sandbox),
                        headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def _authorize_params(request: Request, params: dict[str, str]) -> tuple[str, str]:
    sandbox = sandbox_of(request)
    cfg = sandbox.config.auth
    client_id = params.get("client_id", "")
    _limit(request, client_id, "-")
    if client_id != cfg.client_id:
        raise oauth_error(400, "invalid_client", "OAU-123", "Invalid client")
    if params.get("response_type") != "code":
        raise oauth_error(400, "unsupported_response_type", "OAU-102",
                          "Parameter [response_type] value is invalid")
    redirect_uri = params.get("redirect_uri", "")
    if not redirect_uri or (cfg.redirect_uris and redirect_uri not in cfg.redirect_uris):
        raise oauth_error(400, "invalid_request", "OAU-102",
                          "Parameter [redirect_uri] value is invalid")
    method = params.get("code_challenge_method")
    if method not in (None, "plain", "S256"):
        raise oauth_error(400, "invalid_request", "OAU-102",
                          "Parameter [code_challenge_method] value is invalid")
    return client_id, redirect_uri


def _approve(request: Request, params: dict[str, str]) -> RedirectResponse:
    sandbox = sandbox_of(request)
    client_id, redirect_uri = _authorize_params(request, params)
    hint = params.get("login_hint")
    owner = (sandbox.extension_by_number(hint) if hint else None) or sandbox.admin_extension()
    code = AuthCode(
        code="SBXC" + secrets.token_urlsafe(24), client_id=client_id, redirect_uri=redirect_uri,
        extension_id=owner.id,
        expires_at=sandbox.now() + timedelta(seconds=sandbox.config.auth.auth_code_ttl),
        code_challenge=params.get("code_challenge"),
        code_challenge_method=params.get("code_challenge_method"),
    )
    sandbox.auth_codes[code.code] = code
    query = {"code": code.code}
    if params.get("state"):
        query["state"] = params["state"]
    sep = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(f"{redirect_uri}{sep}{urlencode(query)}", status_code=302)


@router.get("/restapi/oauth/authorize", response_model=None)
async def authorize(request: Request) -> Response:
    """Auto-approves (302 to the redirect URI with a code) unless `auth.auto_approve` is off."""
    sandbox = sandbox_of(request)
    params = dict(request.query_params)
    if sandbox.config.auth.auto_approve:
        return _approve(request, params)
    _authorize_params(request, params)
    hidden = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                     for k, v in params.items())
    page = ("<!doctype html><title>RingCentral sandbox: consent</title>"
            "<h1>Allow this app to access the sandbox account?</h1>"
            f'<form method="post" action="/restapi/oauth/authorize">{hidden}'
            '<button type="submit">Approve</button></form>')
    return HTMLResponse(page)


@router.post("/restapi/oauth/authorize")
async def authorize_submit(request: Request) -> RedirectResponse:
    form = {k: str(v) for k, v in (await request.form()).items()}
    return _approve(request, form)


@router.post("/restapi/oauth/revoke")
async def revoke(request: Request) -> Response:
    """Ends the whole session of the given access or refresh token."""
    sandbox = sandbox_of(request)
    form = {k: str(v) for k, v in (await request.form()).items()}
    client_id, _ = _client(request, form)
    _limit(request, client_id, "-")
    sandbox.tokens.revoke(form.get("token", ""))
    return Response(status_code=200)


