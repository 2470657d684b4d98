"""Webhooks for every user's messages (issue 6): the subscription carries the message store and
instant SMS of each enabled directory extension, follows the directory as it changes, and an event
of extension X is logged on X's pseudonym — without the catch-up sync and with no real extension
id kept in ``webhook_subscriptions`` or ``inbox_events``."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from callbridge.db.models import InboxEvent, WebhookSubscription
from callbridge.jobs.runner import run_due
from callbridge.pipelines.ingest.jobs import _message_records
from callbridge.pipelines.ingest.names import DIRECTORY, RENEW, SYNC
from callbridge.platforms.ringcentral.subscriptions import EVENT_FILTERS, filtered_extensions
from callbridge.sandbox.ringcentral.generator import generate, seed_extensions
from tests.factories import make_organization
from tests.pipelines.ingest.support import communications, inbox, jobs, pump


def _drain(runtime, rounds=6):
    for _ in range(rounds):
        report = run_due(runtime, worker_id="w", limit=1000)
        assert not [j for j in report.dead if j], report


def _subscription(wired):
    [sub] = [s for s in wired.rc.state.sandbox.webhooks.subscriptions.values() if not s.deleted]
    return sub


def _ref(runtime, org_id, ext_id):
    with runtime.db.tenant(org_id) as session:
        return runtime.pseudonyms.pseudonym(session, "extension", str(ext_id))


def _sms_owners(runtime, org_id):
    return {c.owner_ref for c in communications(runtime, org_id).values() if c.kind.value == "sms"}


def _no_real_ids(runtime, org_id, ids):
    """Every column of every subscription and inbox row, as text, names none of ``ids``."""
    with runtime.db.tenant(org_id) as session:
        rows = [*session.scalars(select(WebhookSubscription)), *session.scalars(select(InboxEvent))]
        dumped = [
            repr({c.key: getattr(row, c.key) for c in row.__mapper__.column_attrs}) for row in rows
        ]
    assert dumped
    for ext_id in ids:
        assert not [d for d in dumped if str(ext_id) in d], ext_id


def test_every_users_messages_arrive_by_webhook_and_filters_follow_the_directory(runtime, clock, wired):
    generate(wired.rc, seed=3, extensions=3, days=1, calls_per_day=0, sms_conversations_per_day=0,
             faxes_per_day=0)
    state = wired.rc.state.sandbox
    admin, rep, other = list(state.extensions.values())[:3]
    runtime.submit(wired.org.id, RENEW, {"connection": "default"}, key="subscribe")
    _drain(runtime)  # subscribe (~ form) → first directory → filters for every extension (PUT)

    sub = _subscription(wired)
    assert filtered_extensions(sub.event_filters) == {str(admin.id), str(rep.id), str(other.id)}
    assert any(f.endswith(f"/extension/{rep.id}/message-store/instant?type=SMS") for f in sub.event_filters)
    assert any(f.endswith("/telephony/sessions") for f in sub.event_filters)
    with runtime.db.tenant(wired.org.id) as session:
        [row] = session.scalars(select(WebhookSubscription)).all()
        assert row.status == "active" and row.subscription_id == sub.id
        assert row.filters == list(EVENT_FILTERS)  # the masked ``~`` form only

    # an SMS to a user who is not the signed-in admin: by webhook, on that user's pseudonym
    wired.control_post("/_sandbox/messages", {"extension_number": rep.number, "text": "hi rep"})
    clock.advance(timedelta(minutes=1))
    pump(wired.rc)
    assert {r.event_type for r in inbox(runtime, wired.org.id)} == {"message-store", "instant-sms"}
    _drain(runtime)
    assert _sms_owners(runtime, wired.org.id) == {_ref(runtime, wired.org.id, rep.id)}
    assert not jobs(runtime, wired.org.id, SYNC)  # the catch-up sync never ran
    assert all(r.status == "done" and r.body is None for r in inbox(runtime, wired.org.id))

    # a new user and a disabled one: the next directory refresh brings the filters in line
    [*_, newcomer] = seed_extensions(state, 4, seed=9, start=clock.now())
    other.status = "Disabled"
    clock.advance(timedelta(days=1))
    runtime.submit(wired.org.id, DIRECTORY, {"connection": "default"}, key="directory-again")
    _drain(runtime)
    sub = _subscription(wired)
    assert filtered_extensions(sub.event_filters) == {str(admin.id), str(rep.id), str(newcomer.id)}

    wired.control_post("/_sandbox/messages", {"extension_number": newcomer.number, "text": "hi new"})
    clock.advance(timedelta(minutes=1))
    pump(wired.rc)
    _drain(runtime)
    assert _sms_owners(runtime, wired.org.id) == {
        _ref(runtime, wired.org.id, rep.id), _ref(runtime, wired.org.id, newcomer.id)}
    assert not jobs(runtime, wired.org.id, SYNC)
    _no_real_ids(runtime, wired.org.id, [admin.id, rep.id, other.id, newcomer.id])


def test_the_next_renewal_repairs_filters_that_drifted_from_the_directory(runtime, clock, wired):
    generate(wired.rc, seed=4, extensions=2, days=1, calls_per_day=0, sms_conversations_per_day=0,
             faxes_per_day=0)
    state = wired.rc.state.sandbox
    admin, rep = list(state.extensions.values())[:2]
    runtime.submit(wired.org.id, RENEW, {"connection": "default"}, key="subscribe")
    _drain(runtime)
    sub = _subscription(wired)
    assert filtered_extensions(sub.event_filters) == {str(admin.id), str(rep.id)}

    # someone cut the subscription back to the admin's store: the hourly upkeep puts it right
    sub.event_filters = [state.webhooks.expand_filter(f, admin.id) for f in EVENT_FILTERS]
    clock.advance(timedelta(hours=1))
    runtime.submit(wired.org.id, RENEW, {"connection": "default"}, key="upkeep")
    _drain(runtime)
    assert _subscription(wired).id == sub.id  # updated in place, not recreated
    assert filtered_extensions(sub.event_filters) == {str(admin.id), str(rep.id)}
    puts = [r for r in state.request_log if r["method"] == "PUT" and "/subscription/" in r["path"]]
    assert len(puts) == 2  # once after the first directory, once now
    _no_real_ids(runtime, wired.org.id, [admin.id, rep.id])


def test_an_event_is_about_the_extension_its_path_names_not_the_subscription_owner(runtime):
    """``ownerId`` is the admin who owns the subscription: the path's extension wins, then the
    body's, and the owner only when neither names one."""
    org = make_organization(runtime, "acme")
    fax = {"id": "77", "type": "Fax", "creationTime": "2026-03-02T15:00:00Z"}  # no extensionId
    path = "/restapi/v1.0/account/111/extension/2002/fax?direction=Inbound"

    def owner_of(body, event):
        records, _ = asyncio.run(_message_records(runtime, org.id, None, "fax", body, "1001", event))
        return records[0][0]

    assert owner_of(fax, path) == "2002"
    assert owner_of({**fax, "extensionId": "3003"}, "/restapi/v1.0/account/~/extension/~/fax") == "3003"
    assert owner_of(fax, "/restapi/v1.0/account/~/extension/~/fax") == "1001"
