"""Recording links: a signed, unexpired URL serves the archived recording; anything else is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from callbridge.db.models import AuditEntry
from callbridge.pipelines.logging.links import recording_link
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


def test_a_link_expires_and_its_expiry_cannot_be_forged(public_runtime, clock):
    rt = public_runtime
    alpha = make_organization(rt, "alpha")
    fill(rt, alpha)
    with rt.db.tenant(alpha.id) as session:
        link = recording_link(rt, session, "call-alpha", "rec-alpha", started_at=clock.now())
        again = recording_link(rt, session, "call-alpha", "rec-alpha", started_at=clock.now())
    assert link == again  # the same call keeps the same link: re-syncs do not rewrite the activity
    expires = int(link.split("exp=")[1].split("&")[0])
    with TestClient(create_app(rt)) as client:
        assert client.get(_path(link)).status_code == 200
        clock.advance(timedelta(days=rt.settings.recording_link_days, seconds=1))
        expired = client.get(_path(link))
        assert expired.status_code == 410
        assert expired.json()["error"]["code"] == "gone"
        assert "RECORDING_LINK_DAYS" in expired.json()["error"]["hint"]
        extended = client.get(_path(link).replace(f"exp={expires}", f"exp={expires + 86_400 * 30}"))
        assert extended.status_code == 404  # the expiry is signed: moving it breaks the signature
        assert b"fake audio" not in expired.content + extended.content
