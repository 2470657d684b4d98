"""Pipedrive routes: OAuth, v2 persons/activities/deals, v1 notes and users."""

from __future__ import annotations

import re
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
from callbridge.sandbox.crm.pipedrive.errors import pd_error
from callbridge.sandbox.crm.pipedrive.sandbox import PipedriveSandbox

router = APIRouter()
ACTIVITY_TYPES = {"call", "meeting", "task", "deadline", "email", "lunch"}
ACTIVITY_FIELDS = {"subject", "type", "due_date", "due_time", "duration", "note", "done",
                   "owner_id", "deal_id", "lead_id", "org_id", "person_id", "participants",
                   "busy", "public_description", "location", "priority", "project_id"}


def _box(request: Request) -> PipedriveSandbox:
    box: PipedriveSandbox = request.app.state.sandbox
    return box


async def _body(request: Request) -> dict[str, Any]:
    try:
        body: dict[str, Any] = await json_body(request)
    except BadBody as exc:
        raise pd_error(400, str(exc)) from exc
    return body


def _ok(data: Any, additional: Any = None) -> dict[str, Any]:
    out: dict[str, Any] = {"success": True, "data": data}
    if additional is not None:
        out["additional_data"] = additional
    return out


def _page(items: list[Any], limit: int, cursor: str | None) -> tuple[list[Any], dict[str, Any]]:
    start = int(cursor) if cursor and cursor.isdigit() else 0
    page = items[start:start + limit]
    more = start + limit < len(items)
    return page, {"next_cursor": str(start + limit) if more else None}


# -- OAuth -------------------------------------------------------------------------------
@router.get("/oauth/authorize")
@router.post("/oauth/authorize")
async def oauth_authorize(request: Request) -> Response:
    box = _box(request)
    users = {str(u.data["email"]): str(u.id) for u in box.tables["users"].live()}
    policy = ConsentPolicy(box.config.auto_approve, box.config.require_pkce,
                           next(iter(users.values()), "1"), users,
                           frozenset({"base", "contacts:full", "activities:full",
                                      "deals:read", "users:read", "search:read"}))
    return await authorize(request, box.core.tokens, policy)


@router.post("/oauth/token")
async def oauth_token(request: Request) -> Response:
    box = _box(request)
    policy = TokenPolicy(box.config.access_token_ttl_seconds, False,
                         {"api_domain": str(request.base_url).rstrip("/")})
    return await token_endpoint(request, box.core.tokens, policy)


@router.post("/oauth/revoke")
async def oauth_revoke(request: Request) -> Response:
    form = await request_params(request)
    if not _box(request).core.tokens.revoke(form.get("token", "")):
        return JSONResponse({"error": "invalid_token"}, status_code=400)
    return Response(status_code=200)


# -- persons -----------------------------------------------------------------------------
@router.get("/api/v2/persons/search")
async def persons_search(request: Request, term: str = "", fields: str = "",
                         exact_match: bool = False, limit: int = 100,
                         cursor: str | None = None) -> Any:
    box = _box(request)
    box.admit(request, "search:read", search=True)
    if len(term) < (1 if exact_match else 2):
        raise pd_error(400, "term must be at least 2 characters (1 with exact_match)")
    wanted = {f for f in fields.split(",") if f} or {"phone"}
    items = box.search_persons(term, exact_match) if "phone" in wanted else []
    page, extra = _page(items, min(limit, 500), cursor)
    return _ok({"items": page}, extra)


@router.post("/api/v2/persons")
async def create_person(request: Request) -> Any:
    box = _box(request)
    grant = box.admit(request, "contacts:full")
    body = await _body(request)
    if not body.get("name"):
        raise pd_error(400, "name is required")
    row = box.tables["persons"].add({
        "name": body["name"], "first_name": body.get("first_name"),
        "last_name": body.get("last_name"), "owner_id": body.get("owner_id") or int(grant.user_id),
        "org_id": body.get("org_id"), "phones": body.get("phones") or [],
        "emails": body.get("emails") or [], "visible_to": body.get("visible_to", 3),
        "label_ids": [], "picture_id": None, "custom_fields": {}}, box.core.clock.now())
    return _ok(box.render("persons", row))


