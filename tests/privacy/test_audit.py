"""The audit log is append-only from the application's side: no session changes or deletes an
entry, in any form, except the retention purge and the deletion of the organization."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, text, update

from callbridge.db.models import AuditEntry
from callbridge.jobs.runner import run_one
from callbridge.privacy.audit import AuditAppendOnly, record_audit
from callbridge.privacy.lifecycle import request_deletion
from tests.factories import make_organization
from tests.privacy.test_retention import purge
from tests.web.objects import owner_principal

PACKAGE = Path(__file__).resolve().parents[2] / "callbridge"


@pytest.fixture
def org(runtime):
    return make_organization(runtime, "alpha")


def _entry(runtime, org) -> str:
    with runtime.db.tenant(org.id) as s:
        entry = record_audit(s, runtime.clock, actor="user:1", action="test.done", object_type="test",
                             object_id="o-1", setting="x")
        s.flush()
        return entry.id


def _snapshot(runtime, org) -> list[tuple[str, str, str, dict]]:
    with runtime.db.tenant(org.id) as s:
        return sorted((e.id, e.actor, e.action, e.details) for e in s.scalars(select(AuditEntry)))


def _change(session, entry_id):
    session.get_one(AuditEntry, entry_id).actor = "user:someone-else"


def _remove(session, entry_id):
    session.delete(session.get_one(AuditEntry, entry_id))


def _bulk_update(session, entry_id):
    session.execute(update(AuditEntry).where(AuditEntry.id == entry_id).values(action="test.undone"))


def _bulk_delete(session, entry_id):
    session.execute(delete(AuditEntry).where(AuditEntry.id == entry_id))


def _core_delete(session, entry_id):
    session.execute(delete(AuditEntry.__table__).where(AuditEntry.__table__.c.id == entry_id))


def _text_delete(session, entry_id):
    session.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": entry_id})


def _text_update(session, entry_id):
    session.execute(text('  update "audit_log" SET actor = :a WHERE id = :id'), {"a": "x", "id": entry_id})


ATTEMPTS = [_change, _remove, _bulk_update, _bulk_delete, _core_delete, _text_delete, _text_update]


@pytest.mark.parametrize("attempt", ATTEMPTS, ids=lambda f: f.__name__.strip("_"))
def test_a_tenant_session_cannot_change_or_delete_an_audit_entry(runtime, org, attempt):
    entry_id = _entry(runtime, org)
    before = _snapshot(runtime, org)
    with pytest.raises(AuditAppendOnly, match="append-only") as refused, runtime.db.tenant(org.id) as s:
        attempt(s, entry_id)
        s.flush()
    assert refused.value.code == "audit_append_only"
    assert "retention purge" in (refused.value.hint or "")
    assert _snapshot(runtime, org) == before


@pytest.mark.parametrize("attempt", [_remove, _bulk_delete, _text_delete],
                         ids=lambda f: f.__name__.strip("_"))
def test_not_even_the_system_scope_outside_the_purge(runtime, org, attempt):
    entry_id = _entry(runtime, org)
    with pytest.raises(AuditAppendOnly), runtime.db.system("test: an over-eager cleanup") as s:
        attempt(s, entry_id)
        s.flush()
    assert [e[0] for e in _snapshot(runtime, org)].count(entry_id) == 1


def test_appending_and_reading_still_work(runtime, org):
    first, second = _entry(runtime, org), _entry(runtime, org)
    assert {e[0] for e in _snapshot(runtime, org)} >= {first, second}


def test_the_retention_purge_still_removes_old_entries(runtime, org):
    old = _entry(runtime, org)
    runtime.clock.advance(timedelta(days=365))
    newer = _entry(runtime, org)
    runtime.clock.advance(timedelta(days=366))
    purge(runtime)
    ids = {e[0] for e in _snapshot(runtime, org)}
    assert old not in ids and newer in ids


def test_the_organization_deletion_still_removes_its_entries(runtime, org):
    kept = make_organization(runtime, "bravo")
    _entry(runtime, org)
    kept_entry = _entry(runtime, kept)
    request = request_deletion(runtime, owner_principal(runtime, org))
    runtime.clock.advance(timedelta(days=30, minutes=1))
    assert run_one(runtime, request.job_id, worker_id="w").succeeded == [request.job_id]
    with runtime.db.system("test: audit entries left") as s:
        left = s.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.organization_id == org.id))
    assert left == 0
    assert kept_entry in {e[0] for e in _snapshot(runtime, kept)}


def test_only_the_purge_and_the_deletion_enter_audit_maintenance():
    users = sorted(
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if "audit_maintenance(" in path.read_text() and path.name != "audit.py"
    )
    assert users == ["privacy/lifecycle.py", "privacy/retention.py"]
