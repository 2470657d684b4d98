"""Pooled credentials (issue 7): two admins of one account archive it in half the virtual time of
one, with no 429, each object once; cursors belong to the account; the plan and the schedule know
the pool; a pool that mixes users or loses a member says so."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from callbridge.db.models import ArchiveCursor, ArchivedCall, ArchivedObject, Job, SealedSecret
from callbridge.errors import InvalidInput
from callbridge.jobs.runner import run_due
from callbridge.pipelines.archive.accounts import identities_of, pool_of, pools, primary_of, remember_accounts
from callbridge.pipelines.archive.jobs import INCREMENTAL, SCHEDULE, register_archive_tasks
from callbridge.pipelines.archive.run import Archiver
from callbridge.pipelines.archive.storage import ObjectStore
from callbridge.platforms.ringcentral.factory import Identity
from tests.factories import make_organization
from tests.pipelines.archive.support import cli, in_process, text_of
from tests.platforms.ringcentral.support import (
    connect,
    connect_user,
    open_rc,
    sandbox,
    seed,
    served,
    virtual_sleep,
)


def _archive(runtime, org_id, app, clock, store, pool=(), connection="default", **kw):
    async def go():
        rc = open_rc(runtime, org_id, app, clock, pool=pool, connection=connection)
        try:
            return await Archiver(runtime, org_id, rc, store, sleep=virtual_sleep(clock)).run(**kw)
        finally:
            await rc.aclose()

    return asyncio.run(go())


def _account(runtime, clock, tmp_path, slug, *, days=10, calls_per_day=40, pooled=True):
    app = sandbox(clock, recording_bytes=512)
    seed(app, clock, days=days, calls_per_day=calls_per_day, recorded_share=0.5)
    org = make_organization(runtime, slug)
    connect(runtime, org.id, app)
    other = connect_user(runtime, org.id, app, clock, name="admin2") if pooled else None
    return app, org, ObjectStore(str(tmp_path / slug)), other


def test_two_credentials_archive_in_half_the_time_without_429_and_each_object_once(runtime, clock, tmp_path):
    window = {"date_from": clock.now() - timedelta(days=11), "date_to": clock.now()}
    single_app, single_org, single_store, _ = _account(runtime, clock, tmp_path, "single", pooled=False)
    app, org, store, other = _account(runtime, clock, tmp_path, "pooled")
    datasets = ("calls", "recordings")

    t0 = clock.now()
    one = _archive(runtime, single_org.id, single_app, clock, single_store, datasets=datasets, **window)
    single_seconds = (clock.now() - t0).total_seconds()
    t1 = clock.now()
    two = _archive(runtime, org.id, app, clock, store, pool=["admin2"], datasets=datasets, **window)
    pooled_seconds = (clock.now() - t1).total_seconds()

    # the same account archived twice over: the same counts, and the pool took about half as long
    assert one.errors == two.errors == [] and one.throttled == two.throttled == 0
    heavy = two.requests["heavy"]
    assert heavy == one.requests["heavy"] >= 60
    assert single_seconds >= (heavy // 10 - 1) * 61  # one user: 10 Heavy per 61 s
    assert 0.4 * single_seconds <= pooled_seconds <= 0.55 * single_seconds
    assert [r for r in app.state.sandbox.request_log if r["status"] == 429] == []

    # both credentials carried it, about evenly
    admin = app.state.sandbox.admin_extension().id
    heavy_users = [r["extension_id"] for r in app.state.sandbox.request_log if r["group"] == "Heavy"]
    assert set(heavy_users) == {admin, int(other)}
    assert abs(heavy_users.count(admin) - heavy_users.count(int(other))) <= heavy // 10
    assert set(two.credentials) == {"default", "admin2"}
    assert all(c["requests"] > 0 and c["throttled_429"] == 0 for c in two.credentials.values())

    # exactly once: every call one row, every recording one object, one file, one download
    state = app.state.sandbox
    end = window["date_to"]
    calls = [c for c in state.calls.values() if window["date_from"] <= c.start_time < end]
    recorded = {c.recording_id for c in calls if state.recording_visible(c, end)}
    with runtime.db.tenant(org.id) as s:
        assert s.scalar(select(func.count()).select_from(ArchivedCall)) == len(calls)
        objects = list(s.scalars(select(ArchivedObject).where(ArchivedObject.kind == "recording")))
        cursors = {(c.account, c.dataset) for c in s.scalars(select(ArchiveCursor))}
    assert {o.source_id for o in objects} == recorded and len(objects) == len(recorded)
    assert all(o.status == "stored" for o in objects)
    assert len(list((tmp_path / "pooled").rglob("*.*"))) == len(objects)
    downloads = [r["path"] for r in served(app, "/content")]
    assert len(downloads) == len(set(downloads)) == len(objects)
    assert cursors == {(state.config.account_id, "calls")}  # the account's, not a credential's
    assert two.account == state.config.account_id

    # the second admin alone continues from the account's cursor: nothing again, nothing twice
    clock.advance(timedelta(minutes=5))
    again = _archive(runtime, org.id, app, clock, store, connection="admin2", datasets=datasets)
    assert again.datasets["calls"].new == 0 and again.datasets["recordings"].downloaded == 0
    assert again.requests["heavy"] <= 2  # the look-back window, not 90 days of pages


def test_cursors_kept_per_connection_by_older_versions_move_to_the_account(runtime, clock, tmp_path):
    app, org, store, _ = _account(runtime, clock, tmp_path, "legacy", days=4, calls_per_day=6, pooled=False)
    position = clock.now() - timedelta(hours=30)
    with runtime.db.tenant(org.id) as s:  # what a run of the previous version left
        s.add(ArchiveCursor(account="default", dataset="calls", position=position, updated_at=clock.now()))
    result = _archive(runtime, org.id, app, clock, store, datasets=("calls",))
    lookback = timedelta(hours=runtime.settings.archive_lookback_hours)
    assert result.date_from.startswith((position - lookback).strftime("%Y-%m-%dT%H:%M"))  # resumed there
    with runtime.db.tenant(org.id) as s:
        rows = [(c.account, c.dataset) for c in s.scalars(select(ArchiveCursor))]
    assert rows == [(app.state.sandbox.config.account_id, "calls")]


def test_a_pool_of_one_user_is_refused_and_archives_nothing(runtime, clock, tmp_path):
    app, org, store, _ = _account(runtime, clock, tmp_path, "sameuser", days=4, calls_per_day=6, pooled=False)
    connect(runtime, org.id, app, name="again")  # the same JWT: the same user
    with pytest.raises(InvalidInput) as info:
        _archive(runtime, org.id, app, clock, store, pool=["again"])
    assert "sign in as the same user" in info.value.message
    assert [r for r in app.state.sandbox.request_log if "/call-log" in r["path"]] == []
    with runtime.db.tenant(org.id) as s:
        assert s.scalar(select(func.count()).select_from(ArchivedCall)) == 0


def test_a_member_revoked_mid_run_leaves_the_pool_and_the_run_completes(runtime, clock, tmp_path):
    app, org, store, other = _account(runtime, clock, tmp_path, "revoked", days=4, calls_per_day=20)
    state = app.state.sandbox

    class RevokeAfter(httpx.AsyncBaseTransport):
        """The second admin's session is revoked after 15 recordings (a password change)."""

        def __init__(self, inner):
            self.inner, self.seen = inner, 0

        async def handle_async_request(self, request):
            if request.url.path.endswith("/content"):
                self.seen += 1
                if self.seen == 15:
                    state.tokens.revoke_all(int(other))
            return await self.inner.handle_async_request(request)

    async def go():
        transport = RevokeAfter(httpx.ASGITransport(app=app))
        rc = open_rc(runtime, org.id, app, clock, transport, pool=["admin2"])
        try:
            return await Archiver(runtime, org.id, rc, store, sleep=virtual_sleep(clock)).run(
                ("calls", "recordings"), clock.now() - timedelta(days=5)
            )
        finally:
            await rc.aclose()

    result = asyncio.run(go())
    assert result.errors == [] and result.throttled == 0
    assert len(result.warnings) == 1 and "'admin2' left the pool" in result.warnings[0]
    assert "archive connect --connection admin2" in result.warnings[0]
    with runtime.db.tenant(org.id) as s:
        statuses = set(s.scalars(select(ArchivedObject.status).where(ArchivedObject.kind == "recording")))
    assert statuses == {"stored"}