@router.get("/api/v2/persons/{person_id}")
async def get_person(request: Request, person_id: int) -> Any:
    box = _box(request)
    box.admit(request, "contacts:read")
    row = box.tables["persons"].get(person_id)
    if row is None:
        raise pd_error(404, "Person not found")
    return _ok(box.render("persons", row))


# -- activities --------------------------------------------------------------------------
def _activity_values(box: PipedriveSandbox, body: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(body) - ACTIVITY_FIELDS)
    if unknown:
        raise pd_error(400, f"Unknown activity fields: {', '.join(unknown)}")
    if "type" in body and body["type"] not in ACTIVITY_TYPES:
        raise pd_error(400, f"Invalid activity type {body['type']!r}; known: "
                       f"{sorted(ACTIVITY_TYPES)}")
    checks = {"due_date": r"\d{4}-\d{2}-\d{2}", "due_time": r"\d{2}:\d{2}",
              "duration": r"\d{2}:\d{2}"}
    for name, pattern in checks.items():
        if body.get(name) is not None and not re.fullmatch(pattern, str(body[name])):
            raise pd_error(400, f"{name} must look like {pattern}")
    for name, table in (("deal_id", "deals"), ("person_id", "persons"), ("org_id",
                                                                         "organizations")):
        if body.get(name) is not None and box.tables[table].get(body[name]) is None:
            raise pd_error(400, f"{name} {body[name]} does not exist")
    values = dict(body)
    participants = body.get("participants") or []
    primary = next((p for p in participants if p.get("primary")), None)
    if primary and "person_id" not in values:
        values["person_id"] = primary.get("person_id")
    return values


@router.post("/api/v2/activities")
async def create_activity(request: Request) -> Any:
    box = _box(request)
    grant = box.admit(request, "activities:full")
    values = _activity_values(box, await _body(request))
    now = box.core.clock.now()
    base: dict[str, Any] = {"subject": values.get("subject") or "Call", "type": "call", "owner_id":
            int(grant.user_id), "creator_user_id": int(grant.user_id), "done": False,
            "deal_id": None, "lead_id": None, "person_id": None, "org_id": None,
            "participants": [], "note": None, "duration": None, "due_date": None,
            "due_time": None, "busy": False, "public_description": None,
            "marked_as_done_time": None}
    base.update(values)
    if base["done"]:
        base["marked_as_done_time"] = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    row = box.tables["activities"].add(base, now)
    return _ok(box.render("activities", row))


@router.get("/api/v2/activities")
async def list_activities(request: Request, person_id: int | None = None,
                          deal_id: int | None = None, done: bool | None = None,
                          updated_since: str | None = None, limit: int = 100,
                          cursor: str | None = None) -> Any:
    box = _box(request)
    box.admit(request, "activities:read")
    rows = [r for r in box.tables["activities"].live()
            if (person_id is None or r.data.get("person_id") == person_id)
            and (deal_id is None or r.data.get("deal_id") == deal_id)
            and (done is None or bool(r.data.get("done")) == done)]
    items = [box.render("activities", r) for r in rows]
    if updated_since:
        items = [i for i in items if i["update_time"] >= updated_since]
    page, extra = _page(items, min(limit, 500), cursor)
    return _ok(page, extra)


@router.get("/api/v2/activities/{activity_id}")
async def get_activity(request: Request, activity_id: int) -> Any:
    box = _box(request)
    box.admit(request, "activities:read")
    row = box.tables["activities"].get(activity_id)
    if row is None:
        raise pd_error(404, "Activity not found")
    return _ok(box.render("activities", row))


@router.patch("/api/v2/activities/{activity_id}")
async def patch_activity(request: Request, activity_id: int) -> Any:
    box = _box(request)
    box.admit(request, "activities:full")
    row = box.tables["activities"].get(activity_id)
    if row is None:
        raise pd_error(404, "Activity not found")
    values = _activity_values(box, await _body(request))
    box.tables["activities"].change(row, values, box.core.clock.now())
    return _ok(box.render("activities", row))


