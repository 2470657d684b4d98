"""Clio Manage routes: OAuth (authorize, token, deauthorize) and ``/api/v4/*.json``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from callbridge.sandbox.crm._kit.body import BadBody, json_body
from callbridge.sandbox.crm._kit.guard import bearer_token
from callbridge.sandbox.crm._kit.oauth import (
    ConsentPolicy,
    TokenPolicy,
    authorize,
    request_params,
    token_endpoint,
)
from callbridge.sandbox.crm._kit.timefmt import iso_seconds_z, parse_iso
from callbridge.sandbox.crm.clio import fields
from callbridge.sandbox.crm.clio.sandbox import ClioSandbox, clio_error

router = APIRouter()
COMM_TYPES = {"PhoneCommunication", "EmailCommunication"}


def _box(request: Request) -> ClioSandbox:
    box: ClioSandbox = request.app.state.sandbox
    return box


async def _data(request: Request, status: int) -> dict[str, Any]:
    try:
        body = await json_body(request)
    except BadBody as exc:
        raise clio_error(400, "BadRequest", str(exc)) from exc
    data = body.get("data")
    if not isinstance(data, dict):
        raise clio_error(status, "ValidationError", "the body must be {\"data\": {...}}")
    return data


def _one(box: ClioSandbox, table: str, row_id: int, request: Request) -> dict[str, Any]:
    row = box.tables[table].get(row_id)
    if row is None:
        raise clio_error(404, "RecordNotFound", f"no {table[:-1]} with id {row_id}")
    return {"data": fields.project(box.render(table, row),
                                   fields.parse(request.query_params.get("fields")))}


def _many(box: ClioSandbox, table: str, rows: list[Any], request: Request, limit: int,
          page_token: str | None) -> dict[str, Any]:
    start = int(page_token) if page_token and page_token.isdigit() else 0
    page = rows[start:start + limit]
    selection = fields.parse(request.query_params.get("fields"))
    out: dict[str, Any] = {"data": [fields.project(box.render(table, r), selection)
                                    for r in page], "meta": {"paging": {}, "records": len(rows)}}
    if start + limit < len(rows):
        url = request.url.include_query_params(page_token=str(start + limit))
        out["meta"]["paging"]["next"] = str(url)
    return out


# -- OAuth -------------------------------------------------------------------------------
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
    policy = TokenPolicy(box.config.access_token_ttl_seconds, False, {})
    answer = await token_endpoint(request, box.core.tokens, policy)
    return answer


@router.post("/oauth/deauthorize")
async def oauth_deauthorize(request: Request) -> Response:
    box = _box(request)
    form = await request_params(request)
    token = form.get("token") or bearer_token(request) or ""
    grant = box.core.tokens.access.get(token)
    if grant is None and token not in box.core.tokens.refresh:
        return JSONResponse({"error": "invalid_token"}, status_code=400)
    if grant is not None:
        box.core.tokens.revoke_user_tokens(grant.user_id, grant.client_id)
    box.core.tokens.revoke(token)
    return Response(status_code=200)


# -- contacts ----------------------------------------------------------------------------
@router.get("/api/v4/contacts.json")
async def contacts(request: Request, query: str | None = None, limit: int = 200,
                   page_token: str | None = None) -> Any:
    box = _box(request)
    box.admit(request, None)
    rows = box.query_contacts(query) if query else box.tables["contacts"].live()
    return _many(box, "contacts", rows, request, min(limit, 200), page_token)


@router.post("/api/v4/contacts.json", status_code=201)
async def create_contact(request: Request) -> Any:
    box = _box(request)
    box.admit(request, None)
    data = await _data(request, box.config.validation_status)
    kind = data.get("type")
    if kind not in ("Person", "Company"):
        raise clio_error(box.config.validation_status, "ValidationError",
                         "type must be Person or Company")
    name = data.get("name") or " ".join(
        p for p in (data.get("first_name"), data.get("last_name")) if p)
    if not name:
        raise clio_error(box.config.validation_status, "ValidationError",
                         "a Person needs first_name or last_name; a Company needs name")
    numbers = [{"id": i + 1, **n} for i, n in enumerate(data.get("phone_numbers") or [])]
    row = box.tables["contacts"].add({
        "name": name, "first_name": data.get("first_name"), "last_name": data.get("last_name"),
        "type": kind, "primary_email_address": None, "phone_numbers": numbers},
        box.core.clock.now())
    return _one(box, "contacts", row.id, request)


@router.get("/api/v4/contacts/{contact_id}.json")
async def get_contact(request: Request, contact_id: int) -> Any:
    box = _box(request)
    box.admit(request, None)
    return _one(box, "contacts", contact_id, request)


# -- communications ----------------------------------------------------------------------
def _parties(box: ClioSandbox, items: Any, status: int) -> list[dict[str, Any]]:
    out = []
    for item in items or []:
        kind = item.get("type") if isinstance(item, dict) else None
        table = {"Contact": "contacts", "User": "users"}.get(str(kind))
        row = box.tables[table].get(item.get("id")) if table else None
        if row is None:
            raise clio_error(status, "ValidationError", f"unknown party {item!r}")
        out.append({"id": row.id, "type": kind, "name": row.data["name"]})
    return out


def _comm_values(box: ClioSandbox, data: dict[str, Any], creating: bool) -> dict[str, Any]:
    status = box.config.validation_status
    values: dict[str, Any] = {}
    if creating or "type" in data:
        if data.get("type") not in COMM_TYPES:
            raise clio_error(status, "ValidationError", f"type must be one of {sorted(COMM_TYPES)}")
        values["type"] = data["type"]
    for key in ("subject", "body"):
        if key in data:
            values[key] = data[key]
    if "received_at" in data:
        try:
            values["received_at"] = iso_seconds_z(parse_iso(str(data["received_at"])))
        except ValueError as exc:
            raise clio_error(status, "ValidationError", "received_at must be ISO 8601") from exc
    for key in ("senders", "receivers"):
        if key in data:
            values[key] = _parties(box, data[key], status)
    if "matter" in data:
        matter = box.tables["matters"].get((data["matter"] or {}).get("id") or 0)
        if data["matter"] and matter is None:
            raise clio_error(status, "ValidationError", f"unknown matter {data['matter']!r}")
        values["matter"] = ({"id": matter.id, "display_number": matter.data["display_number"]}
                            if matter else None)
    return values


@router.post("/api/v4/communications.json", status_code=201)
async def create_communication(request: Request) -> Any:
    box = _box(request)
    grant = box.admit(request, None)
    values = _comm_values(box, await _data(request, box.config.validation_status), True)
    user = box.tables["users"].get(grant.user_id)
    base: dict[str, Any] = {"subject": None, "body": None, "received_at": None, "senders": [],
            "receivers": [], "matter": None,
            "user": {"id": user.id, "name": user.data["name"]} if user else None}
    row = box.tables["communications"].add({**base, **values}, box.core.clock.now())
    return _one(box, "communications", row.id, request)


@router.get("/api/v4/communications.json")
async def communications(request: Request, matter_id: int | None = None,
                         contact_id: int | None = None, query: str | None = None,
                         limit: int = 200, page_token: str | None = None) -> Any:
    box = _box(request)
    box.admit(request, None)
    rows = [r for r in box.tables["communications"].live()
            if (matter_id is None or (r.data.get("matter") or {}).get("id") == matter_id)
            and (contact_id is None or any(p["id"] == contact_id and p["type"] == "Contact"
                                           for p in r.data["senders"] + r.data["receivers"]))
            and (query is None or query.lower() in
                 f"{r.data.get('subject') or ''} {r.data.get('body') or ''}".lower())]
    return _many(box, "communications", rows, request, min(limit, 200), page_token)


@router.get("/api/v4/communications/{comm_id}.json")
async def get_communication(request: Request, comm_id: int) -> Any:
    box = _box(request)
    box.admit(request, None)
    return _one(box, "communications", comm_id, request)


@router.patch("/api/v4/communications/{comm_id}.json")
async def patch_communication(request: Request, comm_id: int) -> Any:
    box = _box(request)
    box.admit(request, None)
    row = box.tables["communications"].get(comm_id)
    if row is None:
        raise clio_error(404, "RecordNotFound", f"no communication with id {comm_id}")
    expected = request.headers.get("if-match")
    if expected and expected != box.render("communications", row)["etag"]:
        raise clio_error(412, "PreconditionFailed", "the record changed since it was read")
    values = _comm_values(box, await _data(request, box.config.validation_status), False)
    box.tables["communications"].change(row, values, box.core.clock.now())
    return _one(box, "communications", comm_id, request)


# -- matters and users -------------------------------------------------------------------
@router.get("/api/v4/matters.json")
async def matters(request: Request, client_id: int | None = None, limit: int = 200,
                  page_token: str | None = None) -> Any:
    box = _box(request)
    box.admit(request, None)
    rows = [r for r in box.tables["matters"].live()
            if client_id is None or r.data["client"]["id"] == client_id]
    return _many(box, "matters", rows, request, min(limit, 200), page_token)


@router.get("/api/v4/users.json")
async def users(request: Request, limit: int = 200, page_token: str | None = None) -> Any:
    box = _box(request)
    box.admit(request, None)
    return _many(box, "users", box.tables["users"].live(), request, min(limit, 200), page_token)


@router.get("/api/v4/users/who_am_i.json")
async def who_am_i(request: Request) -> Any:
    box = _box(request)
    grant = box.admit(request, None)
    return _one(box, "users", int(grant.user_id), request)
