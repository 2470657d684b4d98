"""Recording links in the CRM: signed callbridge URLs served from the archive, access-logged.

The CRM never gets the platform's ``contentUri`` (it would need our token). A link names the
organization, the communication and the recording, and carries a keyed HMAC made with the
organization's own key; a wrong signature looks exactly like a missing recording (404).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from sqlalchemy import select

from callbridge.db.models import ArchivedObject, Organization
from callbridge.errors import NotFound
from callbridge.pipelines.archive.storage import READ_CHUNK, store_from_settings
from callbridge.pipelines.logging.sync import recording_signature
from callbridge.privacy.audit import record_audit
from callbridge.runtime import Runtime
from callbridge.web.deps import get_runtime

router = APIRouter(tags=["media"])


def _not_here() -> NotFound:
    return NotFound(
        "No such recording here, or the link is wrong.",
        hint="open the link from the CRM activity again; a recording is served once it is archived",
    )


@router.get("/media/recordings/{organization_id}/{communication_id}/{recording_id}", include_in_schema=False)
def recording(
    organization_id: str,
    communication_id: str,
    recording_id: str,
    sig: str = Query(default="", max_length=64),
    runtime: Runtime = Depends(get_runtime),
) -> StreamingResponse:
    with runtime.db.tenant(organization_id) as session:
        if session.get(Organization, organization_id) is None:
            raise _not_here()
        expected = recording_signature(runtime, session, communication_id, recording_id)
        if not hmac.compare_digest(expected.encode(), sig.encode()):
            raise _not_here()
        stored = session.scalars(
            select(ArchivedObject).where(
                ArchivedObject.source_id == recording_id,
                ArchivedObject.kind == "recording",
                ArchivedObject.status == "stored",
            )
        ).first()
        if stored is None or not stored.path:
            raise _not_here()
        path, content_type = stored.path, stored.content_type or "audio/mpeg"
        record_audit(
            session,
            runtime.clock,
            actor="recording-link",
            action="recording.accessed",
            object_type="recording",
            object_id=stored.id,
        )
    store = store_from_settings(runtime.settings)

    def chunks() -> Iterator[bytes]:
        with store.fs.open(store.full(path), "rb") as fh:
            while chunk := fh.read(READ_CHUNK):
                yield chunk

    return StreamingResponse(chunks(), media_type=content_type)
