"""Generic CRM routes, shaped for App Connect's proxy sample (``/contacts``, ``/activities``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from callbridge.sandbox.crm._kit.body import BadBody, json_body
from callbridge.sandbox.crm._kit.oauth import (
    ConsentPolicy,
    TokenPolicy,
    authorize,
    request_params,
    token_endpoint,
)
from callbridge.sandbox.crm.generic.sandbox import GenericSandbox, generic_error

router = APIRouter()
ACTIVITY_FIELDS = {"subject", "description", "note", "start_date", "end_date",
                   "activity_code_id", "repeats", "linked_contacts", "external_id", "type"}


def _box(request: Request) -> GenericSandbox:
    box: GenericSandbox = request.app.state.sandbox
    return box


async def _body(request: Request) -> dict[str, Any]:
    try:
        body: dict[str, Any] = await json_body(request)
    except BadBody as exc:
        raise generic_error(400, "invalid_body", str(exc)) from exc
    return body


@router.get("/oauth/authorize")
@router.post("/oauth/authorize")
async def oauth_authorize(request: Request) -> Response:
    box = _box(request)
    users = {str(u.data["email"]): str(u.id) for u in box.tables["users"].live()}
    policy = ConsentPolicy(box.config.auto_approve, box.config.require_pkce,
                           next(iter(users.values()), "1"), users, frozenset({"*"}))
    return await authorize(request, box.core.tokens, policy)


@router.post("/oauth/token")
async def oauth_token(request: Request) -> Response:
    box = _box(request)
    policy = TokenPolicy(box.config.access_token_ttl_seconds, True, {})
    return await token_endpoint(request, box.core.tokens, policy)


@router.post("/oauth/revoke")
async def oauth_revoke(request: Request) -> Response:
    form = await request_params(request)
    if not _box(request).core.tokens.revoke(form.get("token", "")):
        return JSONResponse({"error": "invalid_token"}, status_code=400)
    return Response(status_code=200)


@router.get("/authentication")
async def authentication(request: Request) -> Any:
    box = _box(request)
    grant = box.admit(request, None)
    user = box.tables["users"].get(grant.user_id)
    if user is None:
        raise generic_error(403, "forbidden", "The credential belongs to no user.")
    return {"user": box.render(user), "message": "Authenticated"}


@router.delete("/authentication", status_code=204)
async def sign_out(request: Request) -> Response:
    box = _box(request)
    grant = box.admit(request, None)
    box.core.tokens.revoke(grant.token)
    if grant.refresh_token:
        box.core.tokens.revoke(grant.refresh_token)
    return Response(status_code=204)


@router.get("/users")
async def users(request: Request) -> Any:
    box = _box(request)
    box.admit(request, None)
    return {"users": [box.render(r) for r in box.tables["users"].live()]}


@router.get("/contacts")
async def contacts(request: Request, phone: str | None = None, name: str | None = None) -> Any:
    box = _box(request)
    box.admit(request, None)
    return {"contacts": [box.render(r) for r in box.find_contacts(phone, name)]}


@router.post("/contacts", status_code=201)
async def create_contact(request: Request) -> Any:
    box = _box(request)
    box.admit(request, None)
    body = await _body(request)
    if not body.get("name"):
        raise generic_error(400, "invalid_field", "name is required", field="name")
    row = box.tables["contacts"].add({"name": body["name"], "type": body.get("type") or
                                      "Contact", "phone": body.get("phone"),
                                      "email": body.get("email")}, box.core.clock.now())
    return box.render(row)


def _activity_values(box: GenericSandbox, body: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(body) - ACTIVITY_FIELDS)
    if unknown:
        raise generic_error(400, "invalid_field", f"unknown fields: {', '.join(unknown)}",
                            fields=unknown)
    for link in body.get("linked_contacts") or []:
        if box.tables["contacts"].get(link.get("contact_id")) is None:
            raise generic_error(400, "invalid_field",
                                f"linked contact {link.get('contact_id')!r} does not exist")
    return body


@router.post("/activities", status_code=201)
async def create_activity(request: Request) -> Any:
    box = _box(request)
    box.admit(request, None)
    values = _activity_values(box, await _body(request))
    external = values.get("external_id")
    if external:
        clash = next((r for r in box.tables["activities"].live()
                      if r.data.get("external_id") == external), None)
        if clash is not None:
            raise generic_error(409, "conflict", f"an activity with external_id {external!r} "
                                "exists", id=str(clash.id))
    base: dict[str, Any] = {"subject": None, "description": None, "note": None, "start_date": None,
            "end_date": None, "linked_contacts": [], "external_id": None}
    row = box.tables["activities"].add({**base, **values}, box.core.clock.now())
    return {"activity": box.render(row)}


@router.get("/activities")
async def list_activities(request: Request, external_id: str | None = None,
                          contact_id: str | None = None, q: str | None = None) -> Any:
    box = _box(request)
    box.admit(request, None)
    rows = [r for r in box.tables["activities"].live()
            if (external_id is None or r.data.get("external_id") == external_id)
            and (contact_id is None or any(str(c.get("contact_id")) == contact_id
                                           for c in r.data.get("linked_contacts") or []))
            and (q is None or q in f"{r.data.get('description') or ''} "
                                   f"{r.data.get('note') or ''} {r.data.get('subject') or ''}")]
    return {"activities": [box.render(r) for r in rows]}


@router.get("/activities/{activity_id}")
async def get_activity(request: Request, activity_id: str) -> Any:
    box = _box(request)
    box.admit(request, None)
    row = box.tables["activities"].get(activity_id)
    if row is None:
        raise generic_error(404, "not_found", f"no activity {activity_id}")
    return {"activity": box.render(row)}


@router.put("/activities/{activity_id}")
@router.patch("/activities/{activity_id}")
async def update_activity(request: Request, activity_id: str) -> Any:
    box = _box(request)
    box.admit(request, None)
    row = box.tables["activities"].get(activity_id)
    if row is None:
        raise generic_error(404, "not_found", f"no activity {activity_id}")
    values = _activity_values(box, await _body(request))
    box.tables["activities"].change(row, values, box.core.clock.now())
    return {"activity": box.render(row)}
