"""Call log: list, get one or many (207), call-log-sync and call-log-extract-sync (§1)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from .bulk import BulkPart, multipart_mixed_response
from .errors import bad_parameter, not_found
from .guard import (
    Principal,
    check_account,
    guard,
    list_params,
    resolve_extension,
    sandbox_of,
    urls_for,
)
from .models import CallRecord
from .paging import default_window, multi, page_of, parse_date, parse_int
from .render import Urls, render_call
from .state import SandboxState
from .synctoken import decode_token, encode_token, sync_token_error
from .timeutil import iso

__all__ = ["router"]

router = APIRouter()
HEAVY = guard("Heavy", "ReadCallLog")
ACC = "/restapi/v1.0/account/{accountId}"
EXT = ACC + "/extension/{extensionId}"
MISSED = ("Missed", "Voicemail")


def _view(request: Request) -> str:
    view = request.query_params.get("view", "Simple")
    if view not in ("Simple", "Detailed"):
        raise bad_parameter("view")
    return view


def _scope(sandbox: SandboxState, principal: Principal, account_id: str,
           extension_id: str | None) -> int | None:
    check_account(sandbox, account_id)
    if extension_id is None:
        return None
    return resolve_extension(sandbox, principal, extension_id).id


def _render(sandbox: SandboxState, urls: Urls, call: CallRecord, view: str, account_level: bool,
            now: datetime, *, deleted: bool = False) -> dict[str, Any]:
    return render_call(urls, call, view=view, account_level=account_level,
                       recording=sandbox.recording_visible(call, now),
                       modified_at=sandbox.call_modified_at(call, now), deleted=deleted)


def _alive(sandbox: SandboxState, ext_id: int | None, now: datetime,
           show_deleted: bool = False) -> list[CallRecord]:
    out = []
    for call in sandbox.calls_newest_first():
        if call.visible_at > now or (ext_id is not None and call.extension_id != ext_id):
            continue
        if call.deleted_at is not None and call.deleted_at <= now and not show_deleted:
            continue
        out.append(call)
    return out


def _digits(number: str | None) -> str:
    return (number or "").lstrip("+")


def _filter(sandbox: SandboxState, request: Request, calls: list[CallRecord], now: datetime,
            *, extension_level: bool) -> list[CallRecord]:
    q = request.query_params
    date_from, date_to = default_window(request, now)
    types = multi(request, "type")
    directions = multi(request, "direction")
    transports = multi(request, "transport") if extension_level else []
    recording_type = q.get("recordingType")
    if recording_type not in (None, "Automatic", "OnDemand", "All"):
        raise bad_parameter("recordingType")
    if recording_type is None and q.get("withRecording", "").lower() == "true":
        recording_type = "All"
    ext_number = q.get("extensionNumber")
    phone = q.get("phoneNumber")
    if ext_number and phone:
        raise bad_parameter("phoneNumber", "cannot be combined with extensionNumber")
    session_id = q.get("sessionId")
    tsid = q.get("telephonySessionId")
    out = []
    for call in calls:
        if not date_from <= call.start_time <= date_to:
            continue
        if (types and call.type not in types) or (directions and call.direction not in directions):
            continue
        if transports and call.transport not in transports:
            continue
        if recording_type:
            rec = sandbox.recording_visible(call, now)
            if rec is None or recording_type not in ("All", rec.type):
                continue
        if ext_number:
            owner = sandbox.extensions.get(call.extension_id)
            numbers = {call.from_.extension_number, call.to.extension_number,
                       owner.number if owner else None}
            if ext_number not in numbers:
                continue
        if phone and _digits(phone) not in (_digits(call.from_.phone_number),
                                            _digits(call.to.phone_number)):
            continue
        if session_id and call.session_id != session_id:
            continue
        if tsid and call.telephony_session_id != tsid:
            continue
        out.append(call)
    return out


def _list(request: Request, principal: Principal, account_id: str,
          extension_id: str | None) -> dict[str, Any]:
    sandbox = sandbox_of(request)
    ext_id = _scope(sandbox, principal, account_id, extension_id)
    now = sandbox.now()
    view = _view(request)
    show_deleted = request.query_params.get("showDeleted", "false").lower() == "true"
    calls = _filter(sandbox, request, _alive(sandbox, ext_id, now, show_deleted), now,
                    extension_level=ext_id is not None)
    page = page_of(request, calls)
    urls = urls_for(request, sandbox)
    base = urls.account() if ext_id is None else urls.extension(ext_id)
    params = list_params(request)
    return {
        "uri": page.uri(f"{base}/call-log", params),
        "records": [_render(sandbox, urls, c, view, ext_id is None, now) for c in page.items],
        "paging": page.paging(),
        "navigation": page.navigation(f"{base}/call-log", params),
    }


@router.get(ACC + "/call-log")
async def list_company_call_log(request: Request, accountId: str,
                                principal: Principal = Depends(HEAVY)) -> dict[str, Any]:
    return _list(request, principal, accountId, None)


@router.get(EXT + "/call-log")
async def list_user_call_log(request: Request, accountId: str, extensionId: str,
                             principal: Principal = Depends(HEAVY)) -> dict[str, Any]:
    return _list(request, principal, accountId, extensionId)


def _get(request: Request, principal: Principal, account_id: str, extension_id: str | None,
         ids: str) -> Response:
    sandbox = sandbox_of(request)
    ext_id = _scope(sandbox, principal, account_id, extension_id)
    now = sandbox.now()
    view = _view(request)
    wanted = [i for i in ids.split(",") if i]
    if not wanted or len(wanted) > sandbox.config.max_bulk_ids:
        raise bad_parameter("callRecordId",
                            f"from 1 to {sandbox.config.max_bulk_ids} ids are allowed")
    urls = urls_for(request, sandbox)
    base = urls.account() if ext_id is None else urls.extension(ext_id)

    def find(cid: str) -> CallRecord | None:
        call = sandbox.calls.get(cid)
        if call is None or call.visible_at > now or (ext_id is not None
                                                     and call.extension_id != ext_id):
            return None
        if call.deleted_at is not None and call.deleted_at <= now:
            return None
        return call

    if len(wanted) == 1:
        call = find(wanted[0])
        if call is None:
            raise not_found("callRecordId", wanted[0])
        return JSONResponse(_render(sandbox, urls, call, view, ext_id is None, now))
    parts: list[BulkPart] = []
    for cid in wanted:
        call = find(cid)
        href = f"{base}/call-log/{cid}"
        if call is None:
            parts.append((cid, href, 404, not_found("callRecordId", cid).body))
        else:
            parts.append((cid, href, 200, _render(sandbox, urls, call, view, ext_id is None, now)))
    return multipart_mixed_response(parts, f"Boundary_{sandbox.request_count}_{len(parts)}")


@router.get(ACC + "/call-log/{callRecordId}")
async def read_company_call_record(request: Request, accountId: str, callRecordId: str,
                                   principal: Principal = Depends(HEAVY)) -> Response:
    return _get(request, principal, accountId, None, callRecordId)


@router.get(EXT + "/call-log/{callRecordId}")
async def read_user_call_record(request: Request, accountId: str, extensionId: str,
                                callRecordId: str,
                                principal: Principal = Depends(HEAVY)) -> Response:
    return _get(request, principal, accountId, extensionId, callRecordId)


def _sync(request: Request, principal: Principal, account_id: str,
          extension_id: str | None) -> dict[str, Any]:
    sandbox = sandbox_of(request)
    ext_id = _scope(sandbox, principal, account_id, extension_id)
    now = sandbox.now()
    q = request.query_params
    view = _view(request)
    sync_type = q.get("syncType", "FSync")
    if sync_type not in ("FSync", "ISync"):
        raise bad_parameter("syncType")
    status_group = multi(request, "statusGroup") or ["All"]
    missed_only = "Missed" in status_group and "All" not in status_group
    scope = "acc" if ext_id is None else str(ext_id)
    urls = urls_for(request, sandbox)
    base = urls.account() if ext_id is None else urls.extension(ext_id)
    cap = sandbox.config.sync_max_records
    records: list[dict[str, Any]] = []
    if sync_type == "FSync":
        count = parse_int(request, "recordCount", None, low=1)
        if count is None:
            raise bad_parameter("recordCount", "mandatory for FSync")
        oldest = now - timedelta(days=30)
        date_from = parse_date(request, "dateFrom", oldest)
        assert date_from is not None
        date_from = max(date_from, oldest)
        calls = [c for c in _alive(sandbox, ext_id, now) if c.start_time >= date_from
                 and (not missed_only or c.result in MISSED)]
        records = [_render(sandbox, urls, c, view, ext_id is None, now)
                   for c in calls[:min(count, cap)]]
    else:
        token = q.get("syncToken")
        if not token:
            raise bad_parameter("syncToken", "mandatory for ISync")
        epoch, since, _ = decode_token(token, "call-log", scope,
                                       sync_token_error("Sync token is malformed", "CLG-102"))
        if epoch != sandbox.call_log_epoch:
            raise sync_token_error("Sync token expired, call log was reset")
        show_deleted = q.get("showDeleted", "false").lower() == "true"
        changed = [c for c in _alive(sandbox, ext_id, now, show_deleted=True)
                   if since < sandbox.call_modified_at(c, now) <= now
                   and (not missed_only or c.result in MISSED)]
        out = []
        for c in changed:
            deleted = c.deleted_at is not None and c.deleted_at <= now
            if deleted and not show_deleted:
                continue
            out.append((c, deleted))
        if len(out) > cap:
            raise sync_token_error("max sync record number limit is exceeded", "CLG-104")
        records = [_render(sandbox, urls, c, view, ext_id is None, now, deleted=d)
                   for c, d in out]
    return {
        "uri": f"{base}/call-log-sync?{request.url.query}",
        "records": records,
        "syncInfo": {"syncType": sync_type,
                     "syncToken": encode_token("call-log", scope, sandbox.call_log_epoch, now),
                     "syncTime": iso(now)},
    }


@router.get(ACC + "/call-log-sync")
async def sync_account_call_log(request: Request, accountId: str,
                                principal: Principal = Depends(HEAVY)) -> dict[str, Any]:
    return _sync(request, principal, accountId, None)


@router.get(EXT + "/call-log-sync")
async def sync_user_call_log(request: Request, accountId: str, extensionId: str,
                             principal: Principal = Depends(HEAVY)) -> dict[str, Any]:
    return _sync(request, principal, accountId, extensionId)


@router.get(ACC + "/call-log-extract-sync")
async def extract_sync_account_call_log(request: Request, accountId: str,
                                        principal: Principal = Depends(HEAVY)) -> dict[str, Any]:
    """Records *updated* after a point, oldest change first, with `newerRecordsExist`."""
    sandbox = sandbox_of(request)
    check_account(sandbox, accountId)
    now = sandbox.now()
    q = request.query_params
    view = _view(request)
    sync_type = q.get("syncType", "FSync")
    if sync_type not in ("FSync", "ISync"):
        raise bad_parameter("syncType")
    cap = sandbox.config.extract_sync_max_records
    if sync_type == "FSync":
        since = parse_date(request, "dateFrom", now - timedelta(hours=1))
        assert since is not None
        count = min(parse_int(request, "recordCount", 250, low=1) or 250, cap)
        inclusive = True
    else:
        token = q.get("syncToken")
        if not token:
            raise bad_parameter("syncToken", "mandatory for ISync")
        epoch, since, _ = decode_token(token, "extract", "acc",
                                       sync_token_error("Sync token is malformed", "CLG-102"))
        if epoch != sandbox.call_log_epoch:
            raise sync_token_error("Sync token expired, call log was reset")
        count = cap
        inclusive = False
    changed = []
    for c in _alive(sandbox, None, now, show_deleted=True):
        mod = sandbox.call_modified_at(c, now)
        if mod > since or (inclusive and mod == since):
            changed.append((mod, c.id, c))
    changed.sort(key=lambda t: (t[0], t[1]))
    taken = changed[:count]
    if taken and len(changed) > count:
        boundary = taken[-1][0]  # calls sharing the boundary ms are not split
        taken += [t for t in changed[count:] if t[0] == boundary]
    newer = len(changed) > len(taken)
    cursor = taken[-1][0] if newer else now
    urls = urls_for(request, sandbox)
    records = [_render(sandbox, urls, c, view, True, now,
                       deleted=c.deleted_at is not None and c.deleted_at <= now)
               for _, _, c in taken]
    return {
        "uri": f"{urls.account()}/call-log-extract-sync?{request.url.query}",
        "records": records,
        "syncInfo": {"syncType": sync_type,
                     "syncToken": encode_token("extract", "acc", sandbox.call_log_epoch, cursor),
                     "syncTime": iso(cursor), "newerRecordsExist": newer},
    }


