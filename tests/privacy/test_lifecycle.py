"""Deletion with a grace period: request, cancel, request again, and after 30 days nothing is left."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import inspect, select, text

from callbridge.db.models import DeletionReceipt, Role, User
from callbridge.jobs.runner import run_one
from callbridge.privacy.lifecycle import organization_ref
from callbridge.tenancy import add_member, authenticate
from tests.factories import make_organization, member_token
from tests.privacy.data import fill
from tests.web import objects


def _fill(runtime, org):
    """Give the organization something in every feature: logging, archive, jobs, vault, support."""
    objects.credential(runtime, org)
    return fill(runtime, org)


def _rows_mentioning(runtime, value: str) -> dict[str, int]:
    """Every row of every table with a column holding ``value`` (the org id, a slug, an email)."""
    found: dict[str, int] = {}
    with runtime.db.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                if any(value in str(v) for v in row):
                    found[table] = found.get(table, 0) + 1
    return found


def test_request_cancel_request_then_after_the_grace_period_nothing_remains(runtime):
    doomed, kept = make_organization(runtime, "doomed"), make_organization(runtime, "kept")
    doomed_recording = _fill(runtime, doomed)
    kept_recording = _fill(runtime, kept)
    assert doomed_recording.exists()
    with runtime.db.tenant(kept.id) as s:  # a person in both organizations stays a user
        add_member(s, runtime.clock, email="owner@doomed.example", role=Role.member, actor="test")
    owner = authenticate(runtime.db, runtime.clock, doomed.token)
    kept_before = _rows_mentioning(runtime, kept.id)

    from callbridge.privacy.lifecycle import cancel_deletion, request_deletion

    # Only the deletion jobs are run here: the organizations' other work (logging to a CRM this
    # test does not serve) would change "kept" for reasons that have nothing to do with deletion.
    first = request_deletion(runtime, owner)
    assert first.due_at - runtime.clock.now() == timedelta(days=30)
    cancel_deletion(runtime, owner)
    runtime.clock.advance(timedelta(days=31))
    assert run_one(runtime, first.job_id, worker_id="w").succeeded == [first.job_id]
    assert _rows_mentioning(runtime, doomed.id), "a cancelled deletion must delete nothing"

    second = request_deletion(runtime, owner)
    runtime.clock.advance(timedelta(days=29, hours=23))
    assert run_one(runtime, second.job_id, worker_id="w").ran == 0, "not due before the grace period ends"
    assert _rows_mentioning(runtime, doomed.id)
    runtime.clock.advance(timedelta(hours=1))
    run_one(runtime, second.job_id, worker_id="w")

    assert _rows_mentioning(runtime, doomed.id) == {}
    assert _rows_mentioning(runtime, "Doomed Inc.") == {}
    assert _rows_mentioning(runtime, "Caller of doomed") == {}  # the communication and its parties
    assert not doomed_recording.exists(), "the archived recording must be erased from storage"
    assert kept_recording.exists()
    with runtime.db.anonymous() as s:
        emails = set(s.scalars(select(User.email)))
        receipt = s.scalars(select(DeletionReceipt)).one()
    # the doomed admin is gone; the owner stays, being a member of the other organization too
    assert {e for e in emails if e.endswith("@doomed.example")} == {"owner@doomed.example"}
    assert _rows_mentioning(runtime, kept.id) == kept_before
    assert receipt.organization_ref == organization_ref(doomed.id)
    assert receipt.removed["memberships"] == 2 and receipt.removed["storage_objects"] == 1
    assert receipt.removed["communications"] == 1 and receipt.removed["crm_connections"] == 1
    assert "doomed" not in f"{receipt.organization_ref}{receipt.removed}"


def test_only_an_owner_can_schedule_and_a_second_request_is_refused(runtime):
    import pytest

    from callbridge.errors import Conflict
    from callbridge.privacy.lifecycle import request_deletion

    org = make_organization(runtime, "alpha")
    owner = authenticate(runtime.db, runtime.clock, org.token)
    request_deletion(runtime, owner)
    with pytest.raises(Conflict, match="already scheduled"):
        request_deletion(runtime, owner)
    _, token = member_token(runtime, org, "m@alpha.example", Role.member)
    assert authenticate(runtime.db, runtime.clock, token).role == Role.member
