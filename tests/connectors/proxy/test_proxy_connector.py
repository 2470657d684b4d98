"""Declarative connectors against the generic sandbox: typed errors, idempotent create, sign-out."""

from __future__ import annotations

import pytest

import callbridge.connectors.proxy  # noqa: F401 - registers the built-in manifests
from callbridge.connectors.base import AuthExpired, NotFound, RateLimited, Unavailable
from callbridge.connectors.conformance import _draft
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
