"""SMS conversation-days are cut in the owner's time zone (from the extension directory), across
DST changes; with "chosen conversations" only those are kept: the others are dropped once
normalised (no communication row, no CRM activity)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from callbridge.db.models import ChosenConversation, DirectoryEntry
from callbridge.errors import InvalidInput
from callbridge.jobs.runner import run_due
from callbridge.pipelines.ingest.names import RENEW
from callbridge.pipelines.ingest.pieces import message_pieces
from callbridge.pipelines.ingest.platform import ZoneDirectory
from callbridge.pipelines.logging.preferences import (
    ORG_SCOPE,
    choose_conversation,
    forget_conversation,
    save_preferences,
)
from callbridge.platforms.ringcentral.directory import Extension, store_extension
from callbridge.sandbox.ringcentral.generator import generate, make_message, publish_message
from callbridge.sandbox.ringcentral.models import Party
from tests.factories import make_organization
from tests.pipelines.ingest.support import communications, inbox, pump

LA = "America/Los_Angeles"
ALICE = "+14155550123"
BRUNO = "+14155550188"


def _days(comms) -> list[str]:
    return sorted(c.source_id.rsplit(":", 1)[1] for c in comms.values() if c.kind.value == "sms")


# -- the day, through the whole ingest path --------------------------------------------------------
class Texting:
    def __init__(self, wired, clock, zone_name: str = LA) -> None:
        clock.set(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))  # the webhook subscription lasts days, not months
        generate(wired.rc, seed=3, extensions=2, days=1, calls_per_day=0, sms_conversations_per_day=0,
                 faxes_per_day=0)
        self.wired, self.clock = wired, clock
        self.state = wired.rc.state.sandbox
        self.owner = next(iter(self.state.extensions.values()))
        self.owner.timezone = zone_name
        self.rng = random.Random(1)
        self.conversations: dict[str, int] = {}

    def turn_on(self, runtime) -> None:
        runtime.submit(self.wired.org.id, RENEW, {"connection": "default"}, key="subscribe")
        for _ in range(3):  # the subscription, then the directory refresh it asks for
            run_due(runtime, worker_id="w")

    def text(self, at: datetime, number: str = ALICE, direction: str = "Inbound") -> int:
        self.clock.set(at)
        conversation = self.conversations.setdefault(number, self.state.ids.conversation_id())
        with self.state.lock:
            msg = make_message(self.state, self.rng, self.owner, "SMS", direction, Party(phone_number=number),
                               self.clock.now(), text="hi", conversation_id=conversation)
            publish_message(self.state, msg)
        return msg.id

    def deliver(self, runtime) -> None:
        self.clock.advance(timedelta(seconds=30))
        pump(self.wired.rc)
        report = run_due(runtime, worker_id="w", limit=1000)
        assert not report.dead, report


def test_late_evening_and_just_after_midnight_land_in_the_days_the_user_sees(runtime, clock, wired):
    texting = Texting(wired, clock)
    texting.turn_on(runtime)
    with runtime.db.tenant(wired.org.id) as session:  # the directory knows the owner's zone
        assert LA in set(session.scalars(select(DirectoryEntry.time_zone)))
    # Monday 2 March in Los Angeles: 15:00 (23:00Z), 17:30 (01:30Z Tue), 23:30 (07:30Z Tue);
    # then 00:30 Tuesday (08:30Z Tue). In UTC the first is alone on Monday; in LA three share it.
    for at in ("2026-03-02T23:00:00", "2026-03-03T01:30:00", "2026-03-03T07:30:00", "2026-03-03T08:30:00"):
        texting.text(datetime.fromisoformat(at).replace(tzinfo=UTC))
        texting.deliver(runtime)
    comms = communications(runtime, wired.org.id)
    assert _days(comms) == ["2026-03-02", "2026-03-03"]
    monday = next(c for c in comms.values() if c.source_id.endswith("2026-03-02"))
    assert len(monday.message_ids) == 3


def test_an_owner_without_a_known_zone_falls_back_to_the_organizations_default(runtime, clock, wired):
    texting = Texting(wired, clock, zone_name="")  # RingCentral shows no zone for this owner
    with runtime.db.tenant(wired.org.id) as session:
        save_preferences(session, clock, ORG_SCOPE, {"default_time_zone": "Asia/Tokyo"})
    texting.turn_on(runtime)
    texting.text(datetime(2026, 3, 2, 16, 0, tzinfo=UTC))  # 01:00 Tuesday in Tokyo
    texting.deliver(runtime)
    assert _days(communications(runtime, wired.org.id)) == ["2026-03-03"]


# -- DST, at the piece level (the same code the jobs call) ----------------------------------------
def _owner(runtime, org_id: str, zone_name: str | None) -> None:
    with runtime.db.tenant(org_id) as session:
        store_extension(session, runtime.vault,
                        lambda i: runtime.pseudonyms.pseudonym(session, "extension", i), "default",
                        Extension("7001", "owner@x.test", "Owner", "User", "Enabled", zone_name),
                        runtime.clock.now())


def _record(message_id: int, at: str, number: str = ALICE) -> dict:
    return {"id": message_id, "type": "SMS", "direction": "Inbound", "creationTime": at,
            "conversation": {"id": f"conv-{number}"}, "from": {"phoneNumber": number},
            "to": [{"phoneNumber": "+16505551000"}], "extensionId": "7001"}


def _pieces(runtime, org_id: str, records: list[dict]):
    import asyncio

    zone = asyncio.run(ZoneDirectory(runtime, org_id, None).zone_of("7001"))
    return message_pieces(runtime, org_id, [("7001", r) for r in records], {"7001": zone})


@pytest.mark.parametrize(("instants", "days"), [
    # spring forward (8 March 2026, 02:00 PST → 03:00 PDT)
    (["2026-03-08T07:30:00Z", "2026-03-08T08:30:00Z"], ["2026-03-07", "2026-03-08"]),  # 23:30 / 00:30 PST
    (["2026-03-09T06:30:00Z", "2026-03-09T07:15:00Z"], ["2026-03-08", "2026-03-09"]),  # 23:30 / 00:15 PDT
    # fall back (1 November 2026, 02:00 PDT → 01:00 PST): 23:30 PST Sunday is 07:30Z Monday
    (["2026-11-01T06:30:00Z", "2026-11-02T07:30:00Z", "2026-11-02T08:15:00Z"],
     ["2026-10-31", "2026-11-01", "2026-11-02"]),
])
def test_days_across_daylight_saving_changes(runtime, clock, instants, days):
    org = make_organization(runtime, "dst")
    _owner(runtime, org.id, LA)
    pieces = _pieces(runtime, org.id, [_record(n, at) for n, at in enumerate(instants, start=1)])
    assert [p.source_id.rsplit(":", 1)[1] for p in pieces] == days


def test_no_zone_anywhere_means_utc(runtime, clock):
    org = make_organization(runtime, "utc")
    _owner(runtime, org.id, None)
    [piece] = _pieces(runtime, org.id, [_record(1, "2026-03-03T07:30:00Z")])
    assert piece.source_id.endswith(":2026-03-03")


# -- chosen conversations --------------------------------------------------------------------------
def test_only_chosen_conversations_are_kept_and_the_others_leave_nothing_behind(runtime, clock, wired):
    texting = Texting(wired, clock)
    texting.turn_on(runtime)
    org_id = wired.org.id
    with runtime.db.tenant(org_id) as session:
        save_preferences(session, clock, ORG_SCOPE, {"sms_conversations": "chosen"})
    choose_conversation(runtime, org_id, "(415) 555-0123", actor="test")  # Alice, as a person types it
    texting.text(datetime(2026, 3, 2, 18, 0, tzinfo=UTC), ALICE)
    texting.text(datetime(2026, 3, 2, 18, 1, tzinfo=UTC), BRUNO)
    texting.deliver(runtime)
    comms = communications(runtime, org_id)
    [kept] = [c for c in comms.values() if c.kind.value == "sms"]
    assert kept.counterpart is not None and kept.counterpart.phone == ALICE
    assert BRUNO not in repr(comms)
    assert all(r.body is None and r.status == "done" for r in inbox(runtime, org_id))  # nothing else kept

    # a user's own list counts too
    with runtime.db.tenant(org_id) as session:
        owner_ref = runtime.pseudonyms.pseudonym(session, "extension", str(texting.owner.id))
    choose_conversation(runtime, org_id, BRUNO, owner_ref=owner_ref, actor="test")
    texting.text(datetime(2026, 3, 2, 18, 5, tzinfo=UTC), BRUNO)
    texting.deliver(runtime)
    assert sum(c.kind.value == "sms" for c in communications(runtime, org_id).values()) == 2

    # taken off the list: later messages are no longer kept
    assert forget_conversation(runtime, org_id, ALICE, actor="test") is True
    assert forget_conversation(runtime, org_id, ALICE, actor="test") is False
    before = communications(runtime, org_id)
    texting.text(datetime(2026, 3, 2, 18, 10, tzinfo=UTC), ALICE)
    texting.deliver(runtime)
    assert communications(runtime, org_id) == before


def test_sms_logging_off_keeps_no_sms(runtime, clock, wired):
    texting = Texting(wired, clock)
    texting.turn_on(runtime)
    with runtime.db.tenant(wired.org.id) as session:
        save_preferences(session, clock, ORG_SCOPE, {"log_sms": False})
    texting.text(datetime(2026, 3, 2, 18, 0, tzinfo=UTC))
    texting.deliver(runtime)
    assert [c for c in communications(runtime, wired.org.id).values() if c.kind.value == "sms"] == []


def test_choosing_a_conversation_keeps_no_number_in_clear_and_refuses_a_non_number(runtime, clock):
    org = make_organization(runtime, "choosy")
    first = choose_conversation(runtime, org.id, "+1 415 555 0123", actor="test")
    again = choose_conversation(runtime, org.id, "415.555.0123", actor="test")  # the same number
    assert first == again and first.startswith("ps1_")
    with runtime.db.tenant(org.id) as session:
        rows = session.scalars(select(ChosenConversation)).all()
        assert [(r.scope, r.phone_ref) for r in rows] == [(ORG_SCOPE, first)]
    with pytest.raises(InvalidInput) as refused:
        choose_conversation(runtime, org.id, "call me maybe", actor="test")
    assert refused.value.field == "number" and "call me maybe" in str(refused.value)
    from sqlalchemy import inspect, text

    with runtime.db.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                assert "4155550123" not in " ".join(str(v) for v in row), table
