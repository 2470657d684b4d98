"""Message store: list, get one or many (207), delete, attachment content, message-sync (§3)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from .bulk import BulkPart, multipart_json_response, multipart_mixed_response
from .errors import api_error, bad_parameter, not_found
from .guard import (
    Principal,
    check_account,
    guard,
    list_params,
    resolve_extension,
    sandbox_of,
    urls_for,
)
from .media import MediaBlob, fax_pdf, parse_range, png_image, recording_blob
from .models import Attachment, Message
from .paging import default_window, multi, page_of, parse_date, parse_int
from .render import Urls, render_message
from .state import SandboxState
from .synctoken import decode_token, encode_token
from .timeutil import iso

__all__ = ["router"]

router = APIRouter()
EXT = "/restapi/v1.0/account/{accountId}/extension/{extensionId}"
LIGHT = guard("Light", "ReadMessages")


def _owner(request: Request, principal: Principal, account_id: str, extension_id: str) -> int:
    sandbox = sandbox_of(request)
    check_account(sandbox, account_id)
    return resolve_extension(sandbox, principal, extension_id).id


def _render(sandbox: SandboxState, urls: Urls, msg: Message, now: datetime) -> dict[str, Any]:
    availability = sandbox.message_availability(msg, now) or "Purged"
    return render_message(urls, msg, availability=availability,
                          modified_at=sandbox.message_modified_at(msg, now))


def _messages(sandbox: SandboxState, ext_id: int, now: datetime) -> list[Message]:
    out = [m for m in sandbox.messages.values()
           if m.extension_id == ext_id and m.creation_time <= now
           and sandbox.message_availability(m, now) is not None]
    out.sort(key=lambda m: (m.creation_time, m.id), reverse=True)
    return out


def _filter(request: Request, msgs: list[Message], sandbox: SandboxState,
            now: datetime) -> list[Message]:
    types = multi(request, "messageType")
    directions = multi(request, "direction")
    read = multi(request, "readStatus")
    availability = multi(request, "availability") or ["Alive"]
    conversation = request.query_params.get("conversationId")
    phone = (request.query_params.get("phoneNumber") or "").lstrip("+")
    out = []
    for m in msgs:
        if types and m.type not in types:
            continue
        if directions and m.direction not in directions:
            continue
        if read and m.read_status not in read:
            continue
        if sandbox.message_availability(m, now) not in availability:
            continue
        if conversation and str(m.conversation_id) != conversation:
            continue
        if phone:
            numbers = {(p.phone_number or "").lstrip("+") for p in [m.from_, *m.to]}
            if phone not in numbers:
                continue
        out.append(m)
    return out


@router.get(EXT + "/message-store")
async def list_messages(request: Request, accountId: str, extensionId: str,
                        principal: Principal = Depends(LIGHT)) -> dict[str, Any]:
    sandbox = sandbox_of(request)
    ext_id = _owner(request, principal, accountId, extensionId)
    now = sandbox.now()
    date_from, date_to = default_window(request, now)
    msgs = [m for m in _messages(sandbox, ext_id, now)
            if date_from <= m.creation_time <= date_to]
    msgs = _filter(request, msgs, sandbox, now)
    if request.query_params.get("distinctConversations", "").lower() == "true":
        seen: set[int | None] = set()
        distinct = []
        for m in msgs:
            if m.conversation_id not in seen:
                seen.add(m.conversation_id)
                distinct.append(m)
        msgs = distinct
    page = page_of(request, msgs)
    urls = urls_for(request, sandbox)
    base = f"{urls.extension(ext_id)}/message-store"
    params = list_params(request)
    return {"uri": page.uri(base, params),
            "records": [_render(sandbox, urls, m, now) for m in page.items],
            "paging": page.paging(), "navigation": page.navigation(base, params)}


def _find(sandbox: SandboxState, ext_id: int, raw_id: str, now: datetime) -> Message | None:
    try:
        msg = sandbox.messages.get(int(raw_id))
    except ValueError:
        return None
    if msg is None or msg.extension_id != ext_id or msg.creation_time > now:
        return None
    if sandbox.message_availability(msg, now) is None:
        return None
    return msg


@router.get(EXT + "/message-store/{messageId}")
async def read_message(request: Request, accountId: str, extensionId: str, messageId: str,
                       principal: Principal = Depends(LIGHT)) -> Response:
    sandbox = sandbox_of(request)
    ext_id = _owner(request, principal, accountId, extensionId)
    now = sandbox.now()
    urls = urls_for(request, sandbox)
    wanted = [i for i in messageId.split(",") if i]
    if not wanted or len(wanted) > sandbox.config.max_bulk_ids:
        raise bad_parameter("messageId", f"from 1 to {sandbox.config.max_bulk_ids} ids")
    if len(wanted) == 1:
        msg = _find(sandbox, ext_id, wanted[0], now)
        if msg is None:
            raise not_found("messageId", wanted[0])
        return JSONResponse(_render(sandbox, urls, msg, now))
    parts: list[BulkPart] = []
    for mid in wanted:
        msg = _find(sandbox, ext_id, mid, now)
        href = f"{urls.extension(ext_id)}/message-store/{mid}"
        if msg is None:
            parts.append((mid, href, 404, not_found("messageId", mid).body))
        else:
            parts.append((mid, href, 200, _render(sandbox, urls, msg, now)))
    if "application/vnd.ringcentral.multipart+json" in request.headers.get("accept", ""):
        return multipart_json_response(parts)
    return multipart_mixed_response(parts, f"Boundary_{sandbox.request_count}_{len(parts)}")


@router.delete(EXT + "/message-store/{messageId}", status_code=204)
async def delete_message(
    request: Request, accountId: str, extensionId: str, messageId: str,
    principal: Principal = Depends(guard("Medium", "EditMessages")),
) -> Response:
    """Moves the message to Deleted; it becomes Purged later (guide "Messaging")."""
    sandbox = sandbox_of(request)
    ext_id = _owner(request, principal, accountId, extensionId)
    now = sandbox.now()
    for mid in [i for i in messageId.split(",") if i]:
        msg = _find(sandbox, ext_id, mid, now)
        if msg is None:
            raise not_found("messageId", mid)
        if msg.deleted_at is None:
            msg.deleted_at = now
    return Response(status_code=204)


def _attachment_blob(sandbox: SandboxState, msg: Message, att: Attachment) -> MediaBlob:
    if att.type == "RenderedDocument" or att.content_type == "application/pdf":
        data = fax_pdf(f"Fax {msg.id} from {msg.from_.phone_number}", msg.fax_page_count or 1)
    elif att.type == "MmsAttachment" and att.content_type.startswith("image/"):
        data = png_image(str(att.id), att.width or 8, att.height or 8)
    elif att.type == "AudioRecording":
        return recording_blob(str(att.id), "audio/wav", att.vm_duration or 10,
                              sandbox.config.recording_bytes)
    else:
        data = (att.text or msg.subject or "").encode()
    return MediaBlob(data, b" ", len(data), att.content_type)


@router.get(EXT + "/message-store/{messageId}/content/{attachmentId}")
async def read_message_content(
    request: Request, accountId: str, extensionId: str, messageId: str, attachmentId: str,
    principal: Principal = Depends(guard("Medium", "ReadMessages", media=True)),
) -> Response:
    sandbox = sandbox_of(request)
    ext_id = _owner(request, principal, accountId, extensionId)
    now = sandbox.now()
    msg = _find(sandbox, ext_id, messageId, now)
    if msg is None:
        raise not_found("messageId", messageId)
    att = next((a for a in msg.attachments if str(a.id) == attachmentId), None)
    if att is None or sandbox.message_availability(msg, now) == "Purged":
        raise not_found("attachmentId", attachmentId)
    blob = _attachment_blob(sandbox, msg, att)
    headers = {"Accept-Ranges": "bytes"}
    if att.file_name:
        headers["Content-Disposition"] = f'inline; filename="{att.file_name}"'
    rng = parse_range(request.headers.get("range"), blob.size)
    start, end, status = (0, blob.size - 1, 200) if rng is None else (*rng, 206)
    if status == 206:
        headers["Content-Range"] = f"bytes {start}-{end}/{blob.size}"
    headers["Content-Length"] = str(end - start + 1)
    return StreamingResponse(blob.iter_range(start, end), status_code=status,
                             media_type=att.content_type, headers=headers)


@router.get(EXT + "/message-sync")
async def sync_messages(request: Request, accountId: str, extensionId: str,
                        principal: Principal = Depends(LIGHT)) -> dict[str, Any]:
    sandbox = sandbox_of(request)
    ext_id = _owner(request, principal, accountId, extensionId)
    now = sandbox.now()
    q = request.query_params
    sync_type = q.get("syncType", "FSync")
    if sync_type not in ("FSync", "ISync"):
        raise bad_parameter("syncType")
    urls = urls_for(request, sandbox)
    scope = str(ext_id)
    older = False
    if sync_type == "FSync":
        date_to = parse_date(request, "dateTo", now)
        assert date_to is not None
        date_from = parse_date(request, "dateFrom", date_to - timedelta(hours=24))
        assert date_from is not None
        count = parse_int(request, "recordCount", None, low=1)
        msgs = [m for m in _messages(sandbox, ext_id, now)
                if date_from <= m.creation_time <= date_to
                and sandbox.message_availability(m, now) == "Alive"]
        msgs = _filter(request, msgs, sandbox, now)
        if count is not None and len(msgs) > count:
            msgs, older = msgs[:count], True
        records = [_render(sandbox, urls, m, now) for m in msgs]
    else:
        token = q.get("syncToken")
        if not token:
            raise bad_parameter("syncToken", "mandatory for ISync")
        invalid = api_error(400, "MSG-333", "Full synchronization is required",
                            parameter_name="syncToken")
        epoch, since, _ = decode_token(token, "message", scope, invalid)
        if epoch != sandbox.message_epoch:
            raise invalid
        since -= timedelta(seconds=sandbox.config.message_sync_overlap_seconds)
        records = []
        for m in sandbox.messages.values():
            if m.extension_id != ext_id or m.creation_time > now:
                continue
            if not since < sandbox.message_modified_at(m, now) <= now:
                continue
            availability = sandbox.message_availability(m, now)
            if availability in ("Deleted", "Purged"):
                records.append({"id": m.id, "availability": availability})
            elif availability == "Alive":
                records.append(_render(sandbox, urls, m, now))
    return {
        "uri": f"{urls.extension(ext_id)}/message-sync?{request.url.query}",
        "records": records,
        "syncInfo": {"syncType": sync_type,
                     "syncToken": encode_token("message", scope, sandbox.message_epoch, now),
                     "syncTime": iso(now), "olderRecordsExist": older},
    }
