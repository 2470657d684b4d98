"""Declarative connectors against the generic sandbox: typed errors, idempotent create, sign-out."""

from __future__ import annotations

import pytest

import callbridge.connectors.proxy  # noqa: F401 - registers the built-in manifests
from callbridge.connectors.base import (
    AuthExpired,
    Conflict,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unavailable,
)
from callbridge.connectors.conformance import _draft
from callbridge.connectors.proxy.builtin import GENERIC_KEY
from tests.connectors.conftest import harness_for


@pytest.mark.parametrize("name", ["generic_rest", "generic_appconnect"])
async def test_typed_errors_name_the_crm_cause_and_fix(name: str) -> None:
    async with harness_for(name) as h:
        assert h.session is not None
        crm = h.connector.info.display_name
        await h.session.faults(force_429=5)
        with pytest.raises(RateLimited) as limited:
            await h.connector.find_contact("+16505550101")
        assert str(limited.value).startswith(f"{crm}: ") and "Fix:" in str(limited.value)
        await h.session.faults(fail_next=5, fail_status=503)
        with pytest.raises(Unavailable, match="HTTP 503"):
            await h.connector.get_user_info()
        await h.session.clear_faults()
        with pytest.raises(NotFound, match="deleted in the CRM"):
            await h.connector.get_call_log("999")


@pytest.mark.parametrize(("name", "conflict"), [
    ("generic_rest", "reported that the record exists"),  # the 409 of a duplicate external_id
    ("generic_appconnect", "reported a conflict to log a call"),
])
async def test_permission_outage_conflict_and_revoked_key_from_faults(name: str, conflict: str) -> None:
    async with harness_for(name) as h:
        assert h.session is not None and h.restricted is not None
        crm = h.connector.info.display_name
        contact = (await h.connector.find_contact("+16505550101"))[0]
        with pytest.raises(PermissionDenied) as denied:  # the read-only API key of carol
            await h.restricted.create_call_log(_draft("call", contact, h))
        assert str(denied.value).startswith(f"{crm}: refused to log a call: ")
        assert "lacks the write permission" in str(denied.value) and "admin" in str(denied.value.hint)
        await h.session.faults(error_rate=1.0, error_status=502)
        with pytest.raises(Unavailable) as down:
            await h.connector.find_contact("+16505550101")
        assert str(down.value).startswith(f"{crm}: failed to find a contact with HTTP 502")
        assert "retries" in str(down.value.hint)
        await h.session.clear_faults()
        await h.session.faults(fail_next=1, fail_status=409)
        with pytest.raises(Conflict) as clash:
            await h.connector.create_call_log(_draft("call", contact, h))
        assert str(clash.value).startswith(f"{crm}: {conflict}") and clash.value.hint
        if name == "generic_rest":  # no id in the 409: the fix names the manifest key and file
            assert "operations.create_call_log.errors[].id" in clash.value.hint
            assert "generic_rest.yaml" in clash.value.hint
        await h.session.faults(revoke_token=GENERIC_KEY)
        with pytest.raises(AuthExpired) as expired:
            await h.connector.get_user_info()
        assert str(expired.value).startswith(f"{crm}: no longer accepts callbridge's credentials")
        assert f"reconnect {crm}" in str(expired.value.hint)


async def test_second_create_returns_the_first_activity() -> None:
    async with harness_for("generic_rest") as h:
        contact = (await h.connector.find_contact("+16505550101"))[0]
        draft = _draft("call", contact, h)
        first = await h.connector.create_call_log(draft)
        again = await h.connector.create_call_log(draft)  # 409 -> the existing activity
        assert again.id == first.id


@pytest.mark.parametrize("name", ["generic_rest", "generic_appconnect"])
async def test_unauthorize_signs_out_at_the_crm_and_forgets_the_key(name: str) -> None:
    async with harness_for(name) as h:
        assert h.session is not None
        store = h.connector.auth.inner.store  # type: ignore[attr-defined]
        await h.connector.unauthorize()
        assert store.names() == []
        tokens = (await h.session.control("GET", "/tokens"))["tokens"]
        assert all(t["revoked"] for t in tokens if t["user_id"] == "1")
        with pytest.raises(AuthExpired):
            await h.connector.get_user_info()