def test_plan_counts_the_pool_and_the_cli_pools_by_default(runtime, clock, tmp_path, monkeypatch):
    app, _org, _store, _ = _account(runtime, clock, tmp_path, "acme", days=30, calls_per_day=100)
    runtime.settings.archive_storage_url = str(tmp_path / "acme")
    in_process(monkeypatch, runtime, app, clock)
    alone = json.loads(
        cli("plan", "--org", "acme", "--days", "30", "--json", "--connection", "default").output
    )
    pooled = json.loads(
        cli(
            "plan",
            "--org",
            "acme",
            "--days",
            "30",
            "--json",
            "--connection",
            "default",
            "--connection",
            "admin2",
        ).output
    )
    assert alone["credentials"] == 1 and pooled["credentials"] == 2
    assert pooled["daily_heavy_capacity"] == 2 * alone["daily_heavy_capacity"] == 2 * 14163
    slow, fast = alone["seconds_by_group"]["heavy"], pooled["seconds_by_group"]["heavy"]
    assert 0.45 * slow <= fast <= 0.55 * slow
    assert any("2 pooled credentials" in a and "account-level" in a for a in pooled["advice"])
    text = text_of(
        cli("plan", "--org", "acme", "--days", "30", "--connection", "default", "--connection", "admin2")
    )
    assert "Heavy capacity 28326 requests a day with 2 pooled credentials" in text

    # a run names nothing: 'default' and every connection known to share its account (learnt above)
    done = cli(
        "run",
        "--org",
        "acme",
        "--json",
        "--dataset",
        "calls",
        "--from",
        (clock.now() - timedelta(days=2)).isoformat(),
    )
    assert done.exit_code == 0, done.output
    assert set(json.loads(done.output)["credentials"]) == {"default", "admin2"}
    help_text = " ".join(re.sub("[│╭╮╰╯─]", " ", cli("run", "--help").output).split())
    assert "repeat it to pool several admins of one account" in help_text


