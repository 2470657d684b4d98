"""Salesforce Task: create with WhoId/WhatId, read, PATCH 204, composite, upsert, marker."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from callbridge.clock import VirtualClock
from callbridge.sandbox.crm._kit.testing import client_for, real_sample
from callbridge.sandbox.crm.salesforce import (
    SalesforceSandbox,
    SalesforceSandboxConfig,
    create_app,
)

from .conftest import API, password_login


def _id(box: SalesforceSandbox, sobject: str, **match: str) -> str:
    for record in box.store.records[sobject].values():
        if all(record.values.get(k) == v for k, v in match.items()):
            return record.id
    raise AssertionError(f"no seeded {sobject} with {match}")


def _task(box: SalesforceSandbox, **extra: Any) -> dict[str, Any]:
    return {"Subject": "Call with Ada", "Description": "Discussed renewal",
            "ActivityDate": "2026-01-05", "TaskSubtype": "Call", "CallType": "Inbound",
            "CallDurationInSeconds": 65, "CallObject": "cbm-rc-1234", "Status": "Completed",
            "WhoId": _id(box, "Contact", LastName="Lovelace", FirstName="Ada"),
            "WhatId": _id(box, "Opportunity", Name="Analytical Engine renewal"), **extra}


def test_create_task_answers_like_the_documented_save_result(
    client: TestClient, box: SalesforceSandbox, auth: dict[str, str]
) -> None:
    sample = real_sample("sf_create_record_response_doc_example.json")
    answer = client.post(f"{API}/sobjects/Task", json=_task(box), headers=auth)
    assert answer.status_code == 201
    assert set(answer.json()) == set(sample)
    assert answer.json()["id"].startswith("00T")
    assert len(answer.json()["id"]) == 18


def test_read_task_with_fields_and_defaults(
    client: TestClient, box: SalesforceSandbox, auth: dict[str, str]
) -> None:
    made = client.post(f"{API}/sobjects/Task", json={"Subject": "Quick call"}, headers=auth)
    got = client.get(f"{API}/sobjects/Task/{made.json()['id']}", headers=auth).json()
    assert got["attributes"] == {"type": "Task",
                                 "url": f"{API}/sobjects/Task/{made.json()['id']}"}
    assert (got["Status"], got["Priority"]) == ("Not Started", "Normal")
    some = client.get(f"{API}/sobjects/Task/{made.json()['id']}", headers=auth,
                      params={"fields": "Subject,Status"}).json()
    assert set(some) == {"attributes", "Subject", "Status"}


def test_patch_answers_204_and_bumps_last_modified(
    client: TestClient, box: SalesforceSandbox, auth: dict[str, str], clock: VirtualClock
) -> None:
    task_id = client.post(f"{API}/sobjects/Task", json=_task(box), headers=auth).json()["id"]
    before = client.get(f"{API}/sobjects/Task/{task_id}", headers=auth).json()
    clock.advance(30)
    patched = client.patch(f"{API}/sobjects/Task/{task_id}", headers=auth,
                           json={"CallDisposition": "Left voicemail"})
    assert patched.status_code == 204
    assert patched.content == b""
    after = client.get(f"{API}/sobjects/Task/{task_id}", headers=auth).json()
    assert after["CallDisposition"] == "Left voicemail"
    assert after["LastModifiedDate"] > before["LastModifiedDate"]


def test_field_errors_have_salesforce_codes(
    client: TestClient, box: SalesforceSandbox, auth: dict[str, str]
) -> None:
    sample = real_sample("sf_create_record_error_doc_example.json")
    with_id = client.post(f"{API}/sobjects/Task", json={"Id": "00T000000000001"}, headers=auth)
    assert with_id.json() == sample
    task_id = client.post(f"{API}/sobjects/Task", json=_task(box), headers=auth).json()["id"]
    cases = [
        ("POST", "/sobjects/Contact", {"FirstName": "No"}, "REQUIRED_FIELD_MISSING"),
        ("POST", "/sobjects/Task", {"Status": "Done"},
         "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"),
        ("POST", "/sobjects/Task", {"Subject": "x" * 256}, "STRING_TOO_LONG"),
        ("POST", "/sobjects/Task", {"Nope__c": "1"}, "INVALID_FIELD"),
        ("POST", "/sobjects/Task", {"WhoId": "bogus"}, "MALFORMED_ID"),
        ("PATCH", f"/sobjects/Task/{task_id}", {"TaskSubtype": "Email"},
         "INVALID_FIELD_FOR_INSERT_UPDATE"),
    ]
    for method, path, body, code in cases:
        answer = client.request(method, f"{API}{path}", json=body, headers=auth)
        assert answer.status_code == 400, (path, body)
        assert answer.json()[0]["errorCode"] == code
    missing = client.get(f"{API}/sobjects/Task/00T5e0000000zzzAAA", headers=auth)
    assert missing.status_code == 404
    assert missing.json()[0]["errorCode"] == "NOT_FOUND"


def test_marker_in_call_object_is_found_by_soql_at_once(
    client: TestClient, box: SalesforceSandbox, auth: dict[str, str]
) -> None:
    client.post(f"{API}/sobjects/Task", json=_task(box), headers=auth)
    found = client.get(f"{API}/query", headers=auth, params={
        "q": "SELECT Id, WhoId FROM Task WHERE CallObject = 'cbm-rc-1234'"}).json()
    assert found["totalSize"] == 1
    description = client.get(f"{API}/query", headers=auth, params={
        "q": "SELECT Id FROM Task WHERE Description = 'x'"})
    assert description.json()[0]["errorCode"] == "INVALID_FIELD"
    sosl = client.get(f"{API}/search/", headers=auth, params={
        "q": r"FIND {cbm\-rc\-1234} IN ALL FIELDS RETURNING Task(Id, CallObject)"}).json()
    assert len(sosl["searchRecords"]) == 1


def test_composite_creates_contact_and_task_as_one_api_call(
    client: TestClient, auth: dict[str, str]
) -> None:
    answer = client.post(f"{API}/composite", headers=auth, json={
        "allOrNone": True, "compositeRequest": [
            {"method": "POST", "url": f"{API}/sobjects/Contact", "referenceId": "who",
             "body": {"LastName": "Caller", "Phone": "+1 650 555 0150"}},
            {"method": "POST", "url": f"{API}/sobjects/Task", "referenceId": "task",
             "body": {"Subject": "Call", "WhoId": "@{who.id}"}},
            {"method": "GET", "url": f"{API}/sobjects/Task/@{{task.id}}?fields=WhoId",
             "referenceId": "read"}]})
    assert answer.headers["Sforce-Limit-Info"] == "api-usage=1/15000"
    subs = answer.json()["compositeResponse"]
    assert [s["httpStatusCode"] for s in subs] == [201, 201, 200]
    assert set(subs[0]) == {"body", "httpHeaders", "httpStatusCode", "referenceId"}
    assert subs[2]["body"]["WhoId"] == subs[0]["body"]["id"]


def test_composite_all_or_none_rolls_back(
    client: TestClient, box: SalesforceSandbox, auth: dict[str, str]
) -> None:
    before = len(box.store.records["Contact"])
    subs = client.post(f"{API}/composite", headers=auth, json={
        "allOrNone": True, "compositeRequest": [
            {"method": "POST", "url": f"{API}/sobjects/Contact", "referenceId": "ok",
             "body": {"LastName": "Kept?"}},
            {"method": "POST", "url": f"{API}/sobjects/Contact", "referenceId": "bad",
             "body": {"FirstName": "NoLast"}}]}).json()["compositeResponse"]
    assert subs[0]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert subs[1]["body"][0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert len(box.store.records["Contact"]) == before


def test_upsert_by_external_id_when_the_org_has_one(clock: VirtualClock) -> None:
    cfg = SalesforceSandboxConfig(external_id_fields={"Task": ["Callbridge_Key__c"]})
    client = client_for(create_app(cfg, clock))
    auth = password_login(client)
    url = f"{API}/sobjects/Task/Callbridge_Key__c/rc-call-1"
    first = client.patch(url, json={"Subject": "Call"}, headers=auth)
    assert first.status_code == 201
    assert first.json()["created"] is True
    again = client.patch(url, json={"Subject": "Call (updated)"}, headers=auth)
    assert again.status_code == 200
    assert again.json() == {"id": first.json()["id"], "success": True, "errors": [],
                            "created": False}
    stock = client_for(create_app(None, clock))
    refused = stock.patch(url, json={"Subject": "x"}, headers=password_login(stock))
    assert refused.status_code == 404


def test_person_edit_changes_description_and_modified_date(
    client: TestClient, box: SalesforceSandbox, auth: dict[str, str]
) -> None:
    task_id = client.post(f"{API}/sobjects/Task", json=_task(box), headers=auth).json()["id"]
    before = client.get(f"{API}/sobjects/Task/{task_id}", headers=auth).json()
    edited = client.post(f"/_sandbox/edit/Task/{task_id}",
                         json={"Description": "Discussed renewal\nRep: send quote"})
    assert edited.status_code == 200
    after = client.get(f"{API}/sobjects/Task/{task_id}", headers=auth).json()
    assert after["Description"].endswith("send quote")
    assert after["LastModifiedDate"] > before["LastModifiedDate"]
    assert client.post("/_sandbox/edit/Task/00T5e0000000zzzAAA",
                       json={"Subject": "x"}).status_code == 404
