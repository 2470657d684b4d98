"""Recording links: a signed URL serves the archived recording; anything else is a 404."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from callbridge.db.models import AuditEntry
from callbridge.pipelines.logging.sync import recording_link
from callbridge.runtime import Runtime
from callbridge.web.app import create_app
from tests.conftest import empty_all_tables
from tests.factories import make_organization
from tests.privacy.data import fill


@pytest.fixture
def public_runtime(backend, clock):
    rt = Runtime(backend.settings(public_url="https://cb.example.com"), clock=clock)
    yield rt
    empty_all_tables(rt)
    rt.broker.flush()
    rt.close()


def _path(link: str) -> str:
    return link.removeprefix("https://cb.example.com")


def test_a_signed_link_streams_the_archived_recording_and_is_audited(public_runtime):
    rt = public_runtime
    alpha, bravo = make_organization(rt, "alpha"), make_organization(rt, "bravo")
    fill(rt, alpha)
    fill(rt, bravo)
    with rt.db.tenant(alpha.id) as session:
        link = recording_link(rt, session, "call-alpha", "rec-alpha")
    with TestClient(create_app(rt)) as client:
        served = client.get(_path(link))
        assert served.status_code == 200
        assert served.content == b"ID3 fake audio of alpha"
        wrong_sig = client.get(_path(link).replace("sig=", "sig=0"))
        other_org = client.get(_path(link).replace(alpha.id, bravo.id))
        other_recording = client.get(_path(link).replace("rec-alpha", "rec-bravo"))
        no_sig = client.get(_path(link).split("?")[0])
    for refused in (wrong_sig, other_org, other_recording, no_sig):
        assert refused.status_code == 404
        assert refused.json()["error"]["code"] == "not_found"
        assert b"fake audio" not in refused.content
    with rt.db.tenant(alpha.id) as session:
        accessed = session.scalars(select(AuditEntry).where(AuditEntry.action == "recording.accessed")).all()
    assert len(accessed) == 1
