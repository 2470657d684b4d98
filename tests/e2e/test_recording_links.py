"""Decision 12: the CRM's recording link is callbridge's own; before the recording is archived it
is streamed from RingCentral through the organization's connection, never stored on the way."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from callbridge.db.models import ArchivedObject, AuditEntry
from callbridge.sandbox.ringcentral.media import recording_blob
from callbridge.web.app import create_app
from tests.e2e.support import EndToEnd
from tests.pipelines.logging.support import ALAN

LINK = re.compile(r"https://callbridge\.test(/media/recordings/[^\s\"'<>)\]]+)")


def test_the_crm_link_streams_a_recording_not_yet_archived_from_ringcentral(e2e: EndToEnd):
    e2e.subscribe()
    call = e2e.rc_post("/_sandbox/calls", {"phone_number": ALAN, "duration_seconds": 95,
                                           "result": "Accepted", "start": e2e.clock.now().isoformat()})
    edit = e2e.rc_post(f"/_sandbox/calls/{call['id']}/edit",
                       {"add_recording": True, "recording_delay_seconds": 0})
    e2e.clock.advance(timedelta(minutes=5))
    e2e.pump()
    e2e.drain()
    e2e.catch_up("with-the-recording")
    [activity] = e2e.crm_activities()
    props = activity.get("properties", activity)  # HubSpot nests its fields; Salesforce does not
    text = " ".join(str(v) for v in props.values()).replace("&amp;", "&")
    found = LINK.search(text)
    assert found, activity
    path = found.group(1)
    assert edit["recordingId"] in path and "exp=" in path

    rec = e2e.rc.state.sandbox.recordings[edit["recordingId"]]
    size = rec.size if rec.size is not None else e2e.rc.state.sandbox.config.recording_bytes
    expected = recording_blob(rec.id, rec.content_type, rec.duration, size).read()
    with TestClient(create_app(e2e.runtime)) as client:
        served = client.get(path)
        forged = client.get(path.replace("sig=", "sig=f"))
    assert served.status_code == 200, served.text
    assert served.content == expected and len(expected) > 1000, (len(served.content), len(expected))
    assert served.headers["content-type"].startswith(rec.content_type)
    assert forged.status_code == 404 and expected[:64] not in forged.content

    with e2e.runtime.db.tenant(e2e.org.id) as session:
        streamed = session.scalars(select(AuditEntry).where(AuditEntry.action == "recording.streamed")).all()
        archived = session.scalar(select(func.count()).select_from(ArchivedObject))
    assert len(streamed) == 1 and archived == 0  # access-logged; nothing stored on the way
