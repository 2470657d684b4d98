"""HubSpot OAuth: authorize (auto-approving), token, token info, refresh-token revocation."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from callbridge.sandbox.crm._kit.oauth import ConsentPolicy, authorize, request_params
from callbridge.sandbox.crm._kit.tokens import OAuthFailure
from callbridge.sandbox.crm.hubspot.config import ALL_SCOPES
from callbridge.sandbox.crm.hubspot.sandbox import HubSpotSandbox

router = APIRouter()

# HubSpot answers token-endpoint failures with a status word (unverified wording)
_STATUS = {("authorization_code", "invalid_grant"): "BAD_AUTH_CODE",
           ("refresh_token", "invalid_grant"): "BAD_REFRESH_TOKEN",
           ("authorization_code", "invalid_client"): "BAD_CLIENT_ID",
           ("refresh_token", "invalid_client"): "BAD_CLIENT_ID"}


def _box(request: Request) -> HubSpotSandbox:
    box: HubSpotSandbox = request.app.state.sandbox
    return box


def _refused(grant_type: str, failure: OAuthFailure) -> JSONResponse:
    status = _STATUS.get((grant_type, failure.code), "BAD_GRANT_TYPE")
    if "redirect_uri" in failure.description:
        status = "BAD_REDIRECT_URI"
    return JSONResponse({"status": status, "message": failure.description,
                         "correlationId": str(uuid.uuid4())}, status_code=400)


@router.get("/oauth/authorize")
@router.post("/oauth/authorize")
async def oauth_authorize(request: Request) -> Response:
    box = _box(request)
    users = {o.email: str(o.user_id) for o in box.owners.values()}
    first = next(iter(users.values()), "0")
    policy = ConsentPolicy(box.config.auto_approve, box.config.require_pkce, first, users,
                           ALL_SCOPES)
    return await authorize(request, box.core.tokens, policy)


@router.post("/oauth/v1/token")
async def token(request: Request) -> Response:
    box = _box(request)
    store = box.core.tokens
    form = await request_params(request)
    grant_type = form.get("grant_type", "")
    ttl = timedelta(seconds=box.config.access_token_ttl_seconds)
    try:
        store.check_client(form.get("client_id"), form.get("client_secret"), need_secret=True)
        if grant_type == "authorization_code":
            code = store.redeem_code(form.get("code"), client_id=form.get("client_id"),
                                     redirect_uri=form.get("redirect_uri"),
                                     verifier=form.get("code_verifier"))
            grant = store.issue(user_id=code.user_id, client_id=code.client_id,
                                scopes=code.scopes, ttl=ttl)
        elif grant_type == "refresh_token":
            refresh = store.use_refresh(form.get("refresh_token"), form.get("client_id"))
            # HubSpot keeps the same refresh token across refreshes
            grant = store.issue(user_id=refresh.user_id, client_id=refresh.client_id,
                                scopes=refresh.scopes, ttl=ttl, refresh_token=refresh.token)
        else:
            raise OAuthFailure("unsupported_grant_type", f"unknown grant_type {grant_type!r}")
    except OAuthFailure as failure:
        return _refused(grant_type, failure)
    return JSONResponse({"token_type": "bearer", "refresh_token": grant.refresh_token,
                         "access_token": grant.token,
                         "expires_in": box.config.access_token_ttl_seconds})


def _info(box: HubSpotSandbox, user_id: str) -> dict[str, Any]:
    owner = next((o for o in box.owners.values() if str(o.user_id) == user_id), None)
    return {"user": owner.email if owner else None, "hub_domain": box.config.hub_domain,
            "hub_id": box.config.portal_id, "app_id": box.config.app_id,
            "user_id": int(user_id) if user_id.isdigit() else user_id}


def _not_found(what: str) -> JSONResponse:
    return JSONResponse({"status": "error", "message": f"{what} not found or expired",
                         "correlationId": str(uuid.uuid4()), "category": "OBJECT_NOT_FOUND"},
                        status_code=404)


@router.get("/oauth/v1/access-tokens/{access_token}")
async def access_token_info(request: Request, access_token: str) -> Response:
    box = _box(request)
    found = box.core.tokens.lookup(access_token)
    if found.grant is None or found.problem is not None:
        return _not_found("access token")
    grant = found.grant
    left = (grant.expires_at - box.core.clock.now()).total_seconds() if grant.expires_at else 0
    return JSONResponse({"token": grant.token, **_info(box, grant.user_id),
                         "scopes": sorted(grant.scopes), "expires_in": int(left),
                         "token_type": "access"})


@router.get("/oauth/v1/refresh-tokens/{refresh_token}")
async def refresh_token_info(request: Request, refresh_token: str) -> Response:
    box = _box(request)
    found = box.core.tokens.refresh.get(refresh_token)
    if found is None or found.revoked:
        return _not_found("refresh token")
    return JSONResponse({"token": found.token, **_info(box, found.user_id),
                         "scopes": sorted(found.scopes), "client_id": found.client_id,
                         "token_type": "refresh"})


@router.delete("/oauth/v1/refresh-tokens/{refresh_token}")
async def revoke_refresh_token(request: Request, refresh_token: str) -> Response:
    box = _box(request)
    if refresh_token not in box.core.tokens.refresh:
        return _not_found("refresh token")
    box.core.tokens.revoke(refresh_token)
    return Response(status_code=204)
