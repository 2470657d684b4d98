"""An organization with data in every feature (logging, archive, jobs, vault, support), made
through the product's own code wherever a public function exists."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from callbridge.db.models import ArchivedObject, Role
from callbridge.domain.communication import (
    Communication,
    CommunicationKind,
    Direction,
    Party,
    Recording,
    Version,
)
from callbridge.pipelines.archive.storage import store_from_settings
from callbridge.pipelines.ingest.store import store_piece
from callbridge.pipelines.logging.connections import create_connection
from callbridge.pipelines.logging.preferences import choose_conversation
from callbridge.platforms.ringcentral.directory import Extension, store_extension
from callbridge.privacy.support import CONSENT_TEXT, create_support_session
from callbridge.runtime import Runtime
from callbridge.tenancy import authenticate
from tests.factories import OrgFixture
from tests.web import objects

CRM_SECRET = "pat-na1-{slug}-live-crm-token"


def fill(runtime: Runtime, org: OrgFixture) -> Path:
    """Members, a sealed CRM credential, jobs, a support session, a communication, a CRM
    connection and an archived recording on disk; returns the recording's path."""
    objects.new_member(runtime, org, Role.admin)
    objects.dead_job(runtime, org)
    create_support_session(
        runtime, authenticate(runtime.db, runtime.clock, org.token), consent=True, consent_text=CONSENT_TEXT
    )
    create_connection(
        runtime,
        org.id,
        "hubspot",
        options={},
        credentials={"api_key:org": {"api_key": CRM_SECRET.format(slug=org.slug)}},
        actor="test",
    )
    now = runtime.clock.now()
    with runtime.db.tenant(org.id) as session:
        owner = runtime.pseudonyms.pseudonym(session, "extension", f"4711-{org.slug}")
    store_piece(
        runtime,
        org.id,
        Communication(
            CommunicationKind.call,
            "ringcentral",
            f"session-{org.slug}",
            owner_ref=owner,
            direction=Direction.inbound,
            started_at=now - timedelta(minutes=5),
            ended_at=now,
            duration_seconds=300,
            result="Call connected",
            final=True,
            from_party=Party("+16505550101", f"Caller of {org.slug}"),
            to_party=Party("+16505551000"),
            recording=Recording(f"rec-{org.slug}"),
            version=Version(1, now),
        ),
    )
    with runtime.db.tenant(org.id) as session:  # the extension directory: real values sealed
        store_extension(session, runtime.vault, lambda _: owner, "default",
                        Extension(f"4711-{org.slug}", f"rep@{org.slug}.example", f"Rep of {org.slug}", "User",
                                  "Enabled", "America/Los_Angeles"), now)
    choose_conversation(runtime, org.id, "+16505550177", actor="test")
    store = store_from_settings(runtime.settings)
    path = f"acct-{org.slug}/2026/01/05/call-rec-{org.slug}.mp3"
    with store.temp_writer(path) as fh:
        fh.write(b"ID3 fake audio of " + org.slug.encode())
    store.commit(path)
    with runtime.db.tenant(org.id) as session:
        session.add(
            ArchivedObject(
                account=f"acct-{org.slug}",
                kind="recording",
                source_id=f"rec-{org.slug}",
                parent_id=f"call-{org.slug}",
                day="2026-01-05",
                status="stored",
                path=path,
                size=20,
                created_at=now,
                stored_at=now,
            )
        )
    return Path(store.full(path))
