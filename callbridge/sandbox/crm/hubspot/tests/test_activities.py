"""HubSpot calls and communications: create with associations, get, patch, person edits, lag."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from callbridge.clock import VirtualClock
from callbridge.sandbox.crm._kit.testing import real_sample
from callbridge.sandbox.crm.hubspot import HubSpotSandbox
from callbridge.sandbox.crm.hubspot.config import PRIVATE_APP_TOKEN

AUTH = {"Authorization": f"Bearer {PRIVATE_APP_TOKEN}"}
CONNECTED = "f240bbac-87c9-4f6e-bf70-924b57d47db7"


def _first_id(box: HubSpotSandbox, object_type: str, **match: str) -> str:
    for record in box.store.records[object_type].values():
        if all(record.properties.get(k) == v for k, v in match.items()):
            return record.id
    raise AssertionError(f"no seeded {object_type} with {match}")


def _assoc(to_id: str, type_id: int) -> dict[str, Any]:
    return {"to": {"id": to_id},
            "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}]}


def _create_call(client: TestClient, box: HubSpotSandbox, body: str = "Discussed renewal"
                 ) -> dict[str, Any]:
    ada = _first_id(box, "contacts", firstname="Ada")
    deal = _first_id(box, "deals", dealname="Analytical Engine renewal")
    company = _first_id(box, "companies", name="Analytical Ltd")
    answer = client.post("/crm/v3/objects/calls", headers=AUTH, json={
        "properties": {"hs_timestamp": "1767603600000", "hs_call_title": "Call with Ada",
                       "hs_call_body": body, "hs_call_direction": "INBOUND",
                       "hs_call_duration": 65000, "hs_call_status": "COMPLETED",
                       "hs_call_disposition": CONNECTED, "hs_call_from_number": "(650) 555-0100",
                       "hubspot_owner_id": "41629001"},
        "associations": [_assoc(ada, 194), _assoc(deal, 206), _assoc(company, 182)]})
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


def test_create_call_stores_strings_and_normalises_timestamp(
    client: TestClient, box: HubSpotSandbox
) -> None:
    call = _create_call(client, box)
    props = call["properties"]
    assert props["hs_timestamp"] == "2026-01-05T09:00:00.000Z"
    assert props["hs_call_duration"] == "65000"
    assert props["hs_object_id"] == call["id"]
    assert all(isinstance(v, str) for v in props.values())


def test_create_response_shape_follows_the_schema_and_the_recorded_note(
    client: TestClient, box: HubSpotSandbox
) -> None:
    schemas = real_sample("hubspot_schemas.json")["calls_components"]["schemas"]
    obj = schemas["SimplePublicObject"]
    call = _create_call(client, box)
    assert set(obj["required"]) <= set(call) <= set(obj["properties"])
    recorded = real_sample("hubspot_notes_create_response_recorded.json")
    note = client.post("/crm/v3/objects/notes", headers=AUTH, json={"properties": {
        "hs_timestamp": "2024-10-05T11:00:00Z", "hs_note_body": "Spoke with Ada.",
        "hubspot_owner_id": "41629001", "hs_attachment_ids": "1;2"}, "associations": []})
    assert note.status_code == 201
    assert set(note.json()) - {"url"} == set(recorded)
    assert set(recorded["properties"]) <= set(note.json()["properties"])


def test_get_call_with_associations_to_contact_deal_and_company(
    client: TestClient, box: HubSpotSandbox
) -> None:
    call = _create_call(client, box)
    got = client.get(f"/crm/v3/objects/calls/{call['id']}", headers=AUTH,
                     params={"properties": "hs_call_body,hs_call_title",
                             "associations": "contacts,deals,companies"}).json()
    assert got["properties"]["hs_call_body"] == "Discussed renewal"
    assocs = got["associations"]
    assert assocs["contacts"]["results"][0]["type"] == "call_to_contact"
    assert set(assocs) == {"contacts", "deals", "companies"}
    edges = client.get(f"/crm/v4/objects/calls/{call['id']}/associations/contacts",
                       headers=AUTH).json()
    assert edges["results"][0]["associationTypes"][0]["typeId"] == 194


def test_patch_changes_properties_and_bumps_updated_at(
    client: TestClient, box: HubSpotSandbox, clock: VirtualClock
) -> None:
    call = _create_call(client, box)
    clock.advance(60)
    patched = client.patch(f"/crm/v3/objects/calls/{call['id']}", headers=AUTH,
                           json={"properties": {"hs_call_recording_url":
                                                "https://callbridge.test/r/1.mp3"}})
    assert patched.status_code == 200
    assert patched.json()["updatedAt"] > call["updatedAt"]
    assert patched.json()["properties"]["hs_call_body"] == "Discussed renewal"


def test_invalid_properties_are_refused_naming_them(client: TestClient) -> None:
    answer = client.post("/crm/v3/objects/calls", headers=AUTH, json={"properties": {
        "hs_call_title": "x", "hs_call_direction": "SIDEWAYS", "no_such_prop": "1",
        "hs_call_recording_url": "http://insecure.test/a.mp3"}, "associations": []})
    assert answer.status_code == 400
    body = answer.json()
    assert body["category"] == "VALIDATION_ERROR"
    codes = {e["code"] for e in body["errors"]}
    assert codes == {"INVALID_OPTION", "PROPERTY_DOESNT_EXIST", "INVALID_URL",
                     "REQUIRED_PROPERTY"}


def test_unknown_association_type_and_missing_object_are_refused(
    client: TestClient, box: HubSpotSandbox
) -> None:
    ada = _first_id(box, "contacts", firstname="Ada")
    bad_type = client.post("/crm/v3/objects/calls", headers=AUTH, json={
        "properties": {"hs_timestamp": "2026-01-05T09:00:00Z"}, "associations": [_assoc(ada, 1)]})
    assert bad_type.status_code == 400
    missing = client.get("/crm/v3/objects/calls/999", headers=AUTH)
    assert missing.status_code == 404
    assert missing.json()["category"] == "OBJECT_NOT_FOUND"


def test_sms_communication_with_contact_and_later_deal_association(
    client: TestClient, box: HubSpotSandbox
) -> None:
    ada = _first_id(box, "contacts", firstname="Ada")
    deal = _first_id(box, "deals", dealname="Analytical Engine renewal")
    sms = client.post("/crm/v3/objects/communications", headers=AUTH, json={
        "properties": {"hs_communication_channel_type": "SMS",
                       "hs_communication_logged_from": "CRM",
                       "hs_communication_body": "Hi Ada", "hs_timestamp": "2026-01-05T09:00:00Z"},
        "associations": [_assoc(ada, 81)]})
    assert sms.status_code == 201, sms.text
    linked = client.put(f"/crm/v4/objects/communications/{sms.json()['id']}/associations/"
                        f"default/deals/{deal}", headers=AUTH)
    assert linked.json()["status"] == "COMPLETE"
    got = client.get(f"/crm/v3/objects/communications/{sms.json()['id']}", headers=AUTH,
                     params={"associations": "contacts,deals"}).json()
    assert set(got["associations"]) == {"contacts", "deals"}
    wrong = client.post("/crm/v3/objects/communications", headers=AUTH, json={"properties": {
        "hs_communication_logged_from": "API", "hs_timestamp": "2026-01-05T09:00:00Z"}})
    assert wrong.status_code == 400


def test_person_edit_changes_fields_and_bumps_updated_at(
    client: TestClient, box: HubSpotSandbox
) -> None:
    call = _create_call(client, box)
    edited = client.post(f"/_sandbox/edit/calls/{call['id']}",
                         json={"hs_call_body": "Discussed renewal\nPerson: call back Friday"})
    assert edited.status_code == 200
    assert edited.json()["updatedAt"] > call["updatedAt"]
    got = client.get(f"/crm/v3/objects/calls/{call['id']}", headers=AUTH,
                     params={"properties": "hs_call_body,hs_call_title"}).json()
    assert got["properties"]["hs_call_body"].endswith("call back Friday")
    assert got["properties"]["hs_call_title"] == "Call with Ada"
    assert client.post("/_sandbox/edit/calls/404", json={"x": 1}).status_code == 404
    assert client.post(f"/_sandbox/edit/calls/{call['id']}",
                       json={"nope": "1"}).status_code == 400


def test_marker_in_call_body_is_searchable_only_after_the_lag(
    client: TestClient, box: HubSpotSandbox, clock: VirtualClock
) -> None:
    marker = "cbm-01JABCDEF"
    _create_call(client, box, body=f"<p>Discussed renewal</p><p>[{marker}]</p>")
    query = {"filterGroups": [{"filters": [{"propertyName": "hs_call_body",
                                            "operator": "CONTAINS_TOKEN", "value": marker}]}]}
    def hits() -> int:
        answer = client.post("/crm/v3/objects/calls/search", json=query, headers=AUTH)
        return int(answer.json()["total"])

    assert hits() == 0
    clock.advance(box.config.search_lag_seconds - 0.001)
    assert hits() == 0
    clock.advance(0.001)
    assert hits() == 1


def test_changes_reach_search_after_the_lag_while_get_is_immediate(
    client: TestClient, box: HubSpotSandbox, clock: VirtualClock
) -> None:
    alan = _first_id(box, "contacts", firstname="Alan")
    client.patch(f"/crm/v3/objects/contacts/{alan}", headers=AUTH,
                 json={"properties": {"phone": "+1 (650) 555-0177"}})
    assert client.get(f"/crm/v3/objects/contacts/{alan}", headers=AUTH,
                      params={"properties": "phone"}).json()["properties"]["phone"] == (
        "+1 (650) 555-0177")
    query = {"filterGroups": [{"filters": [{"propertyName": "hs_searchable_calculated_phone_number",
                                            "operator": "EQ", "value": "16505550177"}]}]}
    assert client.post("/crm/v3/objects/contacts/search", json=query,
                       headers=AUTH).json()["total"] == 0
    old = {"filterGroups": [{"filters": [{"propertyName": "phone", "operator": "EQ",
                                          "value": "6505550101"}]}]}
    assert client.post("/crm/v3/objects/contacts/search", json=old,
                       headers=AUTH).json()["total"] == 1  # stale index still has it
    clock.advance(box.config.search_lag_seconds)
    assert client.post("/crm/v3/objects/contacts/search", json=query,
                       headers=AUTH).json()["total"] == 1


def test_create_contact_and_owners_by_email(client: TestClient) -> None:
    made = client.post("/crm/v3/objects/contacts", headers=AUTH, json={"properties": {
        "firstname": "New", "lastname": "Caller", "phone": "+1 650 555 0150"}})
    assert made.status_code == 201
    assert made.json()["properties"]["hs_searchable_calculated_phone_number"] == "16505550150"
    owners = client.get("/crm/v3/owners", headers=AUTH,
                        params={"email": "bob@callbridge.test"}).json()["results"]
    assert [o["firstName"] for o in owners] == ["Bob"]
    dispositions = client.get("/calling/v1/dispositions", headers=AUTH).json()
    assert {"id": CONNECTED, "label": "Connected", "deleted": False} in dispositions
