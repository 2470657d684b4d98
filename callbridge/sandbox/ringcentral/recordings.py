"""Recording metadata and `/content` (media host), with Range support (§2)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import StreamingResponse

from .errors import bad_parameter, not_found
from .guard import Principal, check_account, guard, sandbox_of, urls_for
from .media import parse_range, recording_blob
from .models import Recording
from .render import render_recording
from .state import SandboxState

__all__ = ["router"]

router = APIRouter()
ACC = "/restapi/v1.0/account/{accountId}"


def _find(sandbox: SandboxState, account_id: str, recording_id: str) -> Recording:
    check_account(sandbox, account_id)
    rec = sandbox.recordings.get(recording_id)
    if rec is None or rec.available_at > sandbox.now():
        raise not_found("recordingId", recording_id)
    return rec


@router.get(ACC + "/recording/{recordingId}")
async def read_call_recording(
    request: Request, accountId: str, recordingId: str,
    principal: Principal = Depends(guard("Heavy", "ReadCallRecording")),
) -> dict[str, Any]:
    sandbox = sandbox_of(request)
    return render_recording(urls_for(request, sandbox), _find(sandbox, accountId, recordingId))


@router.get(ACC + "/recording/{recordingId}/content")
async def read_call_recording_content(
    request: Request, accountId: str, recordingId: str,
    principal: Principal = Depends(guard("Heavy", "ReadCallRecording", media=True)),
) -> Response:
    sandbox = sandbox_of(request)
    rec = _find(sandbox, accountId, recordingId)
    size = rec.size if rec.size is not None else sandbox.config.recording_bytes
    blob = recording_blob(rec.id, rec.content_type, rec.duration, size)
    ext = "mp3" if rec.content_type == "audio/mpeg" else "wav"
    disposition = request.query_params.get("contentDisposition", "Inline")
    if disposition not in ("Inline", "Attachment"):
        raise bad_parameter("contentDisposition")
    filename = request.query_params.get("contentDispositionFilename") or f"{rec.id}.{ext}"
    headers = {"Accept-Ranges": "bytes",
               "Content-Disposition": f'{disposition.lower()}; filename="{filename}"'}
    rng = parse_range(request.headers.get("range"), blob.size)
    start, end, status = (0, blob.size - 1, 200) if rng is None else (*rng, 206)
    if status == 206:
        headers["Content-Range"] = f"bytes {start}-{end}/{blob.size}"
    headers["Content-Length"] = str(end - start + 1)
    return StreamingResponse(blob.iter_range(start, end), status_code=status,
                             media_type=rec.content_type, headers=headers)
