"""Salesforce phone lookup: SOSL on digits across phone fields, parameterizedSearch, SOQL."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from callbridge.clock import VirtualClock
from callbridge.sandbox.crm._kit.testing import client_for, key_paths, real_sample
from callbridge.sandbox.crm.salesforce import SalesforceSandboxConfig, create_app

from .conftest import API, password_login

RETURNING = "RETURNING Contact(Id,Name,Phone,MobilePhone), Lead(Id,Name,Phone)"


def _sosl(client: TestClient, auth: dict[str, str], term: str, **kw: str) -> list[dict[str, Any]]:
    q = f"FIND {{{term}}} IN PHONE FIELDS {RETURNING}"
    answer = client.get(f"{API}/search/", params={"q": q}, headers=auth)
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()["searchRecords"]
    return found


@pytest.mark.parametrize(("term", "expected"), [
    ("6505550100", ["Ada Lovelace", "Byron Lovelace"]),
    ("6505550101", ["Alan Turing"]),
    ("6505550199", []),
    ("6505550102", ["Grace Hopper"]),           # stored "+1 650-555-0102 x12"
    (r"\+16505550102", ["Grace Hopper"]),        # escaped + of an E.164 term
    ("4155550198", ["Jane Doe"]),                # MobilePhone "+1 (415) 555-0198"
    ("2079460959", ["Ravi Kumar"]),              # Lead, national "020 7946 0959"
    ("442079460958", ["Tim Berners-Lee"]),
])
def test_sosl_phone_search_matches_digits_in_any_format(
    client: TestClient, auth: dict[str, str], term: str, expected: list[str]
) -> None:
    assert sorted(r["Name"] for r in _sosl(client, auth, term)) == expected


def test_exact_phone_mode_only_matches_the_stored_text(clock: VirtualClock) -> None:
    client = client_for(create_app(SalesforceSandboxConfig(sosl_phone_match="digits"), clock))
    auth = password_login(client)
    assert _sosl(client, auth, "6505550102") == []
    assert [r["Name"] for r in _sosl(client, auth, "16505550102")] == ["Grace Hopper"]


def test_sosl_records_carry_attributes_like_the_documented_response(
    client: TestClient, auth: dict[str, str]
) -> None:
    sample = real_sample("sf_sosl_search_response_doc_example.json")
    q = "FIND {Acme} RETURNING Account"
    ours = client.get(f"{API}/search/", params={"q": q}, headers=auth).json()
    assert set(ours) == set(sample)
    found = _sosl(client, auth, "6505550101")
    assert key_paths({"searchRecords": [{k: v for k, v in found[0].items()
                                         if k in ("attributes", "Id")}]}) == key_paths(sample)
    assert found[0]["attributes"]["url"].endswith(found[0]["Id"])
    recorded = real_sample("sf_recorded_responses.json")["sosl_search"]
    empty = client.get(f"{API}/search", params=recorded["query_params"], headers=auth)
    assert empty.json() == recorded["response"]
    assert empty.headers["Sforce-Limit-Info"].startswith("api-usage=")


def test_old_api_versions_answer_a_bare_array(client: TestClient, auth: dict[str, str]) -> None:
    q = f"FIND {{6505550101}} IN PHONE FIELDS {RETURNING}"
    old = client.get("/services/data/v35.0/search/", params={"q": q}, headers=auth).json()
    assert isinstance(old, list)
    assert old[0]["Name"] == "Alan Turing"


def test_parameterized_search_has_the_documented_shape(
    client: TestClient, auth: dict[str, str]
) -> None:
    sample = real_sample("sf_parameterized_search_response_doc_example.json")
    answer = client.get(f"{API}/parameterizedSearch/", headers=auth, params={
        "q": "6505550100", "sobject": "Contact", "in": "PHONE", "Contact.fields": "Id,Name"})
    body = answer.json()
    assert set(body) == set(sample)
    assert sorted(r["Name"] for r in body["searchRecords"]) == ["Ada Lovelace", "Byron Lovelace"]


def test_malformed_sosl_is_refused(client: TestClient, auth: dict[str, str]) -> None:
    answer = client.get(f"{API}/search/", params={"q": "FIND 6505550100"}, headers=auth)
    assert answer.status_code == 400
    assert answer.json()[0]["errorCode"] == "MALFORMED_SEARCH"


def test_soql_matches_phone_exactly_as_stored(client: TestClient, auth: dict[str, str]) -> None:
    def query(q: str) -> Any:
        return client.get(f"{API}/query", params={"q": q}, headers=auth)

    exact = query("SELECT Id, Name, Phone FROM Contact WHERE Phone = '(650) 555-0100'").json()
    assert set(exact) == {"totalSize", "done", "records"}
    assert exact["totalSize"] == 2
    assert exact["records"][0]["attributes"]["type"] == "Contact"
    assert query("SELECT Id FROM Contact WHERE Phone = '6505550100'").json()["totalSize"] == 0
    bad = query("SELECT Id FROM Contact WHERE Nope = 'x'")
    assert bad.status_code == 400
    assert bad.json()[0]["errorCode"] == "INVALID_FIELD"
    broken = query("SELECT FROM")
    assert broken.json()[0]["errorCode"] == "MALFORMED_QUERY"


def test_soql_pages_with_next_records_url(clock: VirtualClock) -> None:
    client = client_for(create_app(SalesforceSandboxConfig(query_batch_size=3), clock))
    auth = password_login(client)
    page = client.get(f"{API}/query", params={"q": "SELECT Id FROM Contact"},
                      headers=auth).json()
    assert page["done"] is False
    seen = list(page["records"])
    while not page["done"]:
        page = client.get(page["nextRecordsUrl"], headers=auth).json()
        seen.extend(page["records"])
    assert len({r["Id"] for r in seen}) == 7


def test_users_listed_by_soql_for_mapping_by_email(
    client: TestClient, auth: dict[str, str]
) -> None:
    users = client.get(f"{API}/query", headers=auth, params={
        "q": "SELECT Id, Name, Email FROM User WHERE IsActive = true ORDER BY Email"}).json()
    assert [u["Email"] for u in users["records"]] == [
        "alice@callbridge.test", "bob@callbridge.test", "carol@callbridge.test"]
