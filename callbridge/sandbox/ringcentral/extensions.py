"""Extension directory: list (Medium) and read one (Light) (§3a)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from .guard import (
    Principal,
    check_account,
    guard,
    list_params,
    resolve_extension,
    sandbox_of,
    urls_for,
)
from .paging import multi, page_of
from .render import render_extension

__all__ = ["router"]

router = APIRouter()
ACC = "/restapi/v1.0/account/{accountId}"


@router.get(ACC + "/extension")
async def list_extensions(
    request: Request, accountId: str,
    principal: Principal = Depends(guard("Medium", "ReadAccounts")),
) -> dict[str, Any]:
    sandbox = sandbox_of(request)
    check_account(sandbox, accountId)
    q = request.query_params
    statuses = multi(request, "status")
    types = multi(request, "type")
    items = [e for e in sandbox.extensions.values()
             if (not q.get("extensionNumber") or e.number == q["extensionNumber"])
             and (not q.get("email") or e.email.lower() == q["email"].lower())
             and (not statuses or e.status in statuses) and (not types or e.type in types)]
    page = page_of(request, items)
    urls = urls_for(request, sandbox)
    base = f"{urls.account()}/extension"
    params = list_params(request)
    return {"uri": page.uri(base, params),
            "records": [render_extension(urls, e, detailed=False) for e in page.items],
            "paging": page.paging(), "navigation": page.navigation(base, params)}


@router.get(ACC + "/extension/{extensionId}")
async def read_extension(
    request: Request, accountId: str, extensionId: str,
    principal: Principal = Depends(guard("Light", "ReadAccounts")),
) -> dict[str, Any]:
    sandbox = sandbox_of(request)
    check_account(sandbox, accountId)
    ext = resolve_extension(sandbox, principal, extensionId)
    return render_extension(urls_for(request, sandbox), ext, detailed=True)
