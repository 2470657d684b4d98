"""Salesforce REST routes under ``/services/data/vXX.X``, including composite."""

from __future__ import annotations

import copy
import json
import re
from typing import Any
from urllib.parse import parse_qs, urlparse

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from callbridge.sandbox.crm._kit.errors import SandboxError
from callbridge.sandbox.crm._kit.tokens import AccessGrant
from callbridge.sandbox.crm.salesforce import errors
from callbridge.sandbox.crm.salesforce.sandbox import Result, SalesforceSandbox

router = APIRouter()
VERSION = re.compile(r"^v\d{2,3}\.\d$")
MAX_SUBREQUESTS = 25
HALTED = [{"errorCode": "PROCESSING_HALTED", "message": "The transaction was rolled back "
           "since another operation in the same transaction failed."}]


def _box(request: Request) -> SalesforceSandbox:
    box: SalesforceSandbox = request.app.state.sandbox
    return box


def _version(version: str) -> str:
    if not VERSION.match(version):
        raise errors.not_found()
    return version


def _answer(result: Result) -> Response:
    status, body = result
    if body is None:
        return Response(status_code=status)
    return JSONResponse(body, status_code=status)


async def _json(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw) if raw.strip() else None
    except ValueError as exc:
        raise errors.sf_error(400, "JSON_PARSER_ERROR", f"Unexpected character: {exc}") from exc


@router.get("/services/data")
@router.get("/services/data/")
async def versions() -> Any:
    return [{"label": "Spring '24", "url": "/services/data/v60.0", "version": "60.0"},
            {"label": "Winter '26", "url": "/services/data/v65.0", "version": "65.0"}]


@router.get("/services/data/{version}/limits")
async def limits(request: Request, version: str) -> Any:
    box = _box(request)
    _version(version)
    box.admit(request, None)
    usage = box.daily.peek(box.config.org_id, box.core.clock.now())
    return {"DailyApiRequests": {"Max": usage.limit, "Remaining": usage.remaining}}


@router.get("/services/data/{version}/sobjects/{name}/describe")
async def describe(request: Request, version: str, name: str) -> Any:
    box = _box(request)
    _version(version)
    box.admit(request, None)
    obj = box.sobject(name)
    return {"name": obj.name, "keyPrefix": obj.prefix, "fields": [
        {"name": f.name, "type": f.type, "length": f.length, "createable": f.createable,
         "updateable": f.updateable, "filterable": f.filterable, "externalId": f.external_id,
         "referenceTo": list(f.refs),
         "picklistValues": [{"value": v, "label": v, "active": True} for v in f.picklist]}
        for f in obj.fields.values()]}


@router.post("/services/data/{version}/sobjects/{name}")
@router.post("/services/data/{version}/sobjects/{name}/")
async def create(request: Request, version: str, name: str) -> Response:
    box = _box(request)
    _version(version)
    grant = box.admit(request, None)
    return _answer(box.create(grant, name, await _json(request)))


@router.get("/services/data/{version}/sobjects/{name}/{record_id}")
async def read(request: Request, version: str, name: str, record_id: str,
               fields: str | None = None) -> Response:
    box = _box(request)
    grant = box.admit(request, None)
    wanted = [f for f in fields.split(",") if f] if fields else None
    return _answer(box.read(grant, name, record_id, _version(version), wanted))


@router.patch("/services/data/{version}/sobjects/{name}/{record_id}")
async def patch(request: Request, version: str, name: str, record_id: str) -> Response:
    box = _box(request)
    _version(version)
    grant = box.admit(request, None)
    return _answer(box.patch(grant, name, record_id, await _json(request)))


@router.delete("/services/data/{version}/sobjects/{name}/{record_id}")
async def delete(request: Request, version: str, name: str, record_id: str) -> Response:
    box = _box(request)
    _version(version)
    grant = box.admit(request, None)
    return _answer(box.delete(grant, name, record_id))


@router.patch("/services/data/{version}/sobjects/{name}/{field}/{value}")
async def upsert(request: Request, version: str, name: str, field: str, value: str) -> Response:
    box = _box(request)
    grant = box.admit(request, None)
    return _answer(box.upsert(grant, name, field, value, await _json(request),
                              _version(version)))


@router.get("/services/data/{version}/query")
@router.get("/services/data/{version}/query/")
async def query(request: Request, version: str, q: str = "") -> Response:
    box = _box(request)
    grant = box.admit(request, None)
    return _answer(box.query(grant, q, _version(version)))


@router.get("/services/data/{version}/query/{locator}")
async def query_more(request: Request, version: str, locator: str) -> Response:
    box = _box(request)
    box.admit(request, None)
    return _answer(box.more(locator, _version(version)))


@router.get("/services/data/{version}/search")
@router.get("/services/data/{version}/search/")
async def search(request: Request, version: str, q: str = "") -> Response:
    box = _box(request)
    grant = box.admit(request, None)
    return _answer(box.search(grant, q, _version(version)))


