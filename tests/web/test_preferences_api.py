"""The logging preferences and chosen-conversations API: the organization's settings, a member's
own overrides (found through their extension), refusals that change nothing, and the audit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from callbridge.db.models import AuditEntry, ChosenConversation, LoggingPreference, Role
from callbridge.pipelines.logging.preferences import ORG_SCOPE, chosen_refs, user_scope
from tests.factories import member_token
from tests.web import objects

PREFS = "/api/v1/logging/preferences"
CONVERSATIONS = "/api/v1/logging/conversations"


def _member(runtime, org, email="rep@alpha.example", role=Role.member, *, extension=True):
    _, token = member_token(runtime, org, email, role)
    ref = objects.give_extension(runtime, org, email.upper()) if extension else None  # case differs
    return {"Authorization": f"Bearer {token}"}, ref


def _stored(runtime, org):
    with runtime.db.tenant(org.id) as s:
        return {p.scope: dict(p.settings) for p in s.scalars(select(LoggingPreference))}


def _audit(runtime, org, action):
    with runtime.db.tenant(org.id) as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.at)))


# -- preferences --------------------------------------------------------------------------------------
def test_org_settings_and_a_members_overrides_make_what_applies_to_them(runtime, client, alpha):
    rep, ref = _member(runtime, alpha)
    answer = client.put(f"{PREFS}/organization", headers=alpha.auth,
                        json={"log_missed_calls": False, "sms_conversations": "chosen"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["organization_overrides"] == {"log_missed_calls": False,
                                                       "sms_conversations": "chosen"}

    mine = client.put(f"{PREFS}/me", headers=rep,
                      json={"log_missed_calls": True, "default_time_zone": "Europe/Paris"})
    assert mine.status_code == 200, mine.text
    body = client.get(PREFS, headers=rep).json()
    assert body["me"] == {"available": True, "reason": None,
                          "overrides": {"log_missed_calls": True, "default_time_zone": "Europe/Paris"}}
    assert body["organization"]["log_missed_calls"] is False
    assert body["effective"]["log_missed_calls"] is True  # the member's override wins
    assert body["effective"]["sms_conversations"] == "chosen"  # the organization's where not overridden
    assert body["effective"]["default_time_zone"] == "Europe/Paris"
    assert set(body["org_only_keys"]) >= {"placeholder_contacts", "several_matches"}
    assert _stored(runtime, alpha)[user_scope(ref)] == {"log_missed_calls": True,
                                                        "default_time_zone": "Europe/Paris"}

    # null removes an override: back to the organization's value
    client.put(f"{PREFS}/me", headers=rep, json={"log_missed_calls": None})
    body = client.get(PREFS, headers=rep).json()
    assert body["me"]["overrides"] == {"default_time_zone": "Europe/Paris"}
    assert body["effective"]["log_missed_calls"] is False


def test_changes_are_audited_by_key_without_values(runtime, client, alpha):
    rep, ref = _member(runtime, alpha)
    client.put(f"{PREFS}/organization", headers=alpha.auth, json={"subject_template": "Call {counterpart}"})
    client.put(f"{PREFS}/me", headers=rep, json={"log_fax": False})
    entries = _audit(runtime, alpha, "logging.preferences_changed")
    assert [(e.object_id, e.details["keys"]) for e in entries] == [
        (ORG_SCOPE, ["subject_template"]), (user_scope(ref), ["log_fax"])]
    assert entries[0].actor.startswith("user:") and "Call {counterpart}" not in str(entries[0].details)


@pytest.mark.parametrize(("changes", "field", "value", "fix"), [
    ({"log_sms": "sometimes"}, "log_sms", "'sometimes'", "true or false"),
    ({"sms_conversations": "some"}, "sms_conversations", "'some'", "'all', 'chosen'"),
    ({"default_time_zone": "Mars/Olympus"}, "default_time_zone", "'Mars/Olympus'", "IANA"),
    ({"placeholder_contacts": "always"}, "placeholder_contacts", "'always'", "'never', 'create'"),
    ({"subject_template": "x" * 300}, "subject_template", "'xxx", "at most 255 characters"),
    ({"log_calls": True}, "log_calls", "log_calls", "log_inbound_calls"),
])
def test_a_bad_key_or_value_names_the_field_the_value_and_the_fix_and_changes_nothing(
        runtime, client, alpha, changes, field, value, fix):
    client.put(f"{PREFS}/organization", headers=alpha.auth, json={"log_voicemail": False})
    before = _stored(runtime, alpha)
    answer = client.put(f"{PREFS}/organization", headers=alpha.auth, json={"log_fax": False, **changes})
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["field"] == field
    assert value in error["message"] and field in error["message"]
    assert fix in error["message"] + error["hint"]
    assert _stored(runtime, alpha) == before  # not even the good key of the same request


def test_a_member_cannot_set_an_org_only_key_for_themselves(runtime, client, alpha):
    rep, _ = _member(runtime, alpha)
    answer = client.put(f"{PREFS}/me", headers=rep, json={"log_fax": False, "placeholder_contacts": "create"})
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "placeholder_contacts"
    assert "organization" in answer.json()["error"]["hint"]
    assert _stored(runtime, alpha) == {}


def test_a_body_that_is_not_an_object_is_refused(client, alpha):
    answer = client.put(f"{PREFS}/organization", headers=alpha.auth, json=["log_sms"])
    assert answer.status_code == 422


def test_a_member_without_an_extension_reads_the_org_settings_but_is_told_how_to_get_their_own(
        runtime, client, alpha):
    objects.give_extension(runtime, alpha, "someone-else@alpha.example")
    rep, _ = _member(runtime, alpha, "nophone@alpha.example", extension=False)
    body = client.get(PREFS, headers=rep).json()
    assert body["me"]["available"] is False
    assert "nophone@alpha.example" in body["me"]["reason"]
    answer = client.put(f"{PREFS}/me", headers=rep, json={"log_fax": False})
    assert answer.status_code == 409
    error = answer.json()["error"]
    assert "extension" in error["message"] and "nophone@alpha.example" in error["message"]
    assert "email on your RingCentral extension" in error["hint"]
    assert _stored(runtime, alpha) == {}


def test_two_extensions_with_one_email_are_ambiguous_unless_one_is_a_person(runtime, client, alpha):
    rep, _ = _member(runtime, alpha, "shared@alpha.example", extension=False)
    objects.give_extension(runtime, alpha, "shared@alpha.example", extension_type="Department")
    objects.give_extension(runtime, alpha, "shared@alpha.example", extension_type="IvrMenu")
    answer = client.put(f"{PREFS}/me", headers=rep, json={"log_fax": False})
    assert answer.status_code == 409 and "2 phone extensions" in answer.json()["error"]["message"]
    person = objects.give_extension(runtime, alpha, "shared@alpha.example", extension_type="User")
    assert client.put(f"{PREFS}/me", headers=rep, json={"log_fax": False}).status_code == 200
    assert user_scope(person) in _stored(runtime, alpha)


# -- chosen conversations -------------------------------------------------------------------------
def test_choosing_listing_and_forgetting_conversations(runtime, client, alpha):
    rep, ref = _member(runtime, alpha)
    org_one = client.post(CONVERSATIONS, headers=alpha.auth,
                          json={"number": "+1 650 555 0101", "scope": "org"})
    assert org_one.status_code == 201, org_one.text
    mine = client.post(CONVERSATIONS, headers=rep, json={"number": "(650) 555-0102"})  # scope "me" by default
    assert mine.status_code == 201, mine.text
    again = client.post(CONVERSATIONS, headers=rep, json={"number": "+16505550102", "scope": "me"})
    assert again.status_code == 200 and again.json()["id"] == mine.json()["id"]

    listed = client.get(CONVERSATIONS, headers=rep).json()
    assert {(c["id"], c["scope"]) for c in listed} == {(org_one.json()["id"], "org"),
                                                        (mine.json()["id"], "me")}
    by = {c["scope"]: c["chosen_by"] for c in listed}
    assert by == {"org": "owner@alpha.example", "me": "rep@alpha.example"}
    assert "0101" not in str(listed) and "0102" not in str(listed)  # the number is not kept, so not shown
    # the owner sees the organization's list, not the member's own
    assert [c["scope"] for c in client.get(CONVERSATIONS, headers=alpha.auth).json()] == ["org"]
    found = client.get(CONVERSATIONS, headers=rep, params={"number": "650-555-0102"}).json()
    assert [c["id"] for c in found] == [mine.json()["id"]]

    with runtime.db.tenant(alpha.id) as s:  # what ingest asks: both lists count for the member
        assert len(chosen_refs(s, ref)) == 2 and len(chosen_refs(s, None)) == 1

    assert client.delete(f"{CONVERSATIONS}/{mine.json()['id']}", headers=rep).status_code == 204
    assert client.delete(f"{CONVERSATIONS}/{mine.json()['id']}", headers=rep).status_code == 404
    assert [c["scope"] for c in client.get(CONVERSATIONS, headers=rep).json()] == ["org"]
    assert [e.details["scope"] for e in _audit(runtime, alpha, "logging.conversation_forgotten")] == [
        user_scope(ref)]


def test_the_organizations_list_is_for_owners_and_admins(runtime, client, alpha):
    rep, _ = _member(runtime, alpha)
    refused = client.post(CONVERSATIONS, headers=rep, json={"number": "+16505550101", "scope": "org"})
    assert refused.status_code == 403 and refused.json()["error"]["field"] == "scope"
    org_id = objects.chosen_conversation(runtime, alpha)
    assert client.delete(f"{CONVERSATIONS}/{org_id}", headers=rep).status_code == 403
    with runtime.db.tenant(alpha.id) as s:
        assert s.scalars(select(ChosenConversation.id)).all() == [org_id]
    admin, _ = _member(runtime, alpha, "admin@alpha.example", Role.admin, extension=False)
    assert client.delete(f"{CONVERSATIONS}/{org_id}", headers=admin).status_code == 204


def test_another_members_own_conversation_is_not_theirs_to_see_or_remove(runtime, client, alpha):
    rep, _ = _member(runtime, alpha)
    theirs = client.post(CONVERSATIONS, headers=rep, json={"number": "+16505550102"}).json()["id"]
    other, _ = _member(runtime, alpha, "other@alpha.example")
    assert client.get(CONVERSATIONS, headers=other).json() == []
    assert client.delete(f"{CONVERSATIONS}/{theirs}", headers=other).status_code == 404
    assert client.delete(f"{CONVERSATIONS}/{theirs}", headers=alpha.auth).status_code == 404


def test_a_bad_number_or_a_member_without_extension_changes_nothing(runtime, client, alpha):
    rep, _ = _member(runtime, alpha)
    answer = client.post(CONVERSATIONS, headers=rep, json={"number": "call me maybe"})
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "number"
    assert "call me maybe" in answer.json()["error"]["message"]
    nophone, _ = _member(runtime, alpha, "nophone@alpha.example", extension=False)
    answer = client.post(CONVERSATIONS, headers=nophone, json={"number": "+16505550101"})
    assert answer.status_code == 409 and "extension" in answer.json()["error"]["message"]
    with runtime.db.tenant(alpha.id) as s:
        assert s.scalars(select(ChosenConversation)).all() == []
