"""Salesforce OAuth 2: authorize, token (code+PKCE, refresh, password), revoke, userinfo."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from callbridge.sandbox.crm._kit.oauth import (
    ConsentPolicy,
    authorize,
    basic_credentials,
    request_params,
)
from callbridge.sandbox.crm._kit.tokens import AccessGrant, OAuthFailure
from callbridge.sandbox.crm.salesforce.sandbox import SalesforceSandbox
from callbridge.sandbox.crm.salesforce.store import SfRecord

router = APIRouter()
DEFAULT_SCOPE = "api refresh_token"


def _box(request: Request) -> SalesforceSandbox:
    box: SalesforceSandbox = request.app.state.sandbox
    return box


def _refused(code: str, description: str) -> JSONResponse:
    return JSONResponse({"error": code, "error_description": description}, status_code=400)


@router.get("/services/oauth2/authorize")
@router.post("/services/oauth2/authorize")
async def oauth_authorize(request: Request) -> Response:
    box = _box(request)
    users = {str(u.values["Email"]).lower(): u.id for u in box.store.records["User"].values()}
    first = next(iter(users.values()), "")
    policy = ConsentPolicy(box.config.auto_approve, box.config.require_pkce, first, users,
                           frozenset(DEFAULT_SCOPE.split()))
    return await authorize(request, box.core.tokens, policy)


def _identity_url(request: Request, box: SalesforceSandbox, user_id: str) -> str:
    return f"{_instance(request, box)}/id/{box.config.org_id}/{user_id}"


def _instance(request: Request, box: SalesforceSandbox) -> str:
    return box.config.instance_url or str(request.base_url).rstrip("/")


def _token_answer(request: Request, box: SalesforceSandbox, grant: AccessGrant, scope: str,
                  secret: str | None, include_refresh: bool) -> JSONResponse:
    identity = _identity_url(request, box, grant.user_id)
    issued = str(int(grant.issued_at.timestamp() * 1000))
    signature = base64.b64encode(hmac.new((secret or "").encode(), (identity + issued).encode(),
                                          hashlib.sha256).digest()).decode()
    body: dict[str, Any] = {"access_token": grant.token, "signature": signature,
                            "scope": scope, "instance_url": _instance(request, box),
                            "id": identity, "token_type": "Bearer", "issued_at": issued}
    if include_refresh and grant.refresh_token:
        body["refresh_token"] = grant.refresh_token
    return JSONResponse(body)


@router.post("/services/oauth2/token")
async def token(request: Request) -> Response:
    box = _box(request)
    store = box.core.tokens
    form = await request_params(request)
    basic_id, basic_secret = basic_credentials(request)
    client_id = form.get("client_id") or basic_id
    secret = form.get("client_secret") or basic_secret
    grant_type = form.get("grant_type", "")
    timeout = timedelta(seconds=box.config.session_timeout_seconds)
    sliding = box.config.session_renews_on_use
    if not client_id or client_id not in store.clients:
        return _refused("invalid_client_id", "client identifier invalid")
    try:
        store.check_client(client_id, secret, need_secret=grant_type != "authorization_code"
                           or not form.get("code_verifier"))
    except OAuthFailure:
        return _refused("invalid_client", "invalid client credentials")
    try:
        if grant_type == "authorization_code":
            code = store.redeem_code(form.get("code"), client_id=client_id,
                                     redirect_uri=form.get("redirect_uri"),
                                     verifier=form.get("code_verifier"))
            user = box.store.get(code.user_id)
            grant = store.issue(user_id=code.user_id, client_id=client_id,
                                scopes=_perms(box, user), ttl=timeout, sliding=sliding)
            scope = " ".join(sorted(code.scopes)) or DEFAULT_SCOPE
            return _token_answer(request, box, grant, scope, secret, include_refresh=True)
        if grant_type == "refresh_token":
            refresh = store.use_refresh(form.get("refresh_token"), client_id)
            grant = store.issue(user_id=refresh.user_id, client_id=client_id,
                                scopes=refresh.scopes, ttl=timeout, sliding=sliding,
                                refresh_token=refresh.token)
            return _token_answer(request, box, grant, DEFAULT_SCOPE, secret,
                                 include_refresh=False)
        if grant_type == "password" and box.config.password_grant:
            user = box.user_by_email(form.get("username", ""))
            expected = box.config.user_password + box.config.security_token
            if user is None or form.get("password") != expected:
                raise OAuthFailure("invalid_grant", "authentication failure")
            grant = store.issue(user_id=user.id, client_id=client_id, scopes=_perms(box, user),
                                ttl=timeout, sliding=sliding, with_refresh=False)
            return _token_answer(request, box, grant, "api", secret, include_refresh=False)
    except OAuthFailure as failure:
        return _refused(failure.code, failure.description)
    return _refused("unsupported_grant_type", "grant type not supported")


def _perms(box: SalesforceSandbox, user: SfRecord | None) -> set[str]:
    return box.permissions_of(user) if user is not None else {"*"}


@router.post("/services/oauth2/revoke")
async def revoke(request: Request) -> Response:
    box = _box(request)
    form = await request_params(request)
    if not box.core.tokens.revoke(form.get("token", "")):
        return _refused("unsupported_token_type", "this token type is not supported")
    return Response(status_code=200)


def _user_info(request: Request, box: SalesforceSandbox, user: SfRecord) -> dict[str, Any]:
    return {"sub": _identity_url(request, box, user.id), "user_id": user.id,
            "organization_id": box.config.org_id, "preferred_username": user.values["Username"],
            "name": user.values["Name"], "email": user.values["Email"],
            "given_name": user.values["FirstName"], "family_name": user.values["LastName"],
            "active": bool(user.values["IsActive"])}


@router.get("/services/oauth2/userinfo")
async def userinfo(request: Request) -> Response:
    box = _box(request)
    grant = box.admit(request, None)
    user = box.store.get(grant.user_id)
    if user is None:
        return JSONResponse({"error": "unknown user"}, status_code=403)
    return JSONResponse(_user_info(request, box, user))


@router.get("/id/{org_id}/{user_id}")
async def identity(request: Request, org_id: str, user_id: str) -> Response:
    box = _box(request)
    box.admit(request, None)
    user = box.store.get(user_id)
    if user is None or org_id != box.config.org_id:
        return JSONResponse([{"message": "Bad_Id", "errorCode": "NOT_FOUND"}], status_code=404)
    info = _user_info(request, box, user)
    return JSONResponse({"id": info["sub"], "user_id": user.id, "organization_id": org_id,
                         "username": info["preferred_username"], "display_name": info["name"],
                         "email": info["email"], "active": info["active"]})
