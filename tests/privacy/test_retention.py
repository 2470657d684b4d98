"""Retention per data type, on the virtual clock: past its time it is gone after the purge (rows and
stored files), inside it stays, another organization's data stays; archive objects stay by default."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from callbridge.cli.docs import render_privacy_doc
from callbridge.config import Settings
from callbridge.db.models import (
    ActivityStatus,
    ArchivedObject,
    CommunicationRow,
    CrmActivity,
    DeadLetter,
    InboxEvent,
    Job,
    JobStatus,
)
from callbridge.jobs.runner import run_one
from callbridge.pipelines.archive.storage import store_from_settings
from callbridge.pipelines.ingest.store import store_piece
from callbridge.pipelines.logging.service import edit_activity
from callbridge.privacy.inventory import retention_policy
from callbridge.privacy.retention import PURGE
from callbridge.runtime import Runtime
from tests.factories import OrgFixture, make_organization
from tests.pipelines.logging.support import T0, call, make_world
from tests.web import objects

DAY = timedelta(days=1)


def purge(runtime: Runtime) -> None:
    """Run one purge job now, as the hourly schedule would."""
    job, _ = runtime.submit(None, PURGE, {}, key=f"test-purge-{uuid.uuid4().hex}")
    assert run_one(runtime, job.id, worker_id="purge").succeeded == [job.id]


def _ids(runtime: Runtime, org: OrgFixture, model, column) -> set[str]:
    with runtime.db.tenant(org.id) as s:
        return set(s.scalars(select(column)))


@pytest.fixture
def alpha(runtime):
    runtime.clock.set(T0)
    return make_organization(runtime, "alpha")


@pytest.fixture
def bravo(runtime):
    return make_organization(runtime, "bravo")


# -- communications and their CRM bookkeeping -----------------------------------------------------
def test_communications_and_their_crm_activities_go_a_year_after_their_last_change(runtime, alpha, bravo):
    world = make_world(runtime, alpha, "hubspot", keep_clock=True)
    old = world.store(call("old"))
    edited = world.store(call("edited", number="+16505550102"))
    world.settle()
    assert {r.status for r in world.rows()} == {ActivityStatus.created}
    in_crm = len(world.activities())

    runtime.clock.set(T0 + 200 * DAY)  # a person adds a note: the activity changes, so both stay
    edit_activity(runtime, alpha.id, world.row(call("edited").key).id, notes="Call back", disposition=None,
                  actor="test")
    world.settle()
    runtime.clock.set(T0 + 300 * DAY)
    recent = world.store(call("recent", started=runtime.clock.now()))
    world.settle()
    theirs = store_piece(runtime, bravo.id, call("bravo-1", started=runtime.clock.now())).communication_id

    runtime.clock.set(T0 + 365 * DAY - timedelta(hours=1))
    purge(runtime)
    assert _ids(runtime, alpha, CommunicationRow, CommunicationRow.id) == {old, edited, recent}

    runtime.clock.set(T0 + 365 * DAY + timedelta(hours=1))
    purge(runtime)
    assert _ids(runtime, alpha, CommunicationRow, CommunicationRow.id) == {edited, recent}
    assert _ids(runtime, alpha, CrmActivity, CrmActivity.communication_id) == {edited, recent}
    assert _ids(runtime, bravo, CommunicationRow, CommunicationRow.id) == {theirs}
    assert len(world.activities()) == in_crm + 1, "the CRM's own activities are never deleted"

    runtime.clock.set(T0 + 566 * DAY)
    purge(runtime)
    assert _ids(runtime, alpha, CommunicationRow, CommunicationRow.id) == {recent}
    assert _ids(runtime, alpha, CrmActivity, CrmActivity.communication_id) == {recent}
    assert _ids(runtime, bravo, CommunicationRow, CommunicationRow.id) == {theirs}


# -- inbox ------------------------------------------------------------------------------------------
def _inbox(runtime: Runtime, org: OrgFixture, status: str, body: str | None) -> str:
    now = runtime.clock.now()
    with runtime.db.tenant(org.id) as s:
        row = InboxEvent(platform="ringcentral", dedupe_key=uuid.uuid4().hex, event_type="telephony",
                         event_path="/restapi/v1.0/account/~/extension/~/telephony/sessions", status=status,
                         body=body, body_bytes=len(body or ""), received_at=now,
                         processed_at=now if status != "pending" else None)
        s.add(row)
        s.flush()
        return row.id


def test_normalised_inbox_events_go_after_7_days_raw_bodies_never_normalised_after_90(runtime, alpha, bravo):
    raw = '{"body": {"parties": [{"from": {"phoneNumber": "+16505550101"}}]}}'
    for status in ("done", "ignored", "failed"):  # normalised (or refused): bodies already dropped
        _inbox(runtime, alpha, status, None)
    stuck = _inbox(runtime, alpha, "pending", raw)  # its normalise job died: the raw body is still there
    runtime.clock.advance(6 * DAY)
    fresh = _inbox(runtime, alpha, "done", None)
    theirs = _inbox(runtime, bravo, "done", None)
    runtime.clock.advance(2 * DAY)
    purge(runtime)
    assert _ids(runtime, alpha, InboxEvent, InboxEvent.id) == {stuck, fresh}
    assert _ids(runtime, bravo, InboxEvent, InboxEvent.id) == {theirs}
    runtime.clock.set(T0 + 90 * DAY - timedelta(hours=1))
    purge(runtime)
    assert _ids(runtime, alpha, InboxEvent, InboxEvent.id) == {stuck}
    runtime.clock.set(T0 + 90 * DAY + timedelta(hours=1))
    purge(runtime)
    assert _ids(runtime, alpha, InboxEvent, InboxEvent.id) == set()
    assert _ids(runtime, bravo, InboxEvent, InboxEvent.id) == set()


# -- jobs and dead letters --------------------------------------------------------------------------
def test_dead_jobs_and_their_dead_letters_go_after_90_days(runtime, alpha, bravo):
    old = objects.dead_job(runtime, alpha)
    runtime.clock.advance(60 * DAY)
    newer = objects.dead_job(runtime, alpha)
    theirs = objects.dead_job(runtime, bravo)
    runtime.clock.advance(30 * DAY + timedelta(hours=1))
    purge(runtime)
    assert _ids(runtime, alpha, Job, Job.id) >= {newer} and old not in _ids(runtime, alpha, Job, Job.id)
    assert _ids(runtime, alpha, DeadLetter, DeadLetter.job_id) == {newer}
    assert _ids(runtime, bravo, DeadLetter, DeadLetter.job_id) == {theirs}
    with runtime.db.tenant(alpha.id) as s:
        assert s.get_one(Job, newer).status is JobStatus.dead


# -- archive objects --------------------------------------------------------------------------------
def _archived(runtime: Runtime, org: OrgFixture, day: str, status: str = "stored") -> tuple[str, Path | None]:
    store = store_from_settings(runtime.settings)
    path = None
    if status == "stored":
        path = f"acct-{org.slug}/{day.replace('-', '/')}/call-{uuid.uuid4().hex[:8]}.mp3"
        with store.temp_writer(path) as fh:
            fh.write(b"ID3 audio of " + org.slug.encode())
        store.commit(path)
    now = runtime.clock.now()
    with runtime.db.tenant(org.id) as s:
        row = ArchivedObject(account=f"acct-{org.slug}", kind="recording", source_id=uuid.uuid4().hex,
                             parent_id="call", day=day, status=status, path=path, size=20 if path else None,
                             attempts=0, created_at=now, stored_at=now if path else None)
        s.add(row)
        s.flush()
        return row.id, Path(store.full(path)) if path else None


def test_archive_objects_are_kept_until_an_admin_sets_a_retention(runtime, alpha):
    assert runtime.settings.retention_archive_days is None
    row, file = _archived(runtime, alpha, "2016-01-05")
    runtime.clock.advance(3650 * DAY)
    purge(runtime)
    assert _ids(runtime, alpha, ArchivedObject, ArchivedObject.id) == {row}
    assert file is not None and file.exists()


def test_with_a_retention_stored_files_and_rows_past_it_are_gone_the_rest_stays(runtime, alpha, bravo):
    runtime.settings.retention_archive_days = 400  # T0 is 2026-03-02: days before 2025-01-26 are past it
    old, old_file = _archived(runtime, alpha, "2025-01-05")
    assert old_file is not None and old_file.exists()
    failed, _ = _archived(runtime, alpha, "2024-06-01", status="failed")
    copying, _ = _archived(runtime, alpha, "2025-01-05", status="pending")  # an archive run may be on it
    inside, inside_file = _archived(runtime, alpha, "2025-02-01")
    theirs, their_file = _archived(runtime, bravo, "2025-03-01")
    purge(runtime)
    assert old_file is not None and not old_file.exists()
    assert not Path(str(old_file) + ".part").exists()
    assert _ids(runtime, alpha, ArchivedObject, ArchivedObject.id) == {copying, inside}
    assert inside_file is not None and inside_file.exists()
    assert _ids(runtime, bravo, ArchivedObject, ArchivedObject.id) == {theirs}
    assert their_file is not None and their_file.exists()
    assert {old, failed}.isdisjoint(_ids(runtime, alpha, ArchivedObject, ArchivedObject.id))

    runtime.clock.set(T0 + 40 * DAY)  # now 2025-03-01 is past it too
    purge(runtime)
    assert _ids(runtime, bravo, ArchivedObject, ArchivedObject.id) == set()
    assert their_file is not None and not their_file.exists()


def test_a_file_already_gone_does_not_keep_its_row(runtime, alpha):
    runtime.settings.retention_archive_days = 30
    row, file = _archived(runtime, alpha, "2025-01-05")
    assert file is not None and _ids(runtime, alpha, ArchivedObject, ArchivedObject.id) == {row}
    file.unlink()  # e.g. a crash after the file was removed and before the row was
    purge(runtime)
    assert _ids(runtime, alpha, ArchivedObject, ArchivedObject.id) == set()


# -- many rows: the purge works in batches ----------------------------------------------------------
def test_more_communications_than_one_batch_are_all_purged(runtime, alpha, monkeypatch):
    from callbridge.privacy import retention

    monkeypatch.setattr(retention, "BATCH", 3)
    runtime.clock.set(T0)
    ids = {store_piece(runtime, alpha.id, call(f"many-{i}")).communication_id for i in range(7)}
    assert len(ids) == 7
    runtime.clock.advance(366 * DAY)
    purge(runtime)
    with runtime.db.tenant(alpha.id) as s:
        assert s.scalar(select(func.count()).select_from(CommunicationRow)) == 0


# -- the published table ----------------------------------------------------------------------------
def test_every_retention_setting_is_in_the_published_table():
    settings = Settings.model_construct()
    published = {rule.setting for rule in retention_policy(settings)}
    retention_settings = {
        f"CALLBRIDGE_{name.upper()}" for name in Settings.model_fields if name.startswith("retention_")
    } | {"CALLBRIDGE_SUPPORT_SESSION_DAYS"}
    assert retention_settings <= published
    doc = render_privacy_doc()
    for setting in retention_settings:
        assert f"`{setting}`" in doc
    assert "kept until an admin sets a retention" in doc  # Decision 16
