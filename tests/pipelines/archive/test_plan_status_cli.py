"""``callbridge archive plan`` and ``status`` as a person reads them (in-process CLI, sandbox)."""

from __future__ import annotations

import json
import math
from datetime import timedelta

from callbridge.sandbox.ringcentral.config import RateGroupLimit
from tests.factories import make_organization
from tests.pipelines.archive.support import archive, cli, in_process, text_of
from tests.platforms.ringcentral.support import connect, sandbox, seed


def _account(runtime, clock, tmp_path, monkeypatch, days=90, **kw):
    app = sandbox(clock)
    kw.setdefault("calls_per_day", 12)
    seed(app, clock, days=days, sms_conversations_per_day=1, faxes_per_day=1, **kw)
    org = make_organization(runtime, "acme")
    connect(runtime, org.id, app)
    runtime.settings.archive_storage_url = str(tmp_path / "archive")
    in_process(monkeypatch, runtime, app, clock)
    return app, org


def test_plan_for_90_days_under_default_limits_fits(runtime, clock, tmp_path, monkeypatch):
    app, _ = _account(runtime, clock, tmp_path, monkeypatch)
    state = app.state.sandbox
    now = clock.now()
    since = now - timedelta(days=90)
    calls = [c for c in state.calls.values() if since <= c.start_time and c.visible_at <= now]
    recorded = [c for c in calls if state.recording_visible(c, now)]

    done = cli("plan", "--org", "acme", "--days", "90", "--json")
    assert done.exit_code == 0, done.output
    plan = json.loads(done.output)
    by_name = {d["dataset"]: d for d in plan["datasets"]}
    assert by_name["calls"]["items"] == len(calls)
    assert by_name["calls"]["requests"] == max(13, math.ceil(len(calls) / 1000))  # a window a week
    assert by_name["recordings"]["items"] == by_name["recordings"]["requests"] == len(recorded)
    assert by_name["recordings"]["retention_days"] == 90 and by_name["calls"]["group"] == "heavy"
    heavy = by_name["calls"]["requests"] + by_name["recordings"]["requests"]
    # 10 Heavy requests per 61 s (60 s window + 1 s margin): 14,163 a day
    assert plan["daily_heavy_capacity"] == 14163
    assert plan["seconds_by_group"]["heavy"] >= (math.ceil(heavy / 10) - 1) * 61
    assert plan["fits_before_retention"] is True and plan["deadline_hours"] == 90 * 24
    assert plan["advice"][0].startswith("recordings older than 90 days are already being deleted")

    text = text_of(cli("plan", "--org", "acme", "--days", "90"))
    assert "finishes before retention" in text and "recordings" in text
    assert "Heavy capacity 14163 requests a day per credential" in text
    assert "nothing to change" in text_of(cli("plan", "--org", "acme", "--days", "30"))


def test_plan_says_what_to_change_when_the_backlog_cannot_finish(runtime, clock, tmp_path, monkeypatch):
    app, _ = _account(runtime, clock, tmp_path, monkeypatch, calls_per_day=100, recorded_share=0.5)
    # the app's Heavy limit is one request per 50 minutes: the headers teach callbridge the limit
    app.state.sandbox.config.rate_limits.groups["Heavy"] = RateGroupLimit(limit=1, window_seconds=3000)
    done = cli("plan", "--org", "acme", "--days", "90", "--json")
    assert done.exit_code == 0, done.output
    plan = json.loads(done.output)
    assert plan["fits_before_retention"] is False
    assert plan["daily_heavy_capacity"] == 28  # 86,400 s / 3,001 s
    assert plan["finishes_in_hours"] is None or plan["finishes_in_hours"] > 90 * 24
    advice = " ".join(plan["advice"])
    assert "but recordings are deleted after 90 days" in advice
    assert "pool more authorised admins' credentials" in advice and "raise the app's Heavy limit" in advice
    text = text_of(cli("plan", "--org", "acme", "--days", "90"))
    assert "does NOT finish before retention" in text


def test_status_reports_cursors_counts_objects_and_hipaa_retention(runtime, clock, tmp_path, monkeypatch):
    app, org = _account(runtime, clock, tmp_path, monkeypatch, days=4)
    from callbridge.pipelines.archive.storage import ObjectStore

    store = ObjectStore(str(tmp_path / "archive"))
    archive(
        runtime,
        org.id,
        app,
        clock,
        store,
        datasets=("calls", "messages"),
        date_from=clock.now() - timedelta(days=5),
    )
    data = json.loads(cli("status", "--org", "acme", "--json").output)
    account = app.state.sandbox.config.account_id  # cursors are per account, not per connection
    assert set(data["cursors"]) == {f"{account}/calls", f"{account}/messages"}
    assert data["calls"] > 0 and data["messages"] > 0 and data["messages_deleted_from_platform"] == 0
    assert data["objects"]["recording"]["pending"]["count"] > 0
    assert data["retention_warnings"] == []
    runtime.settings.archive_hipaa_retention = True
    clock.advance(timedelta(days=26))
    text = text_of(cli("status", "--org", "acme"))
    assert "retention warning recordings" in text and "after 30 days" in text