def test_the_schedule_runs_one_pooled_archive_per_account(runtime, clock, tmp_path, monkeypatch):
    app, org, _store, other = _account(runtime, clock, tmp_path, "sched", days=4, calls_per_day=6)
    runtime.settings.archive_storage_url = str(tmp_path / "sched")
    in_process(monkeypatch, runtime, app, clock)
    register_archive_tasks(runtime.registry)
    with runtime.db.tenant(org.id) as s:
        assert pools(s, runtime.vault) == [["admin2"], ["default"]]  # accounts not learnt yet
    # the first runs (one per connection, as 'archive connect' starts them) learn the account
    runtime.submit(org.id, INCREMENTAL, {"connection": "default"}, key="first-default")
    runtime.submit(org.id, INCREMENTAL, {"connection": "admin2"}, key="first-admin2")
    assert run_due(runtime, worker_id="w1").succeeded
    with runtime.db.tenant(org.id) as s:
        assert pools(s, runtime.vault) == [["admin2", "default"]]
    app.state.sandbox.request_log.clear()
    clock.advance(timedelta(minutes=runtime.settings.archive_interval_minutes))
    runtime.submit(None, SCHEDULE, {}, key="tick")
    report = run_due(runtime, worker_id="w1")
    assert report.succeeded, report
    with runtime.db.tenant(org.id) as s:
        kinds = [(j.kind, (j.payload or {}).get("connection")) for j in s.scalars(select(Job))]
    ran = [r for r in app.state.sandbox.request_log if "/call-log" in r["path"]]
    # one run this period (the pool's primary, 'admin2'), through both users; the other chain ends
    users = {r["extension_id"] for r in app.state.sandbox.request_log if r["path"].endswith("/extension/~")}
    assert users == {app.state.sandbox.admin_extension().id, int(other)}
    assert len(ran) >= 1
    pending_next = [k for k in kinds if k[0] == INCREMENTAL]
    assert ("archive.incremental", "admin2") in pending_next


def test_pools_group_by_account_and_leave_out_a_second_connection_of_one_user(runtime, clock):
    app = sandbox(clock)
    org = make_organization(runtime, "acme")
    for name in ("default", "again", "admin2", "other", "new"):
        connect(runtime, org.id, app, name=name)
    remember_accounts(
        runtime,
        org.id,
        Identity(
            {"default": "A", "again": "A", "admin2": "A", "other": "B"},
            {"default": "u1", "again": "u1", "admin2": "u2", "other": "u3"},
        ),
    )
    with runtime.db.tenant(org.id) as s:
        assert pools(s, runtime.vault) == [["admin2", "again", "default"], ["new"], ["other"]]
        assert pool_of(s, runtime.vault, "default") == ["default", "admin2"]  # 'again' is u1 too
        assert pool_of(s, runtime.vault, "admin2") == ["admin2", "again"]
        assert pool_of(s, runtime.vault, "new") == ["new"]  # never ran: its account is unknown
        assert {c: primary_of(s, runtime.vault, c) for c in ("default", "again", "other", "new")} == {
            "default": "admin2",
            "again": "admin2",
            "other": "other",
            "new": "new",
        }
        sealed = [
            r.ciphertext for r in s.scalars(select(SealedSecret).where(SealedSecret.name.like("%:account")))
        ]
    assert len(sealed) == 4 and not any(
        b"u1" in blob or b'"A"' in blob for blob in sealed
    )  # sealed, not clear


def test_archive_connect_learns_the_account_and_user_of_the_connection(runtime, clock, tmp_path, monkeypatch):
    app, org, _store, other = _account(runtime, clock, tmp_path, "acme", days=4, calls_per_day=6)
    in_process(monkeypatch, runtime, app, clock)
    auth = app.state.sandbox.config.auth
    args = ["--org", "acme", "--server", "http://rc.test", "--client-id", auth.client_id]
    args += ["--client-secret", auth.client_secret, "--jwt", auth.jwt]
    done = cli("connect", *args, "--connection", "second")  # the admin's JWT again: the same user
    assert done.exit_code == 0, done.output
    account = app.state.sandbox.config.account_id
    admin = str(app.state.sandbox.admin_extension().id)
    with runtime.db.tenant(org.id) as s:
        assert identities_of(s, runtime.vault, ["second"]) == {"second": (account, admin)}
    done = cli("connect", *args)  # 'default' learns its account too
    assert done.exit_code == 0, done.output
    connect_user(runtime, org.id, app, clock, name="admin2")
    assert cli("plan", "--org", "acme", "--days", "3", "--connection", "admin2").exit_code == 0  # learns it
    with runtime.db.tenant(org.id) as s:
        assert identities_of(s, runtime.vault)["admin2"] == (account, other)
        # 'default' pools the other user's connection, not the second connection of its own user
        assert pool_of(s, runtime.vault, "default") == ["default", "admin2"]