@router.delete("/api/v2/activities/{activity_id}")
async def delete_activity(request: Request, activity_id: int) -> Any:
    box = _box(request)
    box.admit(request, "activities:full")
    row = box.tables["activities"].get(activity_id)
    if row is None:
        raise pd_error(404, "Activity not found")
    row.deleted = True
    return _ok({"id": activity_id})


# -- deals, notes, users -----------------------------------------------------------------
@router.get("/api/v2/deals")
async def list_deals(request: Request, person_id: int | None = None) -> Any:
    box = _box(request)
    box.admit(request, "deals:read")
    rows = [r for r in box.tables["deals"].live()
            if person_id is None or r.data.get("person_id") == person_id]
    return _ok([box.render("deals", r) for r in rows], {"next_cursor": None})


@router.post("/v1/notes")
async def create_note(request: Request) -> Any:
    box = _box(request)
    grant = box.admit(request, "contacts:full")
    body = await _body(request)
    if not body.get("content"):
        raise pd_error(400, "content is required")
    if not any(body.get(k) for k in ("deal_id", "person_id", "org_id", "lead_id",
                                      "project_id")):
        raise pd_error(400, "a note needs one of deal_id, person_id, org_id, lead_id")
    row = box.tables["notes"].add({
        "content": body["content"], "deal_id": body.get("deal_id"),
        "person_id": body.get("person_id"), "org_id": body.get("org_id"),
        "lead_id": body.get("lead_id"), "user_id": body.get("user_id") or int(grant.user_id),
        "pinned_to_person_flag": bool(body.get("pinned_to_person_flag"))},
        box.core.clock.now())
    return _ok(box.render("notes", row))


@router.get("/v1/notes")
async def list_notes(request: Request, person_id: int | None = None, deal_id: int | None = None,
                     updated_since: str | None = None, start: int = 0, limit: int = 100,
                     sort: str | None = None) -> Any:
    """v1 listing: offset paging (`start`, `limit`) with `additional_data.pagination`."""
    box = _box(request)
    box.admit(request, "contacts:read")
    rows = [r for r in box.tables["notes"].live()
            if (person_id is None or r.data.get("person_id") == person_id)
            and (deal_id is None or r.data.get("deal_id") == deal_id)]
    items = [box.render("notes", r) for r in rows]
    if updated_since:  # v1 timestamps are "YYYY-MM-DD HH:MM:SS" UTC, so text order is time order
        items = [i for i in items if i["update_time"] >= updated_since]
    if sort and sort.replace(" ", "").lower() == "update_timedesc":
        items.sort(key=lambda i: i["update_time"], reverse=True)
    limit = max(1, min(limit, 500))
    page = items[start:start + limit]
    more = start + limit < len(items)
    pagination = {"start": start, "limit": limit, "more_items_in_collection": more}
    if more:
        pagination["next_start"] = start + limit
    return _ok(page, {"pagination": pagination})


@router.get("/v1/notes/{note_id}")
async def get_note(request: Request, note_id: int) -> Any:
    box = _box(request)
    box.admit(request, "contacts:read")
    row = box.tables["notes"].get(note_id)
    if row is None:
        raise pd_error(404, "Note not found")
    return _ok(box.render("notes", row))


@router.put("/v1/notes/{note_id}")
async def update_note(request: Request, note_id: int) -> Any:
    box = _box(request)
    box.admit(request, "contacts:full")
    row = box.tables["notes"].get(note_id)
    if row is None:
        raise pd_error(404, "Note not found")
    body = await _body(request)
    allowed = {k: v for k, v in body.items() if k in ("content", "deal_id", "person_id",
                                                       "pinned_to_person_flag")}
    box.tables["notes"].change(row, allowed, box.core.clock.now())
    return _ok(box.render("notes", row))


@router.get("/v1/users")
async def users(request: Request) -> Any:
    box = _box(request)
    box.admit(request, "users:read")
    return _ok([box.render("users", r) for r in box.tables["users"].live()])


@router.get("/v1/users/me")
async def me(request: Request) -> Any:
    box = _box(request)
    grant = box.admit(request, None)
    row = box.tables["users"].get(grant.user_id)
    if row is None:
        raise pd_error(404, "User not found")
    return _ok(box.render("users", row))
