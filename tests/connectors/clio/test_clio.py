"""Clio against its sandbox: etag conflicts, typed errors from faults, unauthorize."""

from __future__ import annotations

import pytest

from callbridge.connectors.auth import TOKEN
from callbridge.connectors.base import (
    AuthExpired,
    Conflict,
    ConnectorError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unavailable,
)
from callbridge.connectors.conformance import _draft
from tests.connectors.conftest import harness_for


async def test_if_match_refuses_a_write_over_a_person_edit() -> None:
    async with harness_for("clio") as h:
        assert h.session is not None
        ada = next(m for m in await h.connector.find_contact("+16505550100")
                   if m.name == "Ada Lovelace")
        assert [r.type for r in ada.related] == ["matter"]
        created = await h.connector.create_call_log(_draft("call", ada, h, related=ada.related))
        assert created.fields["matter_id"] == ada.related[0].id
        await h.session.person_edit("call", created.id, {"subject": "edited by a person"})
        with pytest.raises(Conflict) as caught:
            await h.connector.update_call_log(created.id, {"subject": "ours"}, None)
        assert str(caught.value).startswith("Clio: ") and "changed since it was read" in str(
            caught.value)
        current = await h.connector.get_call_log(created.id)  # a fresh read, a fresh etag
        updated = await h.connector.update_call_log(created.id, {}, current.body + "\nmore")
        assert updated.fields["subject"] == "edited by a person"


async def test_typed_errors_from_faults() -> None:
    async with harness_for("clio") as h:
        assert h.session is not None
        await h.session.faults(force_429=5)
        with pytest.raises(RateLimited) as limited:
            await h.connector.get_user_info()
        assert "Clio" in str(limited.value) and limited.value.hint
        await h.session.clear_faults()
        with pytest.raises(NotFound):
            await h.connector.get_call_log("999")
        with pytest.raises(InvalidInput, match="subjekt"):
            await h.connector.update_call_log("1", {"subjekt": "x"}, None)


def _actionable(error: ConnectorError, cause: str, fix: str) -> None:
    text = str(error)
    assert text.startswith("Clio: ") and cause in text and f"Fix: {fix}" in text, text


async def test_permission_outage_and_lost_grant_from_faults() -> None:
    async with harness_for("clio") as h:
        assert h.session is not None and h.restricted is not None
        contact = (await h.connector.find_contact("+16505550101"))[0]
        with pytest.raises(PermissionDenied) as denied:  # a token narrowed to ["read"]
            await h.restricted.create_call_log(_draft("call", contact, h))
        _actionable(denied.value, "lacks permission write", "reconnect with a user who has it")
        await h.session.faults(fail_next=5, fail_status=503)
        with pytest.raises(Unavailable) as down:
            await h.connector.get_call_log("1")
        _actionable(down.value, "HTTP 503", "callbridge retries with backoff")
        await h.session.faults(fail_next=0, error_rate=1.0, error_status=502)
        with pytest.raises(Unavailable) as flaky:
            await h.connector.find_contact("+16505550102")
        _actionable(flaky.value, "to find a contact with HTTP 502", "callbridge retries")
        await h.session.clear_faults()
        await h.session.faults(expire_all_tokens=True)  # refreshed once, then served
        assert (await h.connector.get_user_info()).email == "alice@callbridge.test"
        token = await h.connector.auth.store.get(TOKEN)  # type: ignore[attr-defined]
        await h.session.faults(revoke_token=token["refresh_token"])
        with pytest.raises(AuthExpired) as expired:
            await h.connector.get_user_info()
        _actionable(expired.value, "no longer accepted", "reconnect Clio in callbridge")


async def test_unauthorize_deauthorizes_at_clio_and_forgets() -> None:
    async with harness_for("clio") as h:
        assert h.session is not None
        store = h.connector.auth.store  # type: ignore[attr-defined]
        await h.connector.unauthorize()
        assert await store.get("token") is None
        tokens = (await h.session.control("GET", "/tokens"))["tokens"]
        assert tokens and all(t["revoked"] for t in tokens)
        with pytest.raises(AuthExpired, match="not connected"):
            await h.connector.get_user_info()
