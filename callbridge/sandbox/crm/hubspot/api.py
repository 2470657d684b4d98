"""HubSpot CRM routes: objects v3, search, associations v4, owners, call dispositions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from callbridge.sandbox.crm._kit.body import BadBody, json_body
from callbridge.sandbox.crm._kit.timefmt import iso_z
from callbridge.sandbox.crm.hubspot import errors, schema
from callbridge.sandbox.crm.hubspot.sandbox import HubSpotSandbox
from callbridge.sandbox.crm.hubspot.store import Edge


def _box(request: Request) -> HubSpotSandbox:
    box: HubSpotSandbox = request.app.state.sandbox
    return box


def _names(request: Request, key: str) -> list[str]:
    return [n for raw in request.query_params.getlist(key) for n in raw.split(",") if n]


async def _body(request: Request) -> dict[str, Any]:
    try:
        body: dict[str, Any] = await json_body(request)
    except BadBody as exc:
        raise errors.validation(str(exc)) from exc
    return body


router = APIRouter()


@router.post("/crm/v3/objects/{object_type}/search")
async def search(request: Request, object_type: str) -> Any:
    box = _box(request)
    box.check_type(object_type)
    box.admit(request, box.config.read_scopes.get(object_type), search=True)
    return box.search(object_type, await _body(request))


@router.post("/crm/v3/objects/{object_type}", status_code=201)
async def create(request: Request, object_type: str) -> Any:
    box = _box(request)
    box.check_type(object_type)
    grant = box.admit(request, box.config.write_scopes.get(object_type))
    record = box.create(object_type, await _body(request), grant)
    return box.render(record, full=True)


@router.get("/crm/v3/objects/{object_type}")
async def list_objects(request: Request, object_type: str, limit: int = 10,
                       after: str | None = None) -> Any:
    box = _box(request)
    box.check_type(object_type)
    box.admit(request, box.config.read_scopes.get(object_type))
    records = [r for r in box.store.records[object_type].values() if not r.archived]
    start = int(after or 0)
    page = records[start:start + min(limit, 100)]
    out: dict[str, Any] = {"results": [
        box.render(r, props=_names(request, "properties") or None,
                   assoc=_names(request, "associations")) for r in page]}
    if start + len(page) < len(records):
        out["paging"] = {"next": {"after": str(start + len(page)),
                                  "link": f"?after={start + len(page)}"}}
    return out


@router.get("/crm/v3/objects/{object_type}/{object_id}")
async def get_object(request: Request, object_type: str, object_id: str) -> Any:
    box = _box(request)
    box.check_type(object_type)
    box.admit(request, box.config.read_scopes.get(object_type))
    record = box.require(object_type, object_id)
    return box.render(record, props=_names(request, "properties") or None,
                      assoc=_names(request, "associations"))


@router.patch("/crm/v3/objects/{object_type}/{object_id}")
async def patch_object(request: Request, object_type: str, object_id: str) -> Any:
    box = _box(request)
    box.check_type(object_type)
    box.admit(request, box.config.write_scopes.get(object_type))
    record = box.require(object_type, object_id)
    return box.render(box.update(record, await _body(request)), full=True)


@router.delete("/crm/v3/objects/{object_type}/{object_id}", status_code=204)
async def archive_object(request: Request, object_type: str, object_id: str) -> Response:
    box = _box(request)
    box.check_type(object_type)
    box.admit(request, box.config.write_scopes.get(object_type))
    record = box.store.get(object_type, object_id)
    if record is not None:
        record.archived = True
        box.store.change(record, {}, box.core.clock.now())
    return Response(status_code=204)


def _edge_target(box: HubSpotSandbox, from_type: str, from_id: str, to_type: str,
                 to_id: str) -> None:
    box.check_type(from_type)
    box.check_type(to_type)
    box.require(from_type, from_id)
    box.require(to_type, to_id)


@router.put("/crm/v4/objects/{from_type}/{from_id}/associations/default/{to_type}/{to_id}")
async def associate_default(request: Request, from_type: str, from_id: str, to_type: str,
                            to_id: str) -> Any:
    box = _box(request)
    box.admit(request, box.config.write_scopes.get(from_type))
    _edge_target(box, from_type, from_id, to_type, to_id)
    type_id = schema.ASSOCIATION_TYPES.get(from_type, {}).get(to_type, 0)
    box.store.associate(Edge(from_type, from_id, to_type, to_id, type_id, "HUBSPOT_DEFINED"))
    now = iso_z(box.core.clock.now())
    return {"status": "COMPLETE", "results": [{
        "from": {"id": from_id}, "to": {"id": to_id},
        "associationSpec": {"associationCategory": "HUBSPOT_DEFINED",
                            "associationTypeId": type_id}}],
        "startedAt": now, "completedAt": now}


@router.put("/crm/v4/objects/{from_type}/{from_id}/associations/{to_type}/{to_id}",
            status_code=201)
async def associate_labelled(request: Request, from_type: str, from_id: str, to_type: str,
                             to_id: str) -> Any:
    box = _box(request)
    box.admit(request, box.config.write_scopes.get(from_type))
    _edge_target(box, from_type, from_id, to_type, to_id)
    try:
        specs = await json_body(request, want=list)
    except BadBody as exc:
        raise errors.validation(str(exc)) from exc
    for spec in specs:
        if not isinstance(spec, dict) or "associationTypeId" not in spec:
            raise errors.validation("each item needs associationCategory and associationTypeId")
        box.store.associate(Edge(from_type, from_id, to_type, to_id,
                                 int(spec["associationTypeId"]),
                                 str(spec.get("associationCategory", "HUBSPOT_DEFINED"))))
    return {"fromObjectTypeId": schema.OBJECT_TYPE_IDS[from_type], "fromObjectId": int(from_id),
            "toObjectTypeId": schema.OBJECT_TYPE_IDS[to_type], "toObjectId": int(to_id),
            "labels": []}


@router.get("/crm/v4/objects/{from_type}/{from_id}/associations/{to_type}")
async def list_associations(request: Request, from_type: str, from_id: str,
                            to_type: str) -> Any:
    box = _box(request)
    box.check_type(from_type)
    box.check_type(to_type)
    box.admit(request, box.config.read_scopes.get(from_type))
    box.require(from_type, from_id)
    grouped: dict[str, list[dict[str, Any]]] = {}
    for edge in box.store.edges_of(from_type, from_id, to_type):
        grouped.setdefault(edge.to_id, []).append(
            {"category": edge.category, "typeId": edge.type_id, "label": None})
    return {"results": [{"toObjectId": int(k), "associationTypes": v}
                        for k, v in sorted(grouped.items())]}


@router.get("/crm/v3/owners")
@router.get("/crm/v3/owners/")
async def owners(request: Request, email: str | None = None) -> Any:
    box = _box(request)
    box.admit(request, box.config.read_scopes["owners"])
    found = [o.render() for o in box.owners.values()
             if email is None or o.email.lower() == email.lower()]
    return {"results": found}


@router.get("/crm/v3/owners/{owner_id}")
async def owner(request: Request, owner_id: str) -> Any:
    box = _box(request)
    box.admit(request, box.config.read_scopes["owners"])
    found = box.owners.get(owner_id)
    if found is None:
        raise errors.not_found("owners", owner_id)
    return found.render()


@router.get("/calling/v1/dispositions")
async def dispositions(request: Request) -> Any:
    box = _box(request)
    box.admit(request, box.config.read_scopes["calls"])
    return [{"id": k, "label": v, "deleted": False} for k, v in schema.DISPOSITIONS.items()]
