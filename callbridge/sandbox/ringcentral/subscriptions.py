"""Subscription endpoints: create (with the Validation-Token handshake), list, read, update,
renew, delete (§6). Delivery itself lives in `webhooks.py`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from .errors import bad_parameter
from .guard import Principal, guard, sandbox_of
from .state import SandboxState
from .webhooks import Subscription

__all__ = ["router"]

router = APIRouter()
BASE = "/restapi/v1.0/subscription"


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise bad_parameter("body", "a JSON object is required") from None
    if not isinstance(body, dict):
        raise bad_parameter("body", "a JSON object is required")
    return body


def _filters(body: dict[str, Any]) -> list[str]:
    filters = body.get("eventFilters")
    if (not isinstance(filters, list) or not filters
            or not all(isinstance(f, str) and f.startswith("/restapi/") for f in filters)):
        raise bad_parameter("eventFilters")
    return filters


def _expires_in(sandbox: SandboxState, body: dict[str, Any], default: int) -> int:
    value = body.get("expiresIn", default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise bad_parameter("expiresIn")
    return min(value, sandbox.config.webhooks.max_expires_in)


def _owned(sandbox: SandboxState, principal: Principal, sub_id: str) -> Subscription:
    sub = sandbox.webhooks.get(sub_id)
    if sub.client_id != principal.client_id or sub.owner_extension_id != principal.extension_id:
        sandbox.webhooks.get("")  # raises the same 404 as an unknown id
    return sub


def _base(request: Request) -> str:
    sandbox = sandbox_of(request)
    return sandbox.api_base(str(request.base_url).rstrip("/"))


@router.post(BASE)
async def create_subscription(request: Request,
                              principal: Principal = Depends(guard("Medium"))) -> dict[str, Any]:
    sandbox = sandbox_of(request)
    body = await _json(request)
    filters = _filters(body)
    mode = body.get("deliveryMode")
    if not isinstance(mode, dict) or mode.get("transportType") != "WebHook":
        raise bad_parameter("deliveryMode.transportType", "the sandbox delivers WebHook only")
    address = mode.get("address")
    if not isinstance(address, str) or not address.startswith(("http://", "https://")):
        raise bad_parameter("deliveryMode.address")
    token = mode.get("verificationToken")
    if token is not None and not isinstance(token, str):
        raise bad_parameter("deliveryMode.verificationToken")
    expires_in = _expires_in(sandbox, body, sandbox.config.webhooks.default_expires_in)
    await sandbox.webhooks.handshake(address, token)
    sub = sandbox.webhooks.create(client_id=principal.client_id,
                                  extension_id=principal.extension_id, filters=filters,
                                  address=address, verification_token=token,
                                  expires_in=expires_in)
    return sandbox.webhooks.render(sub, _base(request))


@router.get(BASE)
async def list_subscriptions(request: Request,
                             principal: Principal = Depends(guard("Light"))) -> dict[str, Any]:
    sandbox = sandbox_of(request)
    subs = sandbox.webhooks.live_for(principal.client_id, principal.extension_id)
    base = _base(request)
    return {"uri": f"{base}{BASE}", "records": [sandbox.webhooks.render(s, base) for s in subs]}


@router.get(BASE + "/{subscriptionId}")
async def read_subscription(request: Request, subscriptionId: str,
                            principal: Principal = Depends(guard("Light"))) -> dict[str, Any]:
    sandbox = sandbox_of(request)
    return sandbox.webhooks.render(_owned(sandbox, principal, subscriptionId), _base(request))


@router.put(BASE + "/{subscriptionId}")
async def update_subscription(request: Request, subscriptionId: str,
                              principal: Principal = Depends(guard("Medium"))) -> dict[str, Any]:
    """Replace filters / expiresIn; like renew, it restarts the expiry."""
    sandbox = sandbox_of(request)
    sub = _owned(sandbox, principal, subscriptionId)
    body = await _json(request)
    filters = _filters(body)
    sub.event_filters = [sandbox.webhooks.expand_filter(f, sub.owner_extension_id)
                         for f in filters]
    sandbox.webhooks.renew(sub, _expires_in(sandbox, body, sub.expires_in))
    return sandbox.webhooks.render(sub, _base(request))


@router.post(BASE + "/{subscriptionId}/renew")
async def renew_subscription(request: Request, subscriptionId: str,
                             principal: Principal = Depends(guard("Light"))) -> dict[str, Any]:
    sandbox = sandbox_of(request)
    sub = sandbox.webhooks.renew(_owned(sandbox, principal, subscriptionId))
    return sandbox.webhooks.render(sub, _base(request))


@router.delete(BASE + "/{subscriptionId}", status_code=204)
async def delete_subscription(request: Request, subscriptionId: str,
                              principal: Principal = Depends(guard("Medium"))) -> Response:
    sandbox = sandbox_of(request)
    _owned(sandbox, principal, subscriptionId).deleted = True
    return Response(status_code=204)
