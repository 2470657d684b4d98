"""Retention watch (on the virtual clock) and delete after archive (message store)."""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select

from callbridge.db.models import ArchivedMessage, ArchivedObject
from callbridge.pipelines.archive.prune import delete_archived
from callbridge.pipelines.archive.retention import retention_watch
from callbridge.pipelines.archive.storage import ObjectStore
from tests.factories import make_organization
from tests.pipelines.archive.support import archive, cli, in_process, text_of
from tests.platforms.ringcentral.support import connect, open_rc, sandbox, seed, served


def _setup(runtime, clock, tmp_path, days=4):
    app = sandbox(clock)
    seed(app, clock, days=days)
    org = make_organization(runtime, "acme")
    connect(runtime, org.id, app)
    store = ObjectStore(str(tmp_path / "archive"))
    runtime.settings.archive_storage_url = str(tmp_path / "archive")
    return app, org, store


def test_retention_watch_warns_before_recordings_reach_90_days(runtime, clock, tmp_path, monkeypatch):
    app, org, store = _setup(runtime, clock, tmp_path)
    start = clock.now()
    archive(
        runtime,
        org.id,
        app,
        clock,
        store,
        datasets=("calls", "messages"),
        date_from=start - timedelta(days=5),
    )
    with runtime.db.tenant(org.id) as s:
        pending = s.scalar(
            select(func.count()).where(ArchivedObject.kind == "recording", ArchivedObject.status == "pending")
        )
        oldest = date.fromisoformat(
            s.scalar(select(func.min(ArchivedObject.day)).where(ArchivedObject.kind == "recording"))
        )
    assert pending > 0
    assert retention_watch(runtime, org.id) == []  # 86 days to go, nothing unlisted

    # the worker stops; the clock runs on to 3 days before the oldest pending recording turns 90
    clock.advance(timedelta(days=(oldest + timedelta(days=90) - clock.now().date()).days - 3))
    warnings = retention_watch(runtime, org.id)
    recordings = [w for w in warnings if w.dataset == "recordings" and w.items is not None]
    assert [(w.items, w.days_left, w.oldest) for w in recordings] == [(pending, 3, oldest.isoformat())]
    assert "RingCentral deletes them after 90 days" in recordings[0].message
    unlisted = [w for w in warnings if w.items is None]  # nothing listed since the cursors for 83 days
    assert {w.dataset for w in unlisted} >= {"recordings", "messages"}
    assert any(w.lost for w in unlisted if w.dataset == "messages")  # sent faxes: 30 days
    assert retention_watch(runtime, org.id, warn_days=2) == [w for w in warnings if w.days_left <= 2]

    # status shows them (and --strict turns them into an exit code)
    in_process(monkeypatch, runtime, app, clock)
    shown = cli("status", "--org", "acme")
    assert shown.exit_code == 0, shown.output
    assert f"retention warning recordings: {pending} call recordings from {oldest.isoformat()}" in text_of(
        shown
    )
    assert cli("status", "--org", "acme", "--strict").exit_code == 5
    data = json.loads(cli("status", "--org", "acme", "--json").output)
    assert data["retention_warnings"][0]["days_left"] <= 3

    # an incremental run catches up: nothing left to warn about
    archive(runtime, org.id, app, clock, store)
    assert retention_watch(runtime, org.id) == []
    assert "nothing unarchived is within 7 days" in text_of(cli("status", "--org", "acme"))


def test_hipaa_accounts_and_never_archived_connections(runtime, clock, tmp_path):
    app, org, store = _setup(runtime, clock, tmp_path)
    never = retention_watch(runtime, org.id)
    assert len(never) == 1 and never[0].lost and "has never been archived" in never[0].message
    archive(
        runtime, org.id, app, clock, store, datasets=("calls",), date_from=clock.now() - timedelta(days=5)
    )
    clock.advance(timedelta(days=24))
    assert not [w for w in retention_watch(runtime, org.id) if w.dataset == "recordings"]
    runtime.settings.archive_hipaa_retention = True  # recordings are kept 30 days, not 90
    hipaa = [w for w in retention_watch(runtime, org.id) if w.dataset == "recordings"]
    assert [w.days_left for w in hipaa if w.items] == [2]  # the oldest pending one is 28 days old
    assert all(w.days_left <= 7 for w in hipaa)


