"""The OAuth consent step shared by the sandboxes, and token-request parsing."""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from callbridge.sandbox.crm._kit.tokens import AccessGrant, OAuthFailure, TokenStore


@dataclass(frozen=True)
class ConsentPolicy:
    """How a sandbox's authorize endpoint behaves."""

    auto_approve: bool
    require_pkce: bool
    default_user_id: str
    users_by_email: dict[str, str]
    default_scopes: frozenset[str]


async def request_params(request: Request) -> dict[str, str]:
    """Query parameters merged with a form body (for POSTed consent and token calls)."""
    params = dict(request.query_params)
    if request.method == "POST":
        form = await request.form()
        params.update({k: str(v) for k, v in form.items()})
    return params


def basic_credentials(request: Request) -> tuple[str | None, str | None]:
    """``(client_id, secret)`` from an ``Authorization: Basic`` header, if present."""
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None, None
    try:
        decoded = base64.b64decode(header[6:].strip()).decode("utf-8")
    except ValueError:
        return None, None
    user, _, secret = decoded.partition(":")
    return user, secret


def _error_page(message: str) -> HTMLResponse:
    body = f"<html><body><h1>Authorization error</h1><p>{html.escape(message)}</p></body></html>"
    return HTMLResponse(body, status_code=400)


def _consent_page(action: str, params: dict[str, str]) -> HTMLResponse:
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in params.items()
    )
    page = (
        "<html><body><h1>Allow access?</h1>"
        f'<form method="post" action="{html.escape(action)}">{hidden}'
        '<button name="decision" value="allow">Allow</button>'
        '<button name="decision" value="deny">Deny</button></form></body></html>'
    )
    return HTMLResponse(page)


async def authorize(request: Request, store: TokenStore, policy: ConsentPolicy) -> Response:
    """Authorization endpoint: approve (automatically or by form) and redirect with a code."""
    params = await request_params(request)
    client_id = params.get("client_id")
    redirect_uri = params.get("redirect_uri")
    if not client_id or client_id not in store.clients:
        return _error_page(f"unknown client_id {client_id!r}")
    if not redirect_uri:
        return _error_page("redirect_uri is required")
    challenge = params.get("code_challenge")
    method = params.get("code_challenge_method", "plain" if challenge else None)
    if method not in (None, "plain", "S256"):
        return _error_page(f"unsupported code_challenge_method {method!r}")
    state = params.get("state")

    def back(**query: str) -> RedirectResponse:
        if state is not None:
            query["state"] = state
        joiner = "&" if "?" in redirect_uri else "?"
        return RedirectResponse(f"{redirect_uri}{joiner}{urlencode(query)}", status_code=302)

    if policy.require_pkce and not challenge:
        return back(error="invalid_request", error_description="code_challenge is required")
    if not policy.auto_approve and request.method == "GET":
        return _consent_page(str(request.url.path), params)
    if params.get("decision") == "deny":
        return back(error="access_denied", error_description="the user denied access")
    hint = params.get("login_hint", "").lower()
    user_id = policy.users_by_email.get(hint, policy.default_user_id)
    requested = {s for s in params.get("scope", "").replace(",", " ").split() if s}
    code = store.issue_code(
        client_id=client_id, redirect_uri=redirect_uri,
        scopes=requested or set(policy.default_scopes), user_id=user_id,
        challenge=challenge, method=method,
    )
    return back(code=code)


@dataclass(frozen=True)
class TokenPolicy:
    """How a plain RFC 6749 token endpoint answers."""

    ttl_seconds: int | None
    rotate_refresh: bool  # a refresh answers with a new refresh token
    extra: dict[str, str]  # added to every token answer (e.g. api_domain)


def token_answer_body(grant: AccessGrant, policy: TokenPolicy, scope: str) -> dict[str, object]:
    body: dict[str, object] = {"access_token": grant.token, "token_type": "bearer",
                               "refresh_token": grant.refresh_token, "scope": scope}
    if policy.ttl_seconds is not None:
        body["expires_in"] = policy.ttl_seconds
    body.update(policy.extra)
    return body


async def token_endpoint(request: Request, store: TokenStore, policy: TokenPolicy) -> Response:
    """``authorization_code`` (with PKCE) and ``refresh_token`` grants; RFC 6749 error JSON."""
    form = await request_params(request)
    basic_id, basic_secret = basic_credentials(request)
    client_id = form.get("client_id") or basic_id
    secret = form.get("client_secret") or basic_secret
    ttl = timedelta(seconds=policy.ttl_seconds) if policy.ttl_seconds else None
    try:
        store.check_client(client_id, secret, need_secret=not form.get("code_verifier"))
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            code = store.redeem_code(form.get("code"), client_id=client_id,
                                     redirect_uri=form.get("redirect_uri"),
                                     verifier=form.get("code_verifier"))
            grant = store.issue(user_id=code.user_id, client_id=code.client_id,
                                scopes=code.scopes, ttl=ttl)
        elif grant_type == "refresh_token":
            old = store.use_refresh(form.get("refresh_token"), client_id)
            if policy.rotate_refresh:
                old.revoked = True
            grant = store.issue(user_id=old.user_id, client_id=old.client_id, scopes=old.scopes,
                                ttl=ttl,
                                refresh_token=None if policy.rotate_refresh else old.token)
        else:
            raise OAuthFailure("unsupported_grant_type", f"unknown grant_type {grant_type!r}")
    except OAuthFailure as failure:
        status = 401 if failure.code == "invalid_client" else 400
        return JSONResponse({"error": failure.code, "error_description": failure.description},
                            status_code=status)
    return JSONResponse(token_answer_body(grant, policy, " ".join(sorted(grant.scopes))))
