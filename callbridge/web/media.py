"""Recording links in the CRM: served from the archive, or streamed from the platform, access-logged.

The CRM never gets the platform's ``contentUri`` (it would need our token). A link is signed per
organization and expires (:mod:`callbridge.pipelines.logging.links`); a wrong signature looks
exactly like a missing recording (404), a valid but expired one answers 410. A recording not
archived yet is streamed from RingCentral through the organization's own connection and rate
budget, chunk by chunk, and never stored on the way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from callbridge.db.models import ArchivedObject, CommunicationRow, Organization
from callbridge.errors import Gone, NotFound
from callbridge.pipelines.archive.storage import READ_CHUNK, store_from_settings
from callbridge.pipelines.ingest import platform
from callbridge.pipelines.ingest.store import load_communication
from callbridge.pipelines.logging.links import MEDIA_PREFIX, check_recording_link
from callbridge.privacy.audit import record_audit
from callbridge.runtime import Runtime
from callbridge.web.deps import get_runtime

router = APIRouter(tags=["media"])
PLATFORM_CONNECTION = "default"


def _not_here() -> NotFound:
    return NotFound(
        "No such recording here, or the link is wrong.",
        hint="open the link from the CRM activity again",
    )


@dataclass(frozen=True)
class _Source:
    archived_path: str | None  # in the archive's storage, or None: stream from the platform
    content_type: str


def _locate(runtime: Runtime, organization_id: str, communication_id: str, recording_id: str,
            expires: int, sig: str) -> _Source:
    with runtime.db.tenant(organization_id) as session:
        if session.get(Organization, organization_id) is None:
            raise _not_here()
        check = check_recording_link(runtime, session, communication_id, recording_id, expires, sig)
        if not check.valid:
            raise _not_here()
        if check.expired:
            raise Gone(
                f"This recording link expired on {check.expires_at:%Y-%m-%d}.",
                hint="recording links work CALLBRIDGE_RECORDING_LINK_DAYS days after the call; "
                "the recording itself is in the organization's archive",
            )
        stored = session.scalars(
            select(ArchivedObject).where(
                ArchivedObject.source_id == recording_id,
                ArchivedObject.kind == "recording",
                ArchivedObject.status == "stored",
            )
        ).first()
        if stored is not None and stored.path:
            source = _Source(stored.path, stored.content_type or "audio/mpeg")
            object_id, action = stored.id, "recording.accessed"
        else:
            found = session.get(CommunicationRow, communication_id) is not None
            comm = load_communication(session, communication_id)[1] if found else None
            if comm is None or comm.recording is None or comm.recording.id != recording_id:
                raise _not_here()
            source = _Source(None, comm.recording.content_type or "audio/mpeg")
            object_id, action = communication_id, "recording.streamed"
        record_audit(session, runtime.clock, actor="recording-link", action=action,
                     object_type="recording", object_id=object_id)
    return source


@router.get(MEDIA_PREFIX + "/{organization_id}/{communication_id}/{recording_id}", include_in_schema=False)
async def recording(
    organization_id: str,
    communication_id: str,
    recording_id: str,
    exp: int = Query(default=0, ge=0),
    sig: str = Query(default="", max_length=64),
    runtime: Runtime = Depends(get_runtime),
) -> StreamingResponse:
    source = await run_in_threadpool(
        _locate, runtime, organization_id, communication_id, recording_id, exp, sig
    )
    if source.archived_path is not None:
        return StreamingResponse(_from_archive(runtime, source.archived_path), media_type=source.content_type)
    return await _from_platform(runtime, organization_id, recording_id, source.content_type)


def _from_archive(runtime: Runtime, path: str) -> Iterator[bytes]:
    store = store_from_settings(runtime.settings)
    with store.fs.open(store.full(path), "rb") as fh:
        while chunk := fh.read(READ_CHUNK):
            yield chunk


async def _from_platform(runtime: Runtime, organization_id: str, recording_id: str,
                         content_type: str) -> StreamingResponse:
    """Open the platform's stream before answering, so a refusal there is a clear error here."""
    rc = platform.open_ringcentral(runtime, organization_id, connection=PLATFORM_CONNECTION)
    opened = rc.client.stream_media(rc.client.recording_content_url(recording_id), "streaming a recording")
    try:
        response = await opened.__aenter__()
    except BaseException:
        await rc.aclose()
        raise

    async def body() -> AsyncIterator[bytes]:
        try:
            async for chunk in response.aiter_bytes(READ_CHUNK):
                yield chunk
        finally:
            await opened.__aexit__(None, None, None)
            await rc.aclose()

    return StreamingResponse(body(), media_type=response.headers.get("content-type", content_type))