def _delete(runtime, org_id, app, clock, store, dry_run):
    async def go():
        rc = open_rc(runtime, org_id, app, clock)
        try:
            return await delete_archived(runtime, org_id, rc, store, dry_run=dry_run)
        finally:
            await rc.aclose()

    return asyncio.run(go())


def test_delete_after_archive_only_deletes_verified_messages(runtime, clock, tmp_path: Path, monkeypatch):
    app, org, store = _setup(runtime, clock, tmp_path)
    state = app.state.sandbox
    archive(runtime, org.id, app, clock, store, date_from=clock.now() - timedelta(days=5))
    runtime.settings.archive_delete_min_age_days = 1
    cutoff = clock.now() - timedelta(days=1)
    with runtime.db.tenant(org.id) as s:
        old = list(s.scalars(select(ArchivedMessage).where(ArchivedMessage.creation_time <= cutoff)))
        young = s.scalar(select(func.count()).where(ArchivedMessage.creation_time > cutoff))
        objects = {
            o.parent_id: o
            for o in s.scalars(select(ArchivedObject).where(ArchivedObject.kind == "attachment"))
            if o.parent_id in {m.message_id for m in old}
        }
        corrupted, unstored = sorted(objects)[:2]
        objects[unstored].status = "pending"  # listed, never downloaded
        corrupted_path = objects[corrupted].path
    assert young > 0 and len(old) > 10
    file = tmp_path / "archive" / corrupted_path
    file.write_bytes(b"x" * file.stat().st_size)  # same size, different bytes

    # off by default: the CLI refuses, and --dry-run deletes nothing
    in_process(monkeypatch, runtime, app, clock)
    refused = cli("delete", "--org", "acme")
    assert refused.exit_code != 0 and "Delete after archive is off" in str(refused.exception)
    dry = cli("delete", "--org", "acme", "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    listed = json.loads(dry.output)
    assert listed["dry_run"] and listed["deleted"] == 0
    assert corrupted not in listed["would_delete"] and unstored not in listed["would_delete"]
    assert "sha256" in listed["kept_reasons"][corrupted]
    assert "pending, not archived" in listed["kept_reasons"][unstored]
    assert len(listed["would_delete"]) == len(old) - 2
    assert [r for r in state.request_log if r["method"] == "DELETE"] == []
    assert all(m.deleted_at is None for m in state.messages.values())

    runtime.settings.archive_delete_after_archive = True
    done = cli("delete", "--org", "acme")
    assert done.exit_code == 0, done.output
    assert f"{len(old) - 2} messages deleted; 2 kept" in text_of(done)
    deleted = {str(m.id) for m in state.messages.values() if m.deleted_at is not None}
    assert deleted == set(listed["would_delete"])
    deletes = [r for r in state.request_log if r["method"] == "DELETE"]
    assert deletes and all(r["group"] == "Medium" and r["status"] == 204 for r in deletes)
    with runtime.db.tenant(org.id) as s:
        marked = set(
            s.scalars(
                select(ArchivedMessage.message_id).where(ArchivedMessage.platform_deleted_at.is_not(None))
            )
        )
    assert marked == deleted

    # nothing is deleted twice; a later run keeps the deleted messages' archive
    assert _delete(runtime, org.id, app, clock, store, dry_run=False).deleted == []
    assert len([r for r in state.request_log if r["method"] == "DELETE"]) == len(deletes)
    archive(runtime, org.id, app, clock, store)
    with runtime.db.tenant(org.id) as s:
        assert s.scalar(select(func.count()).select_from(ArchivedMessage)) == len(old) + young
    assert served(app, "/message-store")  # listing still works after deletes
