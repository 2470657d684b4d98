"""HubSpot connector against the HubSpot sandbox: engagements, associations, errors, requests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callbridge.connectors.base import (
    ActivityDraft,
    AuthExpired,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RateLimited,
    Related,
    Unavailable,
)
from tests.connectors.conftest import harness_for

pytestmark = pytest.mark.asyncio
WHEN = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def draft(**changes: object) -> ActivityDraft:
    base = ActivityDraft(kind="call", marker="rc-session-42", subject="Call with Alan", occurred_at=WHEN,
                         direction="outbound", duration_seconds=90, result="completed",
                         disposition="Connected", from_number="+16505550123", to_number="+16505550101",
                         body_sections={"summary": "Discussed the renewal."})
    return replace(base, **changes)  # type: ignore[arg-type]


async def served(h) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    return (await h.session.control("GET", "/requests"))["requests"]


async def test_call_is_an_engagement_with_associations_and_mapped_fields() -> None:
    async with harness_for("hubspot") as h:
        [ada, byron] = await h.connector.find_contact("+16505550100")
        [alan] = await h.connector.find_contact("+16505550101")
        assert {ada.name, byron.name} == {"Ada Lovelace", "Byron Lovelace"} and alan.type == "contact"
        deal = (await h.session.control("GET", "/objects/deals"))["objects"][0]
        call = await h.connector.create_call_log(draft(contact=alan, related=(Related(deal["id"], "deal"),)))
        stored = next(c for c in (await h.session.control("GET", "/objects/calls"))["objects"]
                      if c["id"] == call.id)
        props = stored["properties"]
        assert props["hs_call_duration"] == "90000" and props["hs_call_direction"] == "OUTBOUND"
        assert props["hs_call_disposition"] == "f240bbac-87c9-4f6e-bf70-924b57d47db7"
        assert props["hs_call_status"] == "COMPLETED" and "[callbridge:summary]" in props["hs_call_body"]
        links = stored["associations"]
        assert [r["id"] for r in links["contacts"]["results"]] == [alan.id]
        assert [r["id"] for r in links["deals"]["results"]] == [deal["id"]]
        assert call.url == f"https://app.hubspot.com/contacts/24681357/record/0-48/{call.id}"


async def test_one_match_carries_its_deals() -> None:
    async with harness_for("hubspot") as h:
        # Ada is the only contact on (650) 555-0100 once Byron's number changes
        byron = next(c for c in (await h.session.control("GET", "/objects/contacts"))["objects"]
                     if c["properties"]["firstname"] == "Byron")
        await h.session.control("POST", f"/edit/contacts/{byron['id']}", {"phone": "+1 650 555 0177"})
        h.clock.advance(10)  # search lag
        [ada] = await h.connector.find_contact("+16505550100")
        assert [r.type for r in ada.related] == ["deal", "company"]


async def test_sms_is_a_communication_linked_to_the_contact() -> None:
    async with harness_for("hubspot") as h:
        [jane] = await h.connector.find_contact("+14155550198")  # her mobile
        sms = await h.connector.create_message_log(draft(kind="message", contact=jane, subject="SMS"))
        stored = (await h.session.control("GET", "/objects/communications"))["objects"][-1]
        assert stored["id"] == sms.id
        assert stored["properties"]["hs_communication_channel_type"] == "SMS"
        assert stored["properties"]["hs_communication_logged_from"] == "CRM"
        assert stored["associations"]["contacts"]["results"][0]["id"] == jane.id


async def test_marker_is_found_only_after_the_search_lag() -> None:
    async with harness_for("hubspot") as h:
        call = await h.connector.create_call_log(draft())
        assert await h.connector.find_activity_by_marker("rc-session-42", "call") is None
        h.clock.advance(h.connector.info.search_lag.total_seconds())
        found = await h.connector.find_activity_by_marker("rc-session-42", "call")
        assert found is not None and found.id == call.id
        assert await h.connector.find_activity_by_marker("rc-session-43", "call") is None


async def test_dispositions_by_label_and_unknown_ones_refused() -> None:
    async with harness_for("hubspot") as h:
        call = await h.connector.create_call_log(draft(disposition=None))
        updated = await h.connector.upsert_call_disposition(call.id, "Left voicemail")
        assert updated.fields["hs_call_disposition"] == "b2cf5968-551e-4856-9783-52b3da59a7d0"
        with pytest.raises(InvalidInput, match="no call outcome 'Sold'"):
            await h.connector.upsert_call_disposition(call.id, "Sold")


async def test_requests_per_logged_call_with_a_warm_cache() -> None:
    from callbridge.connectors.matching import MatchCache

    async with harness_for("hubspot") as h:
        h.connector.ctx.match_cache = MatchCache(h.clock)  # type: ignore[attr-defined]
        await h.connector.find_contact("+16505550101")  # warms the cache
        before = len(await served(h))
        [alan] = await h.connector.find_contact("+16505550101")
        call = await h.connector.create_call_log(draft(contact=alan))
        assert len(await served(h)) - before <= 2
        before = len(await served(h))
        current = await h.connector.get_call_log(call.id)
        await h.connector.update_call_log(call.id, {"hs_call_duration": "120000"}, current.body + "\nmore")
        assert len(await served(h)) - before <= 2


async def test_every_typed_error_from_a_sandbox_fault() -> None:
    async with harness_for("hubspot") as h:
        c = h.connector
        await h.session.faults(force_429=10)
        with pytest.raises(RateLimited) as limited:
            await c.find_contact("+16505550101")
        assert "HubSpot" in str(limited.value) and limited.value.retry_after.total_seconds() == 2
        await h.session.clear_faults()
        await h.session.faults(fail_next=10, fail_status=503)
        with pytest.raises(Unavailable, match=r"HubSpot.*HTTP 503"):
            await c.get_call_log("1")
        await h.session.clear_faults()
        await h.session.faults(fail_next=1, fail_status=409)
        with pytest.raises(Conflict, match="HubSpot"):
            await c.create_call_log(draft())
        await h.session.clear_faults()
        with pytest.raises(NotFound, match="HubSpot: has no such record to read the call"):
            await c.get_call_log("999999")
        with pytest.raises(InvalidInput) as invalid:
            await c.create_call_log(draft(recording_url="http://insecure.test/r.mp3"))
        assert invalid.value.field == "hs_call_recording_url" and "HubSpot" in str(invalid.value)
        with pytest.raises(PermissionDenied) as denied:
            await h.restricted.create_contact("+16505550188", "New Person")
        assert str(denied.value) == (
            "HubSpot: refused to create a placeholder contact: the connected user lacks the "
            "crm.objects.contacts.write scope (MISSING_SCOPES: This app hasn't been granted all required "
            "scopes to make this call. Read more about required scopes here: "
            "https://developers.hubspot.com/scopes.). Fix: reconnect with it, or turn off placeholder "
            "contacts in callbridge's logging settings")
        token = await c.ctx.credentials.get("token")  # type: ignore[attr-defined]
        await h.session.control("POST", "/faults", {"revoke_token": token["refresh_token"]})
        await h.session.control("POST", "/faults", {"revoke_token": token["access_token"]})
        with pytest.raises(AuthExpired, match="reconnect HubSpot"):
            await c.find_contact("+16505550100")


STORED = ["+1 650-555-{n}", "(650) 555-{n}", "650.555.{n}", "6505550{m}", "+16505550{m}", "1-650-555-{n}",
          "+1 (650) 555 {n} ext. 3", "001 650 555 {n}"]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pattern=st.sampled_from(STORED), last=st.integers(200, 999))
async def test_a_number_stored_in_any_format_is_found(pattern: str, last: int) -> None:
    stored = pattern.format(n=f"0{last}", m=str(last))
    e164 = f"+16505550{last}"
    async with harness_for("hubspot") as h:
        box = h.session.app.state.sandbox  # type: ignore[union-attr]
        created = box.create("contacts", {"properties": {"firstname": "Pat", "lastname": "Example",
                                                         "phone": stored}}, None,
                             at=datetime(2025, 12, 1, tzinfo=UTC))
        found = await h.connector.find_contact(e164)
        assert [m.id for m in found] == [created.id]
        other = f"+1650555{(last + 1) % 1000:04d}"
        assert created.id not in [m.id for m in await h.connector.find_contact(other)]
