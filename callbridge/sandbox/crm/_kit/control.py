"""The ``/_sandbox`` control API: requests served, object dumps, faults, clock, person edits."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from callbridge.clock import VirtualClock
from callbridge.sandbox.crm._kit.core import Inspectable
from callbridge.sandbox.crm._kit.timefmt import parse_iso


def _bad(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _json_object(request: Request) -> dict[str, Any] | None:
    try:
        body = await request.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def control_router() -> APIRouter:
    """Routes under ``/_sandbox``; they are not logged, limited or faulted."""
    router = APIRouter(prefix="/_sandbox", include_in_schema=False)

    def sandbox(request: Request) -> Inspectable:
        box: Inspectable = request.app.state.sandbox
        return box

    @router.get("/requests")
    async def requests_served(request: Request, since: int = 0) -> dict[str, Any]:
        return {"requests": sandbox(request).core.log.since(since)}

    @router.delete("/requests")
    async def clear_requests(request: Request) -> dict[str, Any]:
        sandbox(request).core.log.clear()
        return {"cleared": True}

    @router.get("/objects/{object_type}")
    async def objects(request: Request, object_type: str) -> Any:
        box = sandbox(request)
        if object_type not in box.object_types():
            known = ", ".join(box.object_types())
            return _bad(404, f"unknown object type {object_type!r}; known: {known}")
        return {"type": object_type, "objects": box.dump_objects(object_type)}

    @router.get("/faults")
    async def get_faults(request: Request) -> dict[str, Any]:
        return sandbox(request).core.faults.as_dict()

    @router.delete("/faults")
    async def clear_faults(request: Request) -> dict[str, Any]:
        core = sandbox(request).core
        core.faults = type(core.faults)()
        return core.faults.as_dict()

    @router.post("/faults")
    async def set_faults(request: Request) -> Any:
        core = sandbox(request).core
        body = await _json_object(request)
        if body is None:
            return _bad(400, "send a JSON object of fault settings")
        actions: dict[str, Any] = {}
        if token := body.pop("revoke_token", None):
            actions["revoked"] = core.tokens.revoke(str(token))
        if body.pop("expire_all_tokens", False):
            actions["expired"] = core.tokens.expire_all()
        if scopes := body.pop("set_scopes", None):
            try:
                core.tokens.set_scopes(str(scopes["token"]), set(scopes["scopes"]))
            except (KeyError, TypeError) as exc:
                return _bad(400, f"set_scopes needs {{token, scopes}} of a known token: {exc}")
            actions["scopes_set"] = True
        try:
            core.faults.update(body)
        except ValueError as exc:
            return _bad(400, str(exc))
        return {**core.faults.as_dict(), "actions": actions}

    @router.get("/tokens")
    async def tokens(request: Request) -> dict[str, Any]:
        store = sandbox(request).core.tokens
        return {"tokens": [
            {"token": g.token, "user_id": g.user_id, "kind": g.kind, "client_id": g.client_id,
             "scopes": sorted(g.scopes), "revoked": g.revoked,
             "expires_at": g.expires_at.isoformat() if g.expires_at else None}
            for g in store.access.values()
        ]}

    @router.get("/clock")
    async def get_clock(request: Request) -> dict[str, Any]:
        clock = sandbox(request).core.clock
        return {"now": clock.now().isoformat(), "virtual": isinstance(clock, VirtualClock)}

    @router.post("/clock")
    async def move_clock(request: Request) -> Any:
        clock = sandbox(request).core.clock
        if not isinstance(clock, VirtualClock):
            return _bad(409, "this sandbox runs on the real clock; start it with a VirtualClock")
        body = await _json_object(request)
        if body is None or not ({"advance_seconds", "set"} & body.keys()):
            return _bad(400, 'send {"advance_seconds": N} or {"set": "<ISO 8601 instant>"}')
        try:
            if "advance_seconds" in body:
                clock.advance(float(body["advance_seconds"]))
            else:
                clock.set(parse_iso(str(body["set"])))
        except (TypeError, ValueError) as exc:
            return _bad(400, str(exc))
        return {"now": clock.now().isoformat(), "virtual": True}

    @router.post("/edit/{object_type}/{object_id}")
    async def person_edit(request: Request, object_type: str, object_id: str) -> Any:
        box = sandbox(request)
        body = await _json_object(request)
        if not body:
            return _bad(400, "send a JSON object of the fields a person changed")
        if object_type not in box.object_types():
            return _bad(404, f"unknown object type {object_type!r}")
        try:
            return box.person_edit(object_type, object_id, body)
        except KeyError:
            return _bad(404, f"no {object_type} with id {object_id!r}")
        except ValueError as exc:
            return _bad(400, str(exc))

    return router
