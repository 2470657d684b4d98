"""``ActivityDraft.owner_id``: every connector that lists users logs calls and messages as the CRM
user given (server-side logging maps phone users to these ids by email)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from callbridge.connectors.conformance import _draft
from tests.connectors.conftest import harness_for

# where each sandbox keeps the owner of a call log and of a message log
OBJECTS = {
    "hubspot": {"call": "calls", "message": "communications"},
    "salesforce": {"call": "Task", "message": "Task"},
    "pipedrive": {"call": "activities", "message": "notes"},
    "clio": {"call": "communications", "message": "communications"},
}


def _owner(crm: str, record: dict[str, Any]) -> str | None:
    if crm == "hubspot":
        return (record.get("properties") or {}).get("hubspot_owner_id")
    if crm == "salesforce":
        return record.get("OwnerId")
    if crm == "pipedrive":
        owner = record.get("owner_id", record.get("user_id"))
        return str(owner) if owner is not None else None
    parties = (record.get("senders") or []) + (record.get("receivers") or [])
    users = [p for p in parties if p["type"] == "User"]
    return str(users[0]["id"]) if users else None


@pytest.mark.parametrize("crm", sorted(OBJECTS))
@pytest.mark.parametrize("kind", ["call", "message"])
async def test_an_activity_is_logged_as_the_crm_user_given(crm, kind):
    async with harness_for(crm) as h:
        assert h.session is not None
        users = await h.connector.list_users()
        bob = next(u for u in users if u.email.lower() == "bob@callbridge.test")
        me = await h.connector.get_user_info()
        assert bob.id != me.user_id, "the test needs a user other than the connected one"
        contact = (await h.connector.find_contact("+16505550101"))[0]
        draft = replace(_draft(kind, contact, h), owner_id=bob.id)
        create = h.connector.create_message_log if kind == "message" else h.connector.create_call_log
        activity = await create(draft)
        records = (await h.session.control("GET", f"/objects/{OBJECTS[crm][kind]}"))["objects"]
        [record] = [r for r in records if str(r.get("id") or r.get("Id")) == activity.id]
        assert _owner(crm, record) == str(bob.id)


async def test_an_owner_that_is_no_salesforce_user_is_refused_with_a_clear_error():
    from callbridge.connectors.base import InvalidInput

    async with harness_for("salesforce") as h:
        contact = (await h.connector.find_contact("+16505550101"))[0]
        with pytest.raises(InvalidInput) as refused:
            await h.connector.create_call_log(replace(_draft("call", contact, h), owner_id="999999999"))
        assert "Fix:" in str(refused.value)
