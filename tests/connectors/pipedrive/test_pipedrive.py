"""Pipedrive against its sandbox: typed errors from faults, unauthorize, phone lookup."""

from __future__ import annotations

from typing import Any

import pytest

from callbridge.connectors.base import (
    AuthExpired,
    ConnectorError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unavailable,
)
from callbridge.connectors.pipedrive.kit import READ_ONLY_TOKEN
from tests.connectors.conftest import harness_for


def _names(matches: Any) -> list[str]:
    return sorted(m.name for m in matches)


def _actionable(error: ConnectorError, cause: str) -> None:
    text = str(error)
    assert text.startswith("Pipedrive: ") and cause in text and "Fix: " in text, text


async def test_phone_lookup_across_stored_formats() -> None:
    async with harness_for("pipedrive") as h:
        c = h.connector
        assert _names(await c.find_contact("+16505550100")) == ["Ada Lovelace", "Byron Lovelace"]
        assert _names(await c.find_contact("+16505550102")) == ["Grace Hopper"]  # "x12" stored
        assert _names(await c.find_contact("+442079460959")) == ["Ravi Kumar"]  # trunk 0
        assert _names(await c.find_contact("+33123456789")) == ["Marie Curie"]
        assert await c.find_contact("+16505550199") == []
        ada = next(m for m in await c.find_contact("+16505550100") if m.name == "Ada Lovelace")
        assert [r.type for r in ada.related] == ["deal"]


@pytest.mark.parametrize(("fault", "error", "cause"), [
    ({"force_429": 5}, RateLimited, "slow down"),
    ({"fail_next": 5, "fail_status": 503}, Unavailable, "HTTP 503"),
])
async def test_faults_become_typed_errors(fault: dict[str, Any], error: type[ConnectorError],
                                          cause: str) -> None:
    async with harness_for("pipedrive") as h:
        assert h.session is not None
        await h.session.faults(**fault)
        with pytest.raises(error) as caught:
            await h.connector.get_user_info()
        _actionable(caught.value, cause)


async def test_expired_token_permission_missing_record_and_bad_value() -> None:
    async with harness_for("pipedrive") as h:
        assert h.session is not None and h.restricted is not None
        contact = (await h.connector.find_contact("+16505550101"))[0]
        from callbridge.connectors.conformance import _draft

        with pytest.raises(PermissionDenied) as denied:
            await h.restricted.create_call_log(_draft("call", contact, h))
        _actionable(denied.value, "activities:full")
        assert denied.value.scope == "activities:full"
        with pytest.raises(NotFound) as missing:
            await h.connector.get_call_log("999")
        _actionable(missing.value, "no such record")
        with pytest.raises(InvalidInput) as invalid:
            await h.connector.update_call_log("1", {"colour": "red"}, None)
        _actionable(invalid.value, "colour")
        await h.session.faults(revoke_token=READ_ONLY_TOKEN)
        with pytest.raises(AuthExpired) as expired:
            await h.restricted.get_user_info()  # an API token cannot be refreshed
        _actionable(expired.value, "credentials")


async def test_unauthorize_revokes_at_pipedrive_and_forgets() -> None:
    async with harness_for("pipedrive") as h:
        assert h.session is not None
        store = h.connector.auth.store  # type: ignore[attr-defined]
        assert await store.get("token")
        await h.connector.unauthorize()
        assert await store.get("token") is None
        tokens = (await h.session.control("GET", "/tokens"))["tokens"]
        assert all(t["revoked"] for t in tokens if t["kind"] == "oauth")