@router.get("/services/data/{version}/parameterizedSearch")
@router.get("/services/data/{version}/parameterizedSearch/")
async def parameterized_search(request: Request, version: str) -> Response:
    box = _box(request)
    grant = box.admit(request, None)
    params = {k: request.query_params.getlist(k) for k in request.query_params}
    return _answer(box.parameterized(grant, params, _version(version)))


# -- composite ---------------------------------------------------------------------------
_REF = re.compile(r"@\{([A-Za-z0-9_]+)\.([^}]+)\}")


def _resolve(value: Any, results: dict[str, Any]) -> Any:
    if isinstance(value, str):
        def swap(match: re.Match[str]) -> str:
            current: Any = results.get(match.group(1))
            for part in re.findall(r"[^.\[\]]+", match.group(2)):
                if isinstance(current, list) and part.isdigit():
                    current = current[int(part)] if int(part) < len(current) else None
                elif isinstance(current, dict):
                    current = current.get(part)
                else:
                    current = None
            if current is None:
                raise errors.sf_error(400, "INVALID_REFERENCE", "Invalid reference specified. "
                                      f"No value for {match.group(0)} found.")
            return str(current)
        return _REF.sub(swap, value)
    if isinstance(value, dict):
        return {k: _resolve(v, results) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, results) for v in value]
    return value


def _dispatch(box: SalesforceSandbox, grant: AccessGrant, method: str, url: str,
              body: Any) -> Result:
    parsed = urlparse(url)
    parts = [p for p in parsed.path.split("/") if p]
    if parts[:2] != ["services", "data"] or len(parts) < 4:
        raise errors.not_found()
    version, kind, rest = parts[2], parts[3], parts[4:]
    _version(version)
    params = parse_qs(parsed.query)
    if kind == "sobjects" and len(rest) == 1 and method == "POST":
        return box.create(grant, rest[0], body)
    if kind == "sobjects" and len(rest) == 2:
        if method == "GET":
            fields = params.get("fields", [""])[0].split(",") if "fields" in params else None
            return box.read(grant, rest[0], rest[1], version, [f for f in fields or [] if f]
                            or None)
        if method == "PATCH":
            return box.patch(grant, rest[0], rest[1], body)
        if method == "DELETE":
            return box.delete(grant, rest[0], rest[1])
    if kind == "sobjects" and len(rest) == 3 and method == "PATCH":
        return box.upsert(grant, rest[0], rest[1], rest[2], body, version)
    if kind == "query" and method == "GET":
        return box.query(grant, params.get("q", [""])[0], version)
    raise errors.sf_error(400, "INVALID_API_INPUT", f"Unsupported subrequest {method} {url}")


@router.post("/services/data/{version}/composite")
@router.post("/services/data/{version}/composite/")
async def composite(request: Request, version: str) -> Any:
    box = _box(request)
    _version(version)
    grant = box.admit(request, None)  # the whole request counts as one API call
    body = await _json(request)
    subs = body.get("compositeRequest") if isinstance(body, dict) else None
    if not isinstance(subs, list) or not subs:
        raise errors.sf_error(400, "JSON_PARSER_ERROR", "compositeRequest must be a list")
    if len(subs) > MAX_SUBREQUESTS:
        raise errors.sf_error(400, "LIMIT_EXCEEDED", f"Max number of subrequests "
                              f"({MAX_SUBREQUESTS}) exceeded")
    all_or_none = bool(body.get("allOrNone"))
    saved = copy.deepcopy(box.store.records), box.store.counter
    results: dict[str, Any] = {}
    answers: list[dict[str, Any]] = []
    failed = False
    for sub in subs:
        ref = str(sub.get("referenceId", ""))
        if failed and all_or_none:
            answers.append({"body": HALTED, "httpHeaders": {}, "httpStatusCode": 400,
                            "referenceId": ref})
            continue
        try:
            status, out = _dispatch(box, grant, str(sub.get("method", "GET")).upper(),
                                    _resolve(str(sub.get("url", "")), results),
                                    _resolve(sub.get("body"), results))
        except SandboxError as exc:
            status, out = exc.status, exc.body
        headers: dict[str, str] = {}
        if status == 201 and isinstance(out, dict) and "id" in out:
            name = str(sub.get("url", "")).rstrip("/").split("/")[-1]
            headers["Location"] = f"/services/data/{version}/sobjects/{name}/{out['id']}"
        if status >= 400:
            failed = True
        else:
            results[ref] = out
        answers.append({"body": out, "httpHeaders": headers, "httpStatusCode": status,
                        "referenceId": ref})
    if failed and all_or_none:
        box.store.records, box.store.counter = saved
        for answer in answers:
            if answer["httpStatusCode"] < 400:
                answer.update({"body": HALTED, "httpStatusCode": 400, "httpHeaders": {}})
    return {"compositeResponse": answers}
