"""Salesforce connector against the Salesforce sandbox: Tasks, SOSL, composite, errors."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from callbridge.connectors.base import (
    ActivityDraft,
    AuthExpired,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unavailable,
)
from callbridge.connectors.matching import MatchCache
from tests.connectors.conftest import harness_for

pytestmark = pytest.mark.asyncio
WHEN = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def draft(**changes: object) -> ActivityDraft:
    base = ActivityDraft(
        kind="call",
        marker="rc-session-7",
        subject="Call with Ada",
        occurred_at=WHEN,
        direction="inbound",
        duration_seconds=42,
        disposition="Connected",
        body_sections={"summary": "Renewal questions."},
    )
    return replace(base, **changes)  # type: ignore[arg-type]


async def served(h) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    return (await h.session.control("GET", "/requests"))["requests"]


async def task(h, task_id: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return next(t for t in (await h.session.control("GET", "/objects/Task"))["objects"] if t["Id"] == task_id)


async def test_call_is_a_task_on_the_contact_and_opportunity() -> None:
    async with harness_for("salesforce") as h:
        found = await h.connector.find_contact("+16505550100")
        assert {m.type for m in found} == {"Contact"} and len(found) == 2
        [grace] = await h.connector.find_contact("+16505550102")  # stored "+1 650-555-0102 x12"
        [ada] = [m for m in found if m.name == "Ada Lovelace"]
        call = await h.connector.create_call_log(
            draft(
                contact=ada,
                related=(
                    *ada.related,
                    *(await _opportunity(h)),
                ),
            )
        )
        stored = await task(h, call.id)
        assert stored["WhoId"] == ada.id and str(stored["WhatId"]).startswith("006")
        assert stored["TaskSubtype"] == "Call" and stored["CallType"] == "Inbound"
        assert stored["CallDurationInSeconds"] == 42 and stored["Status"] == "Completed"
        assert str(stored["CallObject"]).startswith("cbm") and grace.name == "Grace Hopper"
        assert call.url.endswith(f"/lightning/r/Task/{call.id}/view")


async def _opportunity(h):  # type: ignore[no-untyped-def]
    from callbridge.connectors.base import Related

    opp = (await h.session.control("GET", "/objects/Opportunity"))["objects"][0]
    return (Related(opp["Id"], "Opportunity", opp["Name"]),)


async def test_leads_are_found_and_take_no_what_id() -> None:
    async with harness_for("salesforce") as h:
        [ravi] = await h.connector.find_contact("+442079460959")  # stored "020 7946 0959"
        [hans] = await h.connector.find_contact("+493012345678")  # stored "030 12345678"
        assert (ravi.type, hans.type) == ("Lead", "Lead")
        call = await h.connector.create_call_log(draft(contact=ravi, related=await _opportunity(h)))
        stored = await task(h, call.id)
        assert stored["WhoId"] == ravi.id and stored["WhatId"] is None


async def test_one_contact_carries_its_account_and_opportunities() -> None:
    async with harness_for("salesforce") as h:
        byron = next(
            c
            for c in (await h.session.control("GET", "/objects/Contact"))["objects"]
            if c["FirstName"] == "Byron"
        )
        await h.session.control("POST", f"/edit/Contact/{byron['Id']}", {"Phone": "+1 650 555 0177"})
        [ada] = await h.connector.find_contact("+16505550100")
        assert [r.type for r in ada.related] == ["Account", "Opportunity"]


async def test_requests_per_logged_call_and_update_use_composite() -> None:
    async with harness_for("salesforce") as h:
        h.connector.ctx.match_cache = MatchCache(h.clock)  # type: ignore[attr-defined]
        await h.connector.find_contact("+16505550101")
        before = len(await served(h))
        [alan] = await h.connector.find_contact("+16505550101")
        call = await h.connector.create_call_log(draft(contact=alan))
        assert len(await served(h)) - before == 1  # cache hit + one composite (create + read back)
        before = len(await served(h))
        current = await h.connector.get_call_log(call.id)
        await h.connector.update_call_log(call.id, {"CallDurationInSeconds": 60}, current.body + "\nmore")
        assert len(await served(h)) - before == 2
        assert h.connector.api_usage is not None and h.connector.api_usage[1] == 15000


async def test_marker_is_found_at_once_by_soql() -> None:
    async with harness_for("salesforce") as h:
        call = await h.connector.create_message_log(draft(kind="message", subject="SMS with Ada"))
        found = await h.connector.find_activity_by_marker("rc-session-7", "message")
        assert found is not None and found.id == call.id


async def test_every_typed_error_from_a_sandbox_fault() -> None:
    async with harness_for("salesforce") as h:
        c = h.connector
        await h.session.faults(force_429=1)  # Salesforce: 403 REQUEST_LIMIT_EXCEEDED
        with pytest.raises(RateLimited) as limited:
            await c.find_contact("+16505550101")
        assert "daily API request limit" in str(limited.value) and "raise the API limit" in str(limited.value)
        await h.session.faults(fail_next=10, fail_status=503)
        with pytest.raises(Unavailable, match="Salesforce"):
            await c.get_call_log("00T5e0000000000AAA")
        await h.session.clear_faults()
        await h.session.faults(fail_next=1, fail_status=409)
        with pytest.raises(Conflict, match="Salesforce"):
            await c.get_user_info()
        await h.session.clear_faults()
        with pytest.raises(NotFound, match="Salesforce: has no such record"):
            await c.get_call_log("00T5e0000000000AAA")
        with pytest.raises(InvalidInput) as invalid:
            await c.create_call_log(draft(subject="x", owner_id="not-an-id"))
        assert "Salesforce" in str(invalid.value) and invalid.value.field == "OwnerId"
        with pytest.raises(PermissionDenied) as denied:
            await h.restricted.create_call_log(draft())
        assert "Salesforce: refused to log the call" in str(denied.value) and "Task.create" in str(
            denied.value
        )
        assert "ask the Salesforce admin" in str(denied.value)
        token = await c.ctx.credentials.get("token")  # type: ignore[attr-defined]
        await h.session.control("POST", "/faults", {"revoke_token": token["refresh_token"]})
        await h.session.control("POST", "/faults", {"revoke_token": token["access_token"]})
        with pytest.raises(AuthExpired, match="reconnect Salesforce"):
            await c.get_user_info()
